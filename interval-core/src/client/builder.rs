//! [`IntervalBuilder`]: every setting of the client, with the Node SDK's
//! defaults.

use std::sync::Arc;
use std::time::Duration;

use super::Interval;
use crate::config::{Config, LogLevel};
use crate::routes::{Action, ErrorEvent, Page, Route, Routes};

/// Builds an [`Interval`] client; every setting has the Node SDK's default.
#[derive(Debug, Default)]
pub struct IntervalBuilder {
    config: Config,
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
        self.config
            .routes
            .insert(slug.into(), Route::Action(action));
        self
    }

    /// Adds a page at the top level.
    pub fn page(mut self, slug: impl Into<String>, page: Page) -> Self {
        self.config.routes.insert(slug.into(), Route::Page(page));
        self
    }

    /// Adds these routes (e.g. `interval::include_routes!()`) to the ones
    /// set so far; a route with a slug already taken replaces the earlier one.
    pub fn routes(mut self, routes: Routes) -> Self {
        for (slug, route) in routes {
            self.config.routes.insert(slug, route);
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

    /// Base pause between attempts and reconnects (default 3 s).
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.config.retry_interval = interval;
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
        Interval::new(self.config)
    }
}
