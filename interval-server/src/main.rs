//! `interval-server`: the standalone server.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use interval_server::{ServerConfig, ServerError};

/// An Interval-compatible server with its dashboard, backed by SQLite.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to bind. Anything but loopback requires a dashboard password.
    #[arg(long, env = "INTERVAL_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to bind (the next free one is used when it is taken).
    #[arg(long, env = "INTERVAL_PORT", default_value_t = 3000)]
    port: u16,
    /// SQLite database file.
    #[arg(long, env = "INTERVAL_DATABASE", default_value = "interval.db")]
    database: PathBuf,
    /// A development API key to accept (one is created and printed otherwise).
    #[arg(long, env = "INTERVAL_API_KEY")]
    api_key: Option<String>,
    /// Password for the dashboard (required off loopback; at least 12 characters).
    #[arg(long, env = "INTERVAL_DASHBOARD_PASSWORD")]
    dashboard_password: Option<String>,
    /// The URL people reach the server at (e.g. behind a proxy): used in
    /// links, and the one name it answers to besides localhost and IP addresses.
    #[arg(long, env = "INTERVAL_PUBLIC_URL")]
    public_url: Option<String>,
    /// Serve HTTPS and WSS with this certificate chain (PEM; with --tls-key).
    #[arg(long, env = "INTERVAL_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM; with --tls-cert).
    #[arg(long, env = "INTERVAL_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// On SIGTERM or Ctrl-C, keep accepting connections this long with
    /// /ready failing, so a load balancer stops sending clients (e.g. 10s).
    #[arg(long, env = "INTERVAL_SHUTDOWN_DRAIN", default_value = "0s", value_parser = humantime::parse_duration)]
    shutdown_drain: std::time::Duration,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates a production (live) API key and prints it once; only its hash is stored.
    CreateLiveKey,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), ServerError> {
    if let Some(Command::CreateLiveKey) = cli.command {
        let store = interval_server::db::Store::open(Some(&cli.database))?;
        println!("{}", store.create_live_key()?);
        return Ok(());
    }
    let mut config = ServerConfig::default()
        .host(cli.host)
        .port(cli.port)
        .database(cli.database)
        .shutdown_drain(cli.shutdown_drain);
    if let Some(key) = cli.api_key {
        config = config.api_key(key);
    }
    if let Some(url) = cli.public_url {
        config = config.public_url(url);
    }
    if let Some(password) = cli.dashboard_password {
        config = config.dashboard_password(password);
    }
    match (cli.tls_cert, cli.tls_key) {
        (Some(cert), Some(key)) => config = config.tls(cert, key),
        (None, None) => {}
        (cert, _) => {
            let (given, missing) = if cert.is_some() {
                (
                    "--tls-cert (INTERVAL_TLS_CERT)",
                    "--tls-key (INTERVAL_TLS_KEY)",
                )
            } else {
                (
                    "--tls-key (INTERVAL_TLS_KEY)",
                    "--tls-cert (INTERVAL_TLS_CERT)",
                )
            };
            return Err(ServerError::Config(format!(
                "{given} is set but {missing} is not: HTTPS needs both the certificate and its \
                 key (or neither, for plain HTTP)"
            )));
        }
    }
    let server = interval_server::start(config).await?;
    println!("Dashboard: {}", server.url());
    println!(
        "Hosts connect to: {}  (API key: {})",
        server.endpoint(),
        server.api_key()
    );
    tokio::select! {
        _ = shutdown_signal() => server.shutdown(),
        _ = server.closed() => {}
    }
    server.closed().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
