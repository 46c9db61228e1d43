//! The embedded server: with no endpoint configured, `listen()` starts
//! interval-server in this process, on loopback, and connects to it.

use std::path::{Path, PathBuf};

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
            create_state_dir(&dir).map_err(|e| {
                Error::Config(format!(
                    "could not create {} for the embedded server's database: {e} (set INTERVAL_DATABASE)",
                    dir.display()
                ))
            })?;
            Ok(Some(dir.join("interval.db")))
        }
    }
}

/// Creates `dir` owner-only (0700: the database holds the API key, params
/// and results) with a `.gitignore` of `*` in it, so that git ignores it
/// wherever it lands (as `target/` does). A `.gitignore` already there is
/// kept.
fn create_state_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            ignore,
            "# Made by interval-rs: the embedded server's state, not for version control.\n*\n",
        )?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::create_state_dir;

    #[test]
    fn the_state_directory_ignores_itself_in_git() {
        let root = std::env::temp_dir().join(format!("interval-state-{}", std::process::id()));
        let dir = root.join(".interval");
        create_state_dir(&dir).unwrap();
        let ignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
        assert!(ignore.lines().any(|line| line == "*"), "{ignore:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        // A second start keeps what is there, including a user's own file.
        std::fs::write(dir.join(".gitignore"), "mine\n").unwrap();
        create_state_dir(&dir).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
            "mine\n"
        );
        std::fs::remove_dir_all(root).unwrap();
    }
}
