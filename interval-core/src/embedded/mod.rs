//! The embedded server: with no endpoint configured, `listen()` starts
//! interval-server on loopback and connects to it: in this process, or,
//! in development, in the background where later runs find it
//! ([`detached`]).

mod detached;

use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// The embedded server as this run uses it.
pub(crate) enum Embedded {
    /// In this process, stopped with it.
    Inline(RunningServer),
    /// In the background, outliving this run (development).
    Detached(detached::Running),
}

impl Embedded {
    /// The dashboard's address.
    pub fn url(&self) -> String {
        match self {
            Embedded::Inline(server) => server.url(),
            Embedded::Detached(running) => running.url.clone(),
        }
    }

    /// Where hosts connect.
    pub fn endpoint(&self) -> String {
        match self {
            Embedded::Inline(server) => server.endpoint(),
            Embedded::Detached(running) => running.endpoint.clone(),
        }
    }

    /// The key hosts present.
    pub fn api_key(&self) -> String {
        match self {
            Embedded::Inline(server) => server.api_key().to_owned(),
            Embedded::Detached(running) => running.api_key.clone(),
        }
    }

    /// Stops a server of this process (one in the background stays).
    pub fn stop(&self) {
        if let Embedded::Inline(server) = self {
            server.shutdown();
        }
    }
}

/// Whether the embedded server runs in the background, outliving this run:
/// `INTERVAL_EMBEDDED=detached` or `inline`; by default in the background
/// when standard input is a terminal (a person's `cargo run`), in this
/// process otherwise (tests, CI, services). A server without a database
/// file (`INTERVAL_DATABASE=:memory:`) always runs in this process.
fn detached_mode() -> bool {
    match std::env::var("INTERVAL_EMBEDDED").as_deref() {
        Ok("detached") => true,
        Ok("inline") => false,
        _ => std::io::IsTerminal::is_terminal(&std::io::stdin()),
    }
}

/// How long the development server waits for a host that went away (a
/// rerun connects as a new host): its transactions offer "Run again" soon.
const DEV_RECONNECT_GRACE: Duration = Duration::from_secs(3);

/// Starts the embedded server, or finds the development server a previous
/// run left in the background (see [`detached_mode`]). In the background
/// process itself, serves until it is idle and exits.
pub(crate) async fn start(api_key: Option<&str>) -> Result<Embedded> {
    let database = database()?;
    let state_dir =
        database
            .as_deref()
            .and_then(Path::parent)
            .map(|dir| match dir.as_os_str().is_empty() {
                true => PathBuf::from("."),
                false => dir.to_owned(),
            });
    if detached::serving() {
        let dir = state_dir.ok_or_else(|| {
            Error::Config("the dev server needs a database file (INTERVAL_DATABASE)".into())
        })?;
        let config = config(api_key, database)?.host_reconnect_grace(DEV_RECONNECT_GRACE);
        let server = start_here(config).await?;
        detached::serve(server, &dir).await
    }
    match state_dir {
        Some(dir) if detached_mode() => {
            let running = detached::find_or_start(&dir).await?;
            // Essential: the one line a person needs to find the dashboard.
            eprintln!(
                "Interval dashboard: {} (a dev server kept between runs; \
                 INTERVAL_EMBEDDED=inline runs it in this process)",
                running.url
            );
            Ok(Embedded::Detached(running))
        }
        _ => {
            let server = start_here(config(api_key, database)?).await?;
            // Essential: the one line a person needs to find the dashboard.
            eprintln!("Interval dashboard: {}", server.url());
            Ok(Embedded::Inline(server))
        }
    }
}

/// The embedded server's configuration: on 127.0.0.1, port `INTERVAL_PORT`
/// or 3000 (or the next free one), its state in `database`, accepting
/// `api_key` when one is configured.
fn config(api_key: Option<&str>, database: Option<PathBuf>) -> Result<ServerConfig> {
    let port = match std::env::var("INTERVAL_PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| Error::Config(format!("INTERVAL_PORT={port:?} is not a port number")))?,
        Err(_) => DEFAULT_PORT,
    };
    let mut config = ServerConfig::default().port(port);
    if let Some(path) = database {
        config = config.database(path);
    }
    if let Some(key) = api_key {
        config = config.api_key(key);
    }
    Ok(config)
}

async fn start_here(config: ServerConfig) -> Result<RunningServer> {
    interval_server::start(config)
        .await
        .map_err(|e| Error::Config(format!("could not start the embedded server: {e}")))
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
