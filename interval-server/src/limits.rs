//! A fixed-window rate limiter per connection.

use std::time::{Duration, Instant};

/// Counts events per one-second window.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: u32,
    window_start: Instant,
    count: u32,
}

impl RateLimiter {
    /// Allows `per_second` events per second.
    pub fn new(per_second: u32) -> Self {
        RateLimiter {
            per_second,
            window_start: Instant::now(),
            count: 0,
        }
    }

    /// Counts one event; `false` when the window's budget is spent.
    pub fn allow(&mut self) -> bool {
        if self.window_start.elapsed() >= Duration::from_secs(1) {
            self.window_start = Instant::now();
            self.count = 0;
        }
        self.count += 1;
        self.count <= self.per_second
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn refuses_past_the_budget() {
        let mut limiter = super::RateLimiter::new(3);
        assert!((0..3).all(|_| limiter.allow()));
        assert!(!limiter.allow());
    }
}
