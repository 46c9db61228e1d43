//! The per-connection rate limits (issue 15): a host over its budget of
//! calls is closed and hosts within theirs are not, whatever the others do;
//! a dashboard over its budget of requests is refused and stays open; the
//! standalone server's flags set the limits and refuse values that cannot
//! work. Paced clients sleep between calls (a sleep only ever makes them
//! slower), and nothing here measures time.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use interval_protocol::host::{SendIoCall, SendIoCallInputs, SendIoCallReturns};
use interval_server::api::{Reply, Request};
use interval_server::{Limits, ServerConfig, ServerError};
use serde_json::json;
use support::raw_host::RawHost;
use support::{server_with, Dashboard, KEY};

/// Calls per second of the limited servers below.
const LIMIT: u32 = 20;

/// What the server says when it closes a host for its calls.
const HOST_CLOSED: &str = "Rate limit exceeded";

/// What a dashboard request past the limit is answered.
const REQUEST_REFUSED: &str = "Rate limit exceeded: too many requests per second.";

fn limited() -> ServerConfig {
    ServerConfig::default().limits(Limits {
        host_calls_per_second: LIMIT,
        browser_requests_per_second: 5,
        ..Limits::default()
    })
}

fn io_call() -> SendIoCallInputs {
    let render = json!({
        "id": interval_protocol::new_id().to_string(),
        "inputGroupKey": "group-1",
        "toRender": [{"methodName": "INPUT_TEXT", "label": "x", "props": {}, "isStateful": false, "isOptional": false, "isMultiple": false}],
        "kind": "RENDER"
    });
    SendIoCallInputs {
        // No such transaction: the server answers with an error, and the
        // call is counted all the same.
        transaction_id: "nope".into(),
        io_call: render.to_string(),
        skip_client_call: None,
    }
}

/// Makes `calls` calls, each answered before the next, about 10 a second
/// (half of [`LIMIT`]); panics if the connection is closed meanwhile.
async fn paced(mut host: RawHost, calls: usize) -> RawHost {
    for _ in 0..calls {
        let reply = host.call::<SendIoCall>(&io_call()).await;
        assert!(
            matches!(reply, SendIoCallReturns::Error { .. }),
            "{reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    host
}

/// Sends 3 × [`LIMIT`] calls at once; returns how the server closed it.
async fn flood(mut host: RawHost) -> support::raw_host::Closed {
    for _ in 0..3 * LIMIT {
        host.call_no_wait::<SendIoCall>(&io_call()).await;
    }
    host.closed().await
}

#[tokio::test]
async fn a_host_over_its_call_rate_is_closed_and_hosts_within_theirs_are_not() {
    let server = server_with(limited()).await;
    let endpoint = server.endpoint();
    let mut steady = Vec::new();
    for i in 0..3 {
        steady.push(RawHost::initialized(&endpoint, KEY, &format!("steady-{i}"), &["x"]).await);
    }
    let flooding = RawHost::initialized(&endpoint, KEY, "flooding", &["x"]).await;

    // Three hosts at about half the limit for 3 seconds (30 calls each, 90
    // in all: the budget is per connection, not per key or per server),
    // while a fourth floods.
    let steady = futures_util::future::join_all(steady.into_iter().map(|h| paced(h, 30)));
    let (steady, closed) = tokio::join!(steady, flood(flooding));
    assert_eq!(closed.code, Some(1008), "{closed:?}");
    assert!(closed.reason.starts_with(HOST_CLOSED), "{closed:?}");
    // The steady ones are still served.
    for mut host in steady {
        let reply = host.call::<SendIoCall>(&io_call()).await;
        assert!(
            matches!(reply, SendIoCallReturns::Error { .. }),
            "{reply:?}"
        );
    }
}

#[tokio::test]
async fn a_dashboard_over_its_request_rate_is_refused_and_stays_open() {
    let server = server_with(limited()).await;
    let mut eager = Dashboard::connect(&server).await;
    let mut other = Dashboard::connect(&server).await;
    // 5 a second: 12 requests one after the other, each answered in far less
    // than a second, go over it.
    let mut refused = 0;
    for _ in 0..12 {
        match eager.request(Request::Routes).await {
            Ok(Reply::Routes { .. }) => {}
            Err(message) if message == REQUEST_REFUSED => refused += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(refused > 0, "no request was refused");
    // Another connection has its own budget.
    assert!(matches!(
        other.request(Request::Routes).await,
        Ok(Reply::Routes { .. })
    ));
    // The refused one stays open and is served again in the next window.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(matches!(
        eager.request(Request::Routes).await,
        Ok(Reply::Routes { .. })
    ));
}

#[tokio::test]
async fn limits_that_refuse_everything_do_not_start() {
    for (limits, name) in [
        (
            Limits {
                host_calls_per_second: 0,
                ..Limits::default()
            },
            "host_calls_per_second",
        ),
        (
            Limits {
                host_calls_in_flight: 0,
                ..Limits::default()
            },
            "host_calls_in_flight",
        ),
        (
            Limits {
                browser_requests_per_second: 0,
                ..Limits::default()
            },
            "browser_requests_per_second",
        ),
    ] {
        let config = ServerConfig::default().port(0).limits(limits);
        match interval_server::start(config).await {
            Err(ServerError::Config(message)) => {
                assert!(message.contains(name), "{message}");
                assert!(message.contains("at least 1"), "{message}");
            }
            Err(other) => panic!("{name}: {other}"),
            Ok(_) => panic!("{name} = 0 started"),
        }
    }
}

/// The limit variables, removed from every run of the binary here.
const LIMIT_VARIABLES: [&str; 3] = [
    "INTERVAL_HOST_CALLS_PER_SECOND",
    "INTERVAL_HOST_CALLS_IN_FLIGHT",
    "INTERVAL_BROWSER_REQUESTS_PER_SECOND",
];

fn binary(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_interval-server"));
    command.args(args).env("RUST_LOG", "warn");
    for variable in LIMIT_VARIABLES {
        command.env_remove(variable);
    }
    command.envs(env.iter().copied());
    command
}

/// Runs the binary to its end; its success and standard error.
fn run_binary(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let output = binary(args, env)
        .stdin(Stdio::null())
        .output()
        .expect("the server's binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The standalone server, on a free port and a database of its own.
struct Standalone {
    child: Child,
    endpoint: String,
    database: PathBuf,
}

impl Standalone {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Standalone {
        let database = std::env::temp_dir().join(format!(
            "interval-limits-{}.db",
            interval_protocol::new_id()
        ));
        let mut all = vec![
            "--port",
            "0",
            "--api-key",
            KEY,
            "--database",
            database.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        let mut child = binary(&all, env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server's binary starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let endpoint = loop {
            let line = lines
                .next()
                .expect("the server printed its endpoint")
                .unwrap();
            if let Some(endpoint) = line.strip_prefix("Hosts connect to: ") {
                break endpoint.trim().to_owned();
            }
        };
        // Whatever it logs next is read and dropped.
        std::thread::spawn(move || lines.for_each(drop));
        Standalone {
            child,
            endpoint,
            database,
        }
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.database.display()));
        }
        let _ = std::fs::remove_dir_all(format!("{}.uploads", self.database.display()));
    }
}

#[tokio::test]
async fn the_binary_takes_the_host_limit_from_its_flag_or_its_variable() {
    let by_flag = Standalone::start(&["--host-calls-per-second", &LIMIT.to_string()], &[]);
    let by_variable = Standalone::start(&[], &[("INTERVAL_HOST_CALLS_PER_SECOND", "20")]);
    for server in [&by_flag, &by_variable] {
        let steady = RawHost::initialized(&server.endpoint, KEY, "steady", &["x"]).await;
        let flooding = RawHost::initialized(&server.endpoint, KEY, "flooding", &["x"]).await;
        let (mut steady, closed) = tokio::join!(paced(steady, 25), flood(flooding));
        assert_eq!(closed.code, Some(1008), "{closed:?}");
        assert!(closed.reason.starts_with(HOST_CLOSED), "{closed:?}");
        steady.call::<SendIoCall>(&io_call()).await;
    }

    // At the default (1024), the same flood of 60 calls is served.
    let default = Standalone::start(&[], &[]);
    let mut host = RawHost::initialized(&default.endpoint, KEY, "busy", &["x"]).await;
    for _ in 0..3 * LIMIT {
        host.call_no_wait::<SendIoCall>(&io_call()).await;
    }
    // Answered after the others (`call` panics if the connection closes).
    host.call::<SendIoCall>(&io_call()).await;
}

#[test]
fn the_binary_refuses_limits_that_cannot_work() {
    // Checked before anything is opened: no database is needed.
    for (args, env, flag) in [
        (
            &["--host-calls-per-second", "0"][..],
            &[][..],
            "--host-calls-per-second",
        ),
        (
            &[][..],
            &[("INTERVAL_HOST_CALLS_PER_SECOND", "0")][..],
            "--host-calls-per-second",
        ),
        (
            &["--host-calls-in-flight", "0"][..],
            &[][..],
            "--host-calls-in-flight",
        ),
        (
            &[][..],
            &[("INTERVAL_BROWSER_REQUESTS_PER_SECOND", "0")][..],
            "--browser-requests-per-second",
        ),
    ] {
        let (ok, stderr) = run_binary(args, env);
        assert!(!ok, "{args:?} {env:?} was accepted");
        assert!(
            stderr.contains(flag) && stderr.contains("0 would refuse every call"),
            "{stderr}"
        );
    }
    for bad in ["-5", "lots", "4294967296"] {
        let arg = format!("--browser-requests-per-second={bad}");
        let (ok, stderr) = run_binary(&[&arg], &[]);
        assert!(!ok, "{bad} was accepted");
        assert!(
            stderr.contains("--browser-requests-per-second") && stderr.contains("at least 1"),
            "{stderr}"
        );
    }
}

#[test]
fn the_help_names_each_limit_its_variable_and_its_default() {
    let output = binary(&["--help"], &[])
        .output()
        .expect("the server's binary runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    let defaults = Limits::default();
    for (flag, variable, default) in [
        (
            "--host-calls-per-second",
            "INTERVAL_HOST_CALLS_PER_SECOND",
            defaults.host_calls_per_second.to_string(),
        ),
        (
            "--host-calls-in-flight",
            "INTERVAL_HOST_CALLS_IN_FLIGHT",
            defaults.host_calls_in_flight.to_string(),
        ),
        (
            "--browser-requests-per-second",
            "INTERVAL_BROWSER_REQUESTS_PER_SECOND",
            defaults.browser_requests_per_second.to_string(),
        ),
    ] {
        let at = help
            .find(flag)
            .unwrap_or_else(|| panic!("{flag} not in the help:\n{help}"));
        // The entry's first `[env: …]` and `[default: …]`.
        let entry = &help[at..];
        let env = &entry[entry.find("[env: ").expect("an [env: …]")..];
        assert!(env.starts_with(&format!("[env: {variable}=")), "{entry}");
        let shown = &entry[entry.find("[default: ").expect("a [default: …]")..];
        assert!(
            shown.starts_with(&format!("[default: {default}]")),
            "{entry}"
        );
    }
}

/// `--help` shows which variables are set, never what secrets they hold:
/// the database's address (with its password), the API key, the dashboard
/// password.
#[test]
fn the_help_never_shows_a_secret_from_the_environment() {
    let secrets = [
        (
            "INTERVAL_DATABASE",
            "postgres://interval:db-secret-1@db/interval",
        ),
        ("INTERVAL_API_KEY", "dev_key-secret-2"),
        ("INTERVAL_DASHBOARD_PASSWORD", "password-secret-3"),
        ("INTERVAL_SMTP_PASSWORD", "smtp-secret-4"),
    ];
    let output = binary(&["--help"], &secrets)
        .output()
        .expect("the server's binary runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for (variable, secret) in secrets {
        assert!(help.contains(variable), "--help names {variable}");
        assert!(!help.contains(secret), "--help shows {variable}'s value");
    }
}
