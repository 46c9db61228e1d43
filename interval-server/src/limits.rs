//! Per-connection and per-server limits: a fixed-window rate limiter, and
//! slots for concurrent connections.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
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

/// Slots for concurrent connections: so many in all, so many per address.
#[derive(Debug)]
pub struct ConnectionSlots {
    total: usize,
    per_address: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection's slot, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<ConnectionSlots>,
    address: IpAddr,
}

impl ConnectionSlots {
    /// `total` slots, at most `per_address` of them for one address.
    pub fn new(total: usize, per_address: usize) -> Arc<Self> {
        Arc::new(ConnectionSlots {
            total,
            per_address,
            open: Mutex::default(),
        })
    }

    /// A slot for a connection from `address`, if one is free.
    pub fn take(self: &Arc<Self>, address: IpAddr) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let total: usize = open.values().sum();
        let mine = open.entry(address).or_insert(0);
        if total >= self.total || *mine >= self.per_address {
            return None;
        }
        *mine += 1;
        Some(Slot {
            slots: self.clone(),
            address,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slots_are_shared_out_and_given_back() {
        let a = "127.0.0.2".parse().unwrap();
        let b = "127.0.0.3".parse().unwrap();
        let slots = super::ConnectionSlots::new(3, 2);
        let first = slots.take(a).unwrap();
        let _second = slots.take(a).unwrap();
        assert!(slots.take(a).is_none(), "past the per-address limit");
        let _third = slots.take(b).unwrap();
        assert!(slots.take(b).is_none(), "past the total");
        drop(first);
        assert!(slots.take(b).is_some());
    }

    #[test]
    fn refuses_past_the_budget() {
        let mut limiter = super::RateLimiter::new(3);
        assert!((0..3).all(|_| limiter.allow()));
        assert!(!limiter.allow());
    }
}
