//! Configuration of the [`Interval`](crate::Interval) client, with the
//! defaults of the official Node SDK.

use std::fmt;
use std::time::Duration;

use crate::outcome::OnError;

/// How much the runtime logs (mapped onto `tracing` levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// Only errors, warnings and essential messages.
    Quiet,
    /// Connection events, the dashboard URL and warnings (the default).
    #[default]
    Info,
    /// Everything, including every protocol message.
    Debug,
}

impl LogLevel {
    /// The `tracing` filter directive for this level.
    pub fn as_filter(self) -> &'static str {
        match self {
            LogLevel::Quiet => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

impl std::str::FromStr for LogLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "quiet" => Ok(LogLevel::Quiet),
            // "prod" is the Node SDK's alias of "info".
            "info" | "prod" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            other => Err(format!(
                "unknown log level {other:?}: expected quiet, info or debug"
            )),
        }
    }
}

/// The client's settings (its routes are given beside them); build both with
/// [`Interval::builder`](crate::Interval::builder).
#[derive(Clone)]
pub struct Config {
    /// The API key, sent as `x-api-key` and as the HTTP API's bearer token.
    pub api_key: Option<String>,
    /// The WebSocket URL of the server, e.g. `ws://localhost:3000/websocket`.
    pub endpoint: Option<String>,
    /// How much to log.
    pub log_level: LogLevel,
    /// How long to wait for the ACK of a frame; attempt *n* waits *n* times
    /// as long (default 5 s).
    pub send_timeout: Duration,
    /// Pause between attempts of a call, growing linearly with the attempt
    /// number (default 3 s).
    pub retry_interval: Duration,
    /// The first delay of the connection back-off (default 100 ms): attempt
    /// *n* to (re)connect waits `min(reconnect_max_delay, reconnect_initial_delay
    /// × 2^(n-1))`, times a random factor in `[0.5, 1]`.
    pub reconnect_initial_delay: Duration,
    /// The cap of the connection back-off (default 30 s).
    pub reconnect_max_delay: Duration,
    /// Make `listen()` fail at the first failed connection instead of
    /// retrying (default `false`; `INTERVAL_FAIL_FAST=1` in
    /// [`Interval::from_env`](crate::Interval::from_env)). Scripts use it.
    pub fail_fast: bool,
    /// How long `safely_close` waits for running transactions and open pages
    /// before closing anyway (default 10 s).
    pub shutdown_timeout: Duration,
    /// How many times a call is sent before giving up (default 10).
    pub max_resend_attempts: u32,
    /// How often the connection is pinged (default 30 s).
    pub ping_interval: Duration,
    /// How long to wait for a pong (default 5 s).
    pub ping_timeout: Duration,
    /// Close and reconnect after this long without a successful ping
    /// (default 3 min).
    pub close_unresponsive_timeout: Duration,
    /// Debounce of re-declaring routes changed at run time (default 200 ms).
    pub reinitialize_batch_timeout: Duration,
    /// How long to wait for the server's `"authenticated"` (default 15 s).
    pub connect_timeout: Duration,
    /// How long to wait for the RESPONSE of an acknowledged call. The
    /// protocol has no such timeout; interval-rs never waits forever
    /// (default 60 s, the server's own limit for a queued `INITIALIZE_HOST`).
    pub response_timeout: Duration,
    /// Called when an action handler fails (not when it is canceled).
    pub on_error: Option<OnError>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_key: None,
            endpoint: None,
            log_level: LogLevel::Info,
            send_timeout: Duration::from_secs(5),
            retry_interval: Duration::from_secs(3),
            reconnect_initial_delay: Duration::from_millis(100),
            reconnect_max_delay: Duration::from_secs(30),
            fail_fast: false,
            shutdown_timeout: Duration::from_secs(10),
            max_resend_attempts: 10,
            ping_interval: Duration::from_secs(30),
            ping_timeout: Duration::from_secs(5),
            close_unresponsive_timeout: Duration::from_secs(180),
            reinitialize_batch_timeout: Duration::from_millis(200),
            connect_timeout: Duration::from_secs(15),
            response_timeout: Duration::from_secs(60),
            on_error: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("endpoint", &self.endpoint)
            .field("log_level", &self.log_level)
            .field("send_timeout", &self.send_timeout)
            .field("retry_interval", &self.retry_interval)
            .field("reconnect_initial_delay", &self.reconnect_initial_delay)
            .field("reconnect_max_delay", &self.reconnect_max_delay)
            .field("fail_fast", &self.fail_fast)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("max_resend_attempts", &self.max_resend_attempts)
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field(
                "close_unresponsive_timeout",
                &self.close_unresponsive_timeout,
            )
            .field(
                "reinitialize_batch_timeout",
                &self.reinitialize_batch_timeout,
            )
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("on_error", &self.on_error.as_ref().map(|_| "<callback>"))
            .finish()
    }
}
