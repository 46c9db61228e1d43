//! `interval-server`: the standalone server.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use interval_server::{DeliveryConfig, ServerConfig, ServerError, SmtpConfig, SmtpSecurity};

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
    #[command(flatten)]
    delivery: DeliveryFlags,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Where notifications from live keys are delivered. (Its `Debug` leaves
/// the secrets out.)
#[derive(clap::Args)]
#[command(next_help_heading = "Notifications")]
struct DeliveryFlags {
    /// SMTP server that sends notification e-mails (none: e-mail deliveries fail).
    #[arg(long, env = "INTERVAL_SMTP_HOST", requires = "smtp_from")]
    smtp_host: Option<String>,
    /// SMTP port [default: 587 with starttls, 465 with tls, 25 with none].
    #[arg(long, env = "INTERVAL_SMTP_PORT")]
    smtp_port: Option<u16>,
    /// SMTP user name.
    #[arg(long, env = "INTERVAL_SMTP_USERNAME", requires = "smtp_password")]
    smtp_username: Option<String>,
    /// SMTP password (better in the environment than on the command line).
    #[arg(
        long,
        env = "INTERVAL_SMTP_PASSWORD",
        hide_env_values = true,
        requires = "smtp_username"
    )]
    smtp_password: Option<String>,
    /// How the SMTP connection is protected: starttls, tls (implicit TLS) or none.
    #[arg(long, env = "INTERVAL_SMTP_SECURITY", default_value = "starttls")]
    smtp_security: SmtpSecurity,
    /// Sender of notification e-mails: an address, or `Name <address>`.
    #[arg(long, env = "INTERVAL_SMTP_FROM", requires = "smtp_host")]
    smtp_from: Option<String>,
    /// Slack incoming webhook URL for Slack notifications (a secret: better in the environment).
    #[arg(long, env = "INTERVAL_SLACK_WEBHOOK_URL", hide_env_values = true)]
    slack_webhook_url: Option<String>,
}

impl std::fmt::Debug for DeliveryFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.clone_config().fmt(f)
    }
}

impl DeliveryFlags {
    fn clone_config(&self) -> DeliveryConfig {
        DeliveryFlags {
            smtp_host: self.smtp_host.clone(),
            smtp_port: self.smtp_port,
            smtp_username: self.smtp_username.clone(),
            smtp_password: self.smtp_password.clone(),
            smtp_security: self.smtp_security,
            smtp_from: self.smtp_from.clone(),
            slack_webhook_url: self.slack_webhook_url.clone(),
        }
        .config()
    }

    fn config(self) -> DeliveryConfig {
        let mut config = DeliveryConfig::default();
        if let (Some(host), Some(from)) = (self.smtp_host, self.smtp_from) {
            let mut smtp = SmtpConfig::new(host, from).security(self.smtp_security);
            if let Some(port) = self.smtp_port {
                smtp = smtp.port(port);
            }
            if let (Some(username), Some(password)) = (self.smtp_username, self.smtp_password) {
                smtp = smtp.credentials(username, password);
            }
            config = config.smtp(smtp);
        }
        if let Some(url) = self.slack_webhook_url {
            config = config.slack_webhook_url(url);
        }
        config
    }
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
        .delivery(cli.delivery.config());
    if let Some(key) = cli.api_key {
        config = config.api_key(key);
    }
    if let Some(url) = cli.public_url {
        config = config.public_url(url);
    }
    if let Some(password) = cli.dashboard_password {
        config = config.dashboard_password(password);
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
