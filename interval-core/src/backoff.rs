//! The schedule of connection attempts (first connect and reconnect).
//!
//! Attempt *n* (1-based) waits `min(max, initial × 2^(n-1))`, scaled by a
//! jitter factor drawn from `[0.5, 1]` ("equal jitter"), so that many hosts
//! do not come back in lockstep. With the defaults (`initial` 100 ms, `max`
//! 30 s) the nominal delays are 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8,
//! 25.6, 30, 30, … s: a host usually finds a restarted server within a
//! second or two, and one whose server is down for long tries twice a
//! minute at most.

use std::time::Duration;

/// The delay before connection attempt `attempt` (1-based; 0 counts as 1),
/// with `jitter` in `[0, 1]` picking a point in `[half, full]` of the
/// nominal delay.
pub(crate) fn delay(initial: Duration, max: Duration, attempt: u32, jitter: f64) -> Duration {
    let doublings = attempt.max(1) - 1;
    // 2^20 × anything sensible is past any cap: stop doubling there.
    let nominal = initial
        .checked_mul(1u32 << doublings.min(20))
        .unwrap_or(max)
        .min(max);
    nominal.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// The delays of successive attempts, jittered by `rng`.
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    attempt: u32,
    rng: fastrand::Rng,
}

impl Backoff {
    /// A schedule starting at `initial`, capped at `max`, with random jitter.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff::with_rng(initial, max, fastrand::Rng::new())
    }

    /// The same with the jitter drawn from `rng` (seeded in tests).
    pub fn with_rng(initial: Duration, max: Duration, rng: fastrand::Rng) -> Self {
        Backoff {
            initial,
            max,
            attempt: 0,
            rng,
        }
    }

    /// Starts again from the first delay.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The number of the next attempt and the delay to wait before it.
    pub fn next_delay(&mut self) -> (u32, Duration) {
        self.attempt = self.attempt.saturating_add(1);
        let jitter = self.rng.f64();
        (
            self.attempt,
            delay(self.initial, self.max, self.attempt, jitter),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_schedule_doubles_from_the_initial_delay_up_to_the_cap() {
        let nominal: Vec<_> = (1..=12)
            .map(|n| delay(100 * MS, 30_000 * MS, n, 1.0).as_millis())
            .collect();
        assert_eq!(
            nominal,
            [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000]
        );
        // Jitter keeps at least half of the nominal delay.
        assert_eq!(delay(100 * MS, 30_000 * MS, 1, 0.0), 50 * MS);
        assert_eq!(delay(100 * MS, 30_000 * MS, 40, 0.0), 15_000 * MS);
        assert_eq!(delay(100 * MS, 30_000 * MS, u32::MAX, 1.0), 30_000 * MS);
        assert_eq!(delay(100 * MS, 30_000 * MS, 0, 1.0), 100 * MS);
    }

    #[test]
    fn a_seeded_schedule_is_deterministic_and_within_bounds() {
        let run = || {
            let mut backoff = Backoff::with_rng(100 * MS, 30_000 * MS, fastrand::Rng::with_seed(7));
            (0..12).map(|_| backoff.next_delay()).collect::<Vec<_>>()
        };
        let delays = run();
        assert_eq!(delays, run());
        for (attempt, delay) in &delays {
            let nominal = (100 * MS * (1 << (attempt - 1).min(20))).min(30_000 * MS);
            assert!(
                *delay >= nominal / 2 && *delay <= nominal,
                "{attempt}: {delay:?}"
            );
        }
        // A restarted server is found quickly: the first five attempts
        // together take at most 3.1 s.
        let first_five: Duration = delays[..5].iter().map(|(_, d)| *d).sum();
        assert!(first_five <= 3100 * MS, "{first_five:?}");
        let mut backoff = Backoff::with_rng(100 * MS, 30_000 * MS, fastrand::Rng::with_seed(7));
        backoff.next_delay();
        backoff.reset();
        let (attempt, delay) = backoff.next_delay();
        assert_eq!(attempt, 1);
        assert!(delay >= 50 * MS && delay <= 100 * MS, "{delay:?}");
    }
}
