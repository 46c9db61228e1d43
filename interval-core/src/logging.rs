//! Maps [`LogLevel`] onto `tracing`.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogLevel;

/// Installs a `tracing` subscriber printing the runtime's messages at
/// `level`, unless the program installed its own. `RUST_LOG` overrides it.
pub(crate) fn init(level: LogLevel) {
    // Fails only when a subscriber is already installed: then it decides.
    let _installed = match tracing_subscriber::EnvFilter::try_from_default_env() {
        Ok(filter) => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .try_init()
            .is_ok(),
        // Without RUST_LOG, a plain per-crate filter (an `EnvFilter` would
        // bring its directive machinery into an idle host's memory).
        Err(_) => {
            let ours = match level {
                LogLevel::Quiet => LevelFilter::WARN,
                LogLevel::Info => LevelFilter::INFO,
                LogLevel::Debug => LevelFilter::DEBUG,
            };
            let targets = Targets::new()
                .with_default(LevelFilter::WARN)
                .with_target("interval_core", ours)
                .with_target("interval", ours)
                .with_target("interval_server", ours);
            tracing_subscriber::fmt()
                .with_max_level(ours.max(LevelFilter::WARN))
                .with_target(false)
                .finish()
                .with(targets)
                .try_init()
                .is_ok()
        }
    };
}
