//! The embedded server: with no endpoint configured, `listen()` starts
//! interval-server in this process, on loopback, and connects to it.

use std::path::PathBuf;

use interval_server::{RunningServer, ServerConfig};

use crate::error::{Error, Result};

/// Default port of the embedded server (the next free one is used when taken).
const DEFAULT_PORT: u16 = 3000;

/// Where the embedded server keeps its state: `INTERVAL_DATABASE` (the value
/// `:memory:` keeps nothing), else `.interval/interval.db` in the current
/// directory.
fn database() -> Result<Option<PathBuf>> {
    match std::env::var("INTERVAL_DATABASE") {
        Ok(path) if path == ":memory:" => Ok(None),
        Ok(path) if !path.is_empty() => Ok(Some(PathBuf::from(path))),
        _ => {
            let dir = PathBuf::from(".interval");
            // Owner-only (0700): the database holds the API key, params and
            // results.
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(&dir).map_err(|e| {
                Error::Config(format!(
                    "could not create {} for the embedded server's database: {e} (set INTERVAL_DATABASE)",
                    dir.display()
                ))
            })?;
            Ok(Some(dir.join("interval.db")))
        }
    }
}

/// Starts the embedded server: on 127.0.0.1, port `INTERVAL_PORT` or 3000 (or
/// the next free one), accepting `api_key` when one is configured.
pub(crate) async fn start(api_key: Option<&str>) -> Result<RunningServer> {
    let port = match std::env::var("INTERVAL_PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| Error::Config(format!("INTERVAL_PORT={port:?} is not a port number")))?,
        Err(_) => DEFAULT_PORT,
    };
    let mut config = ServerConfig::default().port(port);
    if let Some(path) = database()? {
        config = config.database(path);
    }
    if let Some(key) = api_key {
        config = config.api_key(key);
    }
    let server = interval_server::start(config)
        .await
        .map_err(|e| Error::Config(format!("could not start the embedded server: {e}")))?;
    // Essential: the one line a person needs to find the dashboard.
    eprintln!("Interval dashboard: {}", server.url());
    Ok(server)
}
