//! Checks of secrets (the dashboard password, live API keys), rationed.
//!
//! An argon2 verification takes tens of milliseconds of CPU by design. Run
//! on the async workers, a handful of parallel wrong guesses would stall
//! every connection of the server. So each check runs on tokio's blocking
//! pool, behind a global limit of concurrent checks and a per-address one,
//! and every failure costs its sender: the answer to a wrong secret is
//! delayed (more with each failure), and an address or an account with too
//! many failures in a window is locked out for a while without any check
//! being run at all.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::limits::ConnectionSlots;

/// How the checks are rationed.
#[derive(Debug, Clone, Copy)]
pub struct CheckLimits {
    /// Checks running at once, server-wide (default: half the CPUs, at
    /// least one, so that a storm of guesses leaves the other half to
    /// everyone else).
    pub concurrent: usize,
    /// Checks running at once for one address.
    pub concurrent_per_address: usize,
    /// How long a check may wait for a free slot before it is refused.
    pub queue_timeout: Duration,
    /// The delay of the answer to the first failure; each further failure in
    /// the window doubles it, up to `max_delay`.
    pub first_delay: Duration,
    /// The longest delay of an answer.
    pub max_delay: Duration,
    /// Failures are counted within this window (from the first one).
    pub window: Duration,
    /// Failures from one address, within the window, that lock it out.
    pub address_lockout_after: u32,
    /// Failures against one account, within the window, that lock it out
    /// (higher than per address: an attacker should not lock out the
    /// people who know the secret too easily).
    pub account_lockout_after: u32,
    /// How long a lockout lasts.
    pub lockout: Duration,
}

impl Default for CheckLimits {
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        CheckLimits {
            concurrent: (cpus / 2).max(1),
            concurrent_per_address: 2,
            queue_timeout: Duration::from_secs(5),
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            window: Duration::from_secs(15 * 60),
            address_lockout_after: 10,
            account_lockout_after: 50,
            lockout: Duration::from_secs(15 * 60),
        }
    }
}

/// Why a check was not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Too many failures: no check until the lockout ends.
    LockedOut {
        /// How long until it ends.
        retry_after: Duration,
    },
    /// Too many checks at once (from this address, or server-wide).
    Busy,
}

impl Refused {
    /// What to tell the client.
    pub fn message(&self) -> String {
        match self {
            Refused::LockedOut { retry_after } => format!(
                "Too many failed attempts; try again in {} minute(s).",
                retry_after.as_secs().div_ceil(60).max(1)
            ),
            Refused::Busy => "Too many attempts at once; try again shortly.".into(),
        }
    }
}

/// Who failed: an address, or an account (the dashboard, a key id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Subject {
    Address(IpAddr),
    Account(String),
}

#[derive(Debug)]
struct Failures {
    count: u32,
    since: Instant,
    locked_until: Option<Instant>,
}

/// The most subjects remembered; past it, entries whose window ended are
/// forgotten first (and, if none has, the oldest).
const MAX_SUBJECTS: usize = 10_000;

/// Rations secret checks; shared by every route that checks a secret.
pub struct SecretChecks {
    limits: CheckLimits,
    permits: Arc<Semaphore>,
    failures: Mutex<HashMap<Subject, Failures>>,
    /// Checks in flight per address.
    per_address: Arc<ConnectionSlots>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl SecretChecks {
    /// Checks rationed by `limits`.
    pub fn new(limits: CheckLimits) -> Self {
        SecretChecks {
            permits: Arc::new(Semaphore::new(limits.concurrent.max(1))),
            per_address: ConnectionSlots::new(usize::MAX, limits.concurrent_per_address.max(1)),
            limits,
            failures: Mutex::default(),
        }
    }

    /// Runs `verify` (a slow, blocking check of a secret presented from
    /// `address` for `account`) on the blocking pool, if neither is locked
    /// out and a slot is free. A failure is answered after a delay that
    /// grows with the failures of the address and the account.
    pub async fn check(
        &self,
        address: Option<IpAddr>,
        account: &str,
        verify: impl FnOnce() -> bool + Send + 'static,
    ) -> Result<bool, Refused> {
        let subjects = [
            address.map(Subject::Address),
            Some(Subject::Account(account.to_owned())),
        ];
        let now = Instant::now();
        if let Some(retry_after) = subjects
            .iter()
            .flatten()
            .filter_map(|s| self.locked(s, now))
            .max()
        {
            return Err(Refused::LockedOut { retry_after });
        }
        // Counted for its address until the check is over.
        let _slot = match address {
            Some(address) => Some(self.per_address.take(address).ok_or(Refused::Busy)?),
            None => None,
        };
        let permit = tokio::time::timeout(
            self.limits.queue_timeout,
            self.permits.clone().acquire_owned(),
        )
        .await
        .map_err(|_| Refused::Busy)?
        .map_err(|_| Refused::Busy)?;
        let verified = tokio::task::spawn_blocking(move || {
            let verified = verify();
            drop(permit);
            verified
        })
        .await
        .unwrap_or(false);
        if verified {
            let mut failures = lock(&self.failures);
            for subject in subjects.iter().flatten() {
                failures.remove(subject);
            }
            return Ok(true);
        }
        let delay = subjects
            .iter()
            .flatten()
            .map(|subject| self.failed(subject))
            .max()
            .unwrap_or_default();
        tokio::time::sleep(delay).await;
        Ok(false)
    }

    /// How long `subject` stays locked out, if it is.
    fn locked(&self, subject: &Subject, now: Instant) -> Option<Duration> {
        let failures = lock(&self.failures);
        let until = failures.get(subject)?.locked_until?;
        (until > now).then(|| until - now)
    }

    /// Records a failure of `subject`; returns the delay its answer gets.
    fn failed(&self, subject: &Subject) -> Duration {
        let limits = &self.limits;
        let now = Instant::now();
        let mut failures = lock(&self.failures);
        if failures.len() >= MAX_SUBJECTS && !failures.contains_key(subject) {
            failures.retain(|_, f| {
                now.duration_since(f.since) < limits.window
                    || f.locked_until.is_some_and(|u| u > now)
            });
            if failures.len() >= MAX_SUBJECTS {
                if let Some(oldest) = failures
                    .iter()
                    .min_by_key(|(_, f)| f.since)
                    .map(|(s, _)| s.clone())
                {
                    failures.remove(&oldest);
                }
            }
        }
        let entry = failures.entry(subject.clone()).or_insert(Failures {
            count: 0,
            since: now,
            locked_until: None,
        });
        if now.duration_since(entry.since) >= limits.window
            && entry.locked_until.map_or(true, |u| u <= now)
        {
            *entry = Failures {
                count: 0,
                since: now,
                locked_until: None,
            };
        }
        entry.count += 1;
        let lockout_after = match subject {
            Subject::Address(_) => limits.address_lockout_after,
            Subject::Account(_) => limits.account_lockout_after,
        };
        if entry.count >= lockout_after {
            entry.locked_until = Some(now + limits.lockout);
            tracing::warn!(
                "{subject:?} locked out for {:?} after {} failed attempts",
                limits.lockout,
                entry.count
            );
        }
        let doublings = entry.count.saturating_sub(1).min(16);
        limits
            .first_delay
            .saturating_mul(1 << doublings)
            .min(limits.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> CheckLimits {
        CheckLimits {
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            address_lockout_after: 3,
            account_lockout_after: 5,
            ..CheckLimits::default()
        }
    }

    const A: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2)));
    const B: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 3)));

    #[tokio::test]
    async fn an_address_is_locked_out_after_its_failures_and_checks_stop() {
        let checks = SecretChecks::new(fast());
        for _ in 0..3 {
            assert_eq!(checks.check(A, "dashboard", || false).await, Ok(false));
        }
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        let refused = checks
            .check(A, "dashboard", move || {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                true
            })
            .await;
        assert!(
            matches!(refused, Err(Refused::LockedOut { .. })),
            "{refused:?}"
        );
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "a locked-out check ran"
        );
        // Another address still gets checked, and its success clears it.
        assert_eq!(checks.check(B, "dashboard", || true).await, Ok(true));
    }

    #[tokio::test]
    async fn an_account_is_locked_out_after_failures_from_many_addresses() {
        let checks = SecretChecks::new(fast());
        for i in 0..5u8 {
            let address = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, i)));
            assert_eq!(checks.check(address, "key-1", || false).await, Ok(false));
        }
        let refused = checks.check(B, "key-1", || true).await;
        assert!(
            matches!(refused, Err(Refused::LockedOut { .. })),
            "{refused:?}"
        );
        assert_eq!(checks.check(B, "key-2", || true).await, Ok(true));
    }

    #[test]
    fn delays_grow_with_failures_up_to_the_cap() {
        let checks = SecretChecks::new(CheckLimits {
            address_lockout_after: 100,
            ..CheckLimits::default()
        });
        let subject = Subject::Address(A.unwrap());
        let delays: Vec<Duration> = (0..6).map(|_| checks.failed(&subject)).collect();
        assert_eq!(delays[0], Duration::from_millis(250));
        assert_eq!(delays[1], Duration::from_millis(500));
        assert_eq!(delays[2], Duration::from_secs(1));
        assert_eq!(delays[5], Duration::from_secs(4));
    }

    #[tokio::test]
    async fn one_address_gets_only_its_share_of_concurrent_checks() {
        let checks = Arc::new(SecretChecks::new(CheckLimits {
            concurrent_per_address: 1,
            ..fast()
        }));
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let first = {
            let checks = checks.clone();
            tokio::spawn(async move {
                checks
                    .check(A, "dashboard", move || {
                        started_tx.send(()).unwrap();
                        release_rx.recv().is_ok()
                    })
                    .await
            })
        };
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        assert_eq!(
            checks.check(A, "dashboard", || true).await,
            Err(Refused::Busy)
        );
        release_tx.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok(true));
        assert_eq!(checks.check(A, "dashboard", || true).await, Ok(true));
    }
}
