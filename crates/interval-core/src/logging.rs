//! Maps [`LogLevel`] onto `tracing`.

use crate::config::LogLevel;

/// Installs a `tracing` subscriber printing the runtime's messages at
/// `level`, unless the program installed its own. `RUST_LOG` overrides it.
pub(crate) fn init(level: LogLevel) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "warn,interval_core={0},interval={0},interval_server={0}",
            level.as_filter()
        ))
    });
    // Fails only when a subscriber is already installed: then it decides.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
