//! `interval-server`: the standalone server.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use interval_server::{
    DeliveryConfig, Limits, ServerConfig, ServerError, SmtpConfig, SmtpSecurity,
};

/// An Interval-compatible server with its dashboard, backed by SQLite or
/// PostgreSQL.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to bind. Anything but loopback requires a dashboard password.
    #[arg(long, env = "INTERVAL_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to bind (the next free one is used when it is taken).
    #[arg(long, env = "INTERVAL_PORT", default_value_t = 3000)]
    port: u16,
    /// Where state is kept: a SQLite file's path, or a PostgreSQL address
    /// (postgres://user:password@host:5432/database), which several server
    /// nodes can share.
    #[arg(
        long,
        env = "INTERVAL_DATABASE",
        default_value = "interval.db",
        hide_env_values = true
    )]
    database: String,
    /// Connections to PostgreSQL per node.
    #[arg(long, env = "INTERVAL_DATABASE_CONNECTIONS", default_value_t = 8)]
    database_connections: u32,
    /// A PostgreSQL schema for the tables (created when missing), to share
    /// one database with other applications.
    #[arg(long, env = "INTERVAL_DATABASE_SCHEMA")]
    database_schema: Option<String>,
    /// A development API key to accept (one is created and printed otherwise).
    #[arg(long, env = "INTERVAL_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// The owner's password (at least 12 characters), for a one-person
    /// server; teams create accounts with `user add` or invitations instead.
    #[arg(long, env = "INTERVAL_DASHBOARD_PASSWORD", hide_env_values = true)]
    dashboard_password: Option<String>,
    /// A header set by a trusted sign-in proxy with the person's e-mail
    /// address (e.g. X-Forwarded-Email from oauth2-proxy).
    #[arg(
        long,
        env = "INTERVAL_TRUSTED_PROXY_HEADER",
        requires = "trusted_proxy"
    )]
    trusted_proxy_header: Option<String>,
    /// The sign-in proxy's addresses (comma-separated): the header is
    /// believed from these only.
    #[arg(
        long,
        env = "INTERVAL_TRUSTED_PROXY",
        value_delimiter = ',',
        requires = "trusted_proxy_header"
    )]
    trusted_proxy: Vec<IpAddr>,
    /// How long a session lasts, used or not.
    #[arg(long, env = "INTERVAL_SESSION_LIFETIME", default_value = "30days", value_parser = humantime::parse_duration)]
    session_lifetime: std::time::Duration,
    /// How long a session lasts unused.
    #[arg(long, env = "INTERVAL_SESSION_IDLE_TIMEOUT", default_value = "3days", value_parser = humantime::parse_duration)]
    session_idle_timeout: std::time::Duration,
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
    #[command(flatten)]
    limits: LimitFlags,
    #[command(flatten)]
    delivery: DeliveryFlags,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Per-connection limits: each host and each dashboard connection has its
/// own budget, so they scale with the number of hosts and tabs.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Limits (per connection)")]
struct LimitFlags {
    /// CALLs one host connection may make per second; the next one closes it
    /// ("Rate limit exceeded", the host reconnects).
    ///
    /// 1024 is Interval's value. It keeps a host in a loop from taking the
    /// server from every other host and dashboard. A transaction costs its
    /// host one call per screen shown, per log line and per loading update,
    /// plus one to complete: an action with one input costs 2, so a host
    /// runs at most about 512 of those a second at the default. Raise it
    /// for a host that runs more.
    #[arg(
        long,
        env = "INTERVAL_HOST_CALLS_PER_SECOND",
        value_name = "N",
        default_value_t = Limits::default().host_calls_per_second,
        value_parser = at_least_one::<u32>
    )]
    host_calls_per_second: u32,
    /// CALLs of one host handled at once; past that its calls wait.
    ///
    /// A call holds its place until the host acknowledges its answer (a
    /// database write, a round trip to the host): 64 sustain 1024 calls a
    /// second while that takes under 62 ms. Raise it with the rate, or for
    /// a distant host or a slow database; it bounds what a host that never
    /// reads its answers holds in memory.
    #[arg(
        long,
        env = "INTERVAL_HOST_CALLS_IN_FLIGHT",
        value_name = "N",
        default_value_t = Limits::default().host_calls_in_flight,
        value_parser = at_least_one::<usize>
    )]
    host_calls_in_flight: usize,
    /// Requests one dashboard connection (a browser tab or a script) may
    /// make per second; past that a request is refused ("Rate limit
    /// exceeded"), the connection stays open.
    ///
    /// A transaction costs its tab one request to start and one per screen
    /// answered: 200 lets one tab run about 100 one-input transactions a
    /// second, far more than a person clicks, and bounds what a script in a
    /// loop asks of the server.
    #[arg(
        long,
        env = "INTERVAL_BROWSER_REQUESTS_PER_SECOND",
        value_name = "N",
        default_value_t = Limits::default().browser_requests_per_second,
        value_parser = at_least_one::<u32>
    )]
    browser_requests_per_second: u32,
}

impl LimitFlags {
    fn apply(&self, limits: Limits) -> Limits {
        Limits {
            host_calls_per_second: self.host_calls_per_second,
            host_calls_in_flight: self.host_calls_in_flight,
            browser_requests_per_second: self.browser_requests_per_second,
            ..limits
        }
    }
}

/// A whole number of at least 1: a limit of 0 would refuse everything (a
/// large value lifts a limit instead).
fn at_least_one<T>(value: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialEq + From<u8>,
    T::Err: std::fmt::Display,
{
    let n: T = value
        .trim()
        .parse()
        .map_err(|e| format!("{e} (expected a whole number, at least 1)"))?;
    if n == T::from(0) {
        let message = "0 would refuse every call; give at least 1 (or a large value, \
                       such as 1000000, to lift the limit)";
        return Err(message.into());
    }
    Ok(n)
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
    CreateLiveKey {
        /// A name for the key, shown on the keys page.
        #[arg(long, default_value = "Created on the command line")]
        name: String,
    },
    /// Manages accounts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Clone, Subcommand)]
enum UserCommand {
    /// Adds an account. Its password is read from INTERVAL_USER_PASSWORD,
    /// or else from the first line of standard input.
    Add {
        /// E-mail address (what the person signs in with).
        #[arg(long)]
        email: String,
        /// First name.
        #[arg(long)]
        first_name: Option<String>,
        /// Last name.
        #[arg(long)]
        last_name: Option<String>,
        /// admin, developer, member (action runner) or viewer.
        #[arg(long, default_value = "admin")]
        role: interval_server::people::Role,
        /// A team slug (repeat for several).
        #[arg(long = "team")]
        teams: Vec<String>,
    },
    /// Lists accounts.
    List,
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

/// `config` with the database `cli` names: a PostgreSQL (or `sqlite:`)
/// address, or a SQLite file's path.
fn with_database(config: ServerConfig, cli: &Cli) -> ServerConfig {
    let mut config = match interval_server::db::Engine::of_url(&cli.database) {
        Some(_) => config.database_url(&cli.database),
        None => config.database(&cli.database),
    };
    config.database_options = interval_server::db::StoreOptions {
        max_connections: cli.database_connections.max(1),
        schema: cli.database_schema.clone(),
        ..Default::default()
    };
    config
}

/// The store `cli` names, for the commands that are not the server.
async fn open_store(cli: &Cli) -> Result<interval_server::db::Store, ServerError> {
    Ok(with_database(ServerConfig::default(), cli)
        .open_store()
        .await?)
}

async fn run(cli: Cli) -> Result<(), ServerError> {
    match &cli.command {
        Some(Command::CreateLiveKey { name }) => {
            let store = open_store(&cli).await?;
            println!("{}", store.create_live_key(name, None).await?);
            store
                .audit(
                    None,
                    "key_created",
                    &format!("{name} (production, command line)"),
                )
                .await;
            return Ok(());
        }
        Some(Command::User(command)) => {
            return user(open_store(&cli).await?, command.clone()).await
        }
        None => {}
    }
    let configured_key = cli.api_key.is_some();
    let mut config = with_database(ServerConfig::default(), &cli)
        .host(cli.host)
        .port(cli.port)
        .shutdown_drain(cli.shutdown_drain)
        .limits(cli.limits.apply(Limits::default()))
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
    if let Some(header) = cli.trusted_proxy_header {
        config = config.trusted_proxy(header, cli.trusted_proxy);
    }
    config = config.sessions(cli.session_lifetime, cli.session_idle_timeout);
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
    println!("Hosts connect to: {}", server.endpoint());
    if !configured_key {
        println!(
            "Development key of the owner, valid while this server runs: {}\n\
             (lasting keys: the dashboard's API keys page)",
            server.api_key()
        );
    }
    tokio::select! {
        _ = shutdown_signal() => server.shutdown(),
        _ = server.closed() => {}
    }
    server.closed().await;
    Ok(())
}

/// `interval-server user …`.
async fn user(store: interval_server::db::Store, command: UserCommand) -> Result<(), ServerError> {
    use interval_server::db::NewPerson;
    match command {
        UserCommand::Add {
            email,
            first_name,
            last_name,
            role,
            teams,
        } => {
            if !interval_server::people::plausible_email(&email) {
                return Err(ServerError::Config(format!(
                    "{email:?} is not an e-mail address"
                )));
            }
            if let Some(bad) = teams
                .iter()
                .find(|t| !interval_server::people::valid_team_slug(t))
            {
                return Err(ServerError::Config(format!(
                    "{bad:?} is not a team slug (a-z, 0-9, - and _)"
                )));
            }
            let password = match std::env::var("INTERVAL_USER_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    eprintln!("Password for {email} (at least 12 characters), then Enter:");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).map_err(|e| {
                        ServerError::Config(format!("could not read the password: {e}"))
                    })?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            if role != interval_server::people::Role::Admin && store.people_count().await? == 0 {
                return Err(ServerError::Config(
                    "the first account must be an admin, who can then invite everyone else: \
                     use --role admin"
                        .into(),
                ));
            }
            let hash = interval_server::hash_password(&password)
                .await
                .map_err(ServerError::Config)?;
            let person = store
                .add_person(&NewPerson {
                    email: &email,
                    first_name: first_name.as_deref(),
                    last_name: last_name.as_deref(),
                    role,
                    password_hash: Some(hash),
                })
                .await?;
            for team in &teams {
                store.join_team(team, &person.id).await?;
            }
            store
                .audit(
                    None,
                    "person_added",
                    &format!("{email} as {} (command line)", role.label()),
                )
                .await;
            println!("Added {email} ({}).", role.label());
        }
        UserCommand::List => {
            for person in store.people().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    person.email,
                    person.display_name(),
                    person.role,
                    person.teams.join(",")
                );
            }
        }
    }
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
