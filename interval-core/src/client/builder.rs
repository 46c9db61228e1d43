//! [`IntervalBuilder`]: every setting of the client, with the Node SDK's
//! defaults.

use std::sync::Arc;
use std::time::Duration;

use super::interval::Interval;
use crate::config::{Config, LogLevel};
use crate::outcome::ErrorEvent;
use crate::routes::{Action, Page, Route, Routes};

/// Builds an [`Interval`] client; every setting has the Node SDK's default.
#[derive(Debug, Default)]
pub struct IntervalBuilder {
    config: Config,
    routes: Routes,
}

impl IntervalBuilder {
    /// The API key.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.config.api_key = Some(key.into());
        self
    }

    /// The server's WebSocket URL, e.g. `ws://localhost:3000/websocket`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.config.endpoint = Some(endpoint.into());
        self
    }

    /// Adds an action at the top level.
    pub fn action(mut self, slug: impl Into<String>, action: Action) -> Self {
        self.routes.insert(slug.into(), Route::Action(action));
        self
    }

    /// Adds a page at the top level.
    pub fn page(mut self, slug: impl Into<String>, page: Page) -> Self {
        self.routes.insert(slug.into(), Route::Page(page));
        self
    }

    /// Adds these routes (e.g. `interval::include_routes!()`) to the ones
    /// set so far; a route with a slug already taken replaces the earlier one.
    pub fn routes(mut self, routes: Routes) -> Self {
        for (slug, route) in routes {
            self.routes.insert(slug, route);
        }
        self
    }

    /// How much to log (default [`LogLevel::Info`]).
    pub fn log_level(mut self, level: LogLevel) -> Self {
        self.config.log_level = level;
        self
    }

    /// ACK wait per frame, multiplied by the attempt number (default 5 s).
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.config.send_timeout = timeout;
        self
    }

    /// Base pause between attempts of a call (default 3 s).
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.config.retry_interval = interval;
        self
    }

    /// The first and the longest delay of the connection back-off (defaults
    /// 100 ms and 30 s): attempt *n* to connect or reconnect waits
    /// `min(max, initial × 2^(n-1))`, times a random factor in `[0.5, 1]`.
    pub fn reconnect_delays(mut self, initial: Duration, max: Duration) -> Self {
        self.config.reconnect_initial_delay = initial;
        self.config.reconnect_max_delay = max.max(initial);
        self
    }

    /// Make `listen()` fail at the first failed connection instead of
    /// retrying with back-off (default `false`; for scripts). A rejected API
    /// key fails at once either way.
    pub fn fail_fast(mut self, yes: bool) -> Self {
        self.config.fail_fast = yes;
        self
    }

    /// How long `safely_close` waits for running transactions and open pages
    /// before closing anyway (default 10 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.config.shutdown_timeout = timeout;
        self
    }

    /// Attempts per call (default 10).
    pub fn max_resend_attempts(mut self, attempts: u32) -> Self {
        self.config.max_resend_attempts = attempts;
        self
    }

    /// How often to ping the server (default 30 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.config.ping_interval = interval;
        self
    }

    /// How long to wait for a pong (default 5 s).
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.config.ping_timeout = timeout;
        self
    }

    /// Reconnect after this long without a successful ping (default 3 min).
    pub fn close_unresponsive_timeout(mut self, timeout: Duration) -> Self {
        self.config.close_unresponsive_timeout = timeout;
        self
    }

    /// Debounce of re-declaring routes changed at run time (default 200 ms).
    pub fn reinitialize_batch_timeout(mut self, timeout: Duration) -> Self {
        self.config.reinitialize_batch_timeout = timeout;
        self
    }

    /// How long to wait for the server's handshake (default 15 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// How long to wait for the answer to an acknowledged call (default 60 s).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.config.response_timeout = timeout;
        self
    }

    /// Called whenever an action fails (not when it is canceled).
    pub fn on_error(mut self, callback: impl Fn(ErrorEvent) + Send + Sync + 'static) -> Self {
        self.config.on_error = Some(Arc::new(callback));
        self
    }

    /// The client.
    pub fn build(self) -> Interval {
        Interval::new(self.config, self.routes)
    }
}

impl Interval {
    /// A builder with every default.
    pub fn builder() -> IntervalBuilder {
        IntervalBuilder::default()
    }

    /// A builder with `api_key` and `endpoint` taken from `INTERVAL_API_KEY`
    /// and `INTERVAL_ENDPOINT` (when set), `log_level` from
    /// `INTERVAL_LOG_LEVEL` (`quiet`, `info`, `debug`) and `fail_fast` from
    /// `INTERVAL_FAIL_FAST` (`1` or `true`).
    pub fn from_env() -> IntervalBuilder {
        let mut builder = Interval::builder();
        if let Some(key) = std::env::var("INTERVAL_API_KEY")
            .ok()
            .filter(|v| !v.is_empty())
        {
            builder = builder.api_key(key);
        }
        if let Some(endpoint) = std::env::var("INTERVAL_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty())
        {
            builder = builder.endpoint(endpoint);
        }
        if let Ok(level) = std::env::var("INTERVAL_LOG_LEVEL") {
            match level.parse::<LogLevel>() {
                Ok(level) => builder = builder.log_level(level),
                Err(e) => eprintln!("interval: ignoring INTERVAL_LOG_LEVEL: {e}"),
            }
        }
        if let Ok(value) = std::env::var("INTERVAL_FAIL_FAST") {
            builder = builder.fail_fast(matches!(value.as_str(), "1" | "true" | "yes"));
        }
        builder
    }
}
