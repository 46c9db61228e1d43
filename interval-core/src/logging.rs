//! Maps [`LogLevel`] onto `tracing`, printing to stderr in the format
//! `INTERVAL_LOG_FORMAT` asks for.

use std::io::IsTerminal;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::config::LogLevel;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Text with ANSI colours (stderr is a terminal).
    Colored,
    /// Plain text (stderr is a file or a pipe, or `INTERVAL_LOG_FORMAT=text`).
    Plain,
    /// One JSON object a line (`INTERVAL_LOG_FORMAT=json`).
    Json,
}

impl Format {
    /// The format for `INTERVAL_LOG_FORMAT` = `setting` (`json`, `text`,
    /// or unset/anything else: text) when stderr `is_terminal` or not.
    pub fn choose(setting: Option<&str>, is_terminal: bool) -> Format {
        match setting.map(str::trim) {
            Some(s) if s.eq_ignore_ascii_case("json") => Format::Json,
            Some(s) if s.eq_ignore_ascii_case("text") || s.eq_ignore_ascii_case("plain") => {
                Format::Plain
            }
            _ if is_terminal => Format::Colored,
            _ => Format::Plain,
        }
    }

    /// The format of this process.
    fn from_env() -> Format {
        let setting = std::env::var("INTERVAL_LOG_FORMAT").ok();
        Format::choose(setting.as_deref(), std::io::stderr().is_terminal())
    }

    /// The `fmt` layer writing to `writer` (stderr) in this format.
    fn layer<W>(self, writer: W) -> Box<dyn Layer<Registry> + Send + Sync>
    where
        W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
    {
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_target(false);
        match self {
            Format::Json => Box::new(layer.json().with_ansi(false)),
            Format::Plain => Box::new(layer.with_ansi(false)),
            Format::Colored => Box::new(layer.with_ansi(true)),
        }
    }
}

/// Installs a `tracing` subscriber printing the runtime's messages at
/// `level` to stderr, unless the program installed its own. `RUST_LOG`
/// overrides the level; `INTERVAL_LOG_FORMAT` picks the format (see
/// [`Format::choose`]).
pub(crate) fn init(level: LogLevel) {
    let format = Format::from_env();
    // Fails only when a subscriber is already installed: then it decides.
    let _installed = match tracing_subscriber::EnvFilter::try_from_default_env() {
        Ok(filter) => tracing_subscriber::registry()
            .with(format.layer(std::io::stderr))
            .with(filter)
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
            tracing_subscriber::registry()
                .with(format.layer(std::io::stderr))
                .with(targets)
                .try_init()
                .is_ok()
        }
    };
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn colours_only_on_a_terminal_and_json_on_request() {
        assert_eq!(Format::choose(None, true), Format::Colored);
        assert_eq!(Format::choose(None, false), Format::Plain);
        assert_eq!(Format::choose(Some("json"), true), Format::Json);
        assert_eq!(Format::choose(Some(" JSON "), false), Format::Json);
        assert_eq!(Format::choose(Some("text"), true), Format::Plain);
        assert_eq!(Format::choose(Some(""), false), Format::Plain);
    }

    /// What `format` writes for one warning.
    fn written(format: Format) -> String {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::layer::SubscriberExt;

        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::registry().with(format.layer(move || writer.clone()));
        tracing::subscriber::with_default(subscriber, || tracing::warn!("hello {}", 1));
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        text
    }

    #[test]
    fn plain_text_has_no_ansi_codes_and_json_is_one_object_a_line() {
        let plain = written(Format::Plain);
        assert!(
            plain.contains("WARN") && plain.contains("hello 1"),
            "{plain:?}"
        );
        assert!(!plain.contains('\u{1b}'), "ANSI codes in {plain:?}");
        assert!(written(Format::Colored).contains('\u{1b}'));
        let json = written(Format::Json);
        let line: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"]["message"], "hello 1");
        assert!(!json.contains('\u{1b}'), "ANSI codes in {json:?}");
    }
}
