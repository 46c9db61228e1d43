//! What a storm of wrong logins does to everyone else (a bench binary, not a
//! timed test):
//!
//! ```sh
//! cargo bench -p interval-server --bench login_storm
//! ```
//!
//! Measures `/health` latency (p50, p99) on an idle server, then while 64
//! clients from 32 loopback addresses post wrong dashboard passwords as fast
//! as they are answered, in the same run: once with the default limits
//! (addresses get locked out), once with lockouts off so that every guess
//! that finds a free slot is checked with argon2. The server runs on its own
//! runtime (two workers), the clients on another. Secret checks run on the
//! blocking pool behind their limits, so the storm costs the server a
//! bounded share of the CPU and none of its async workers.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use interval_server::{CheckLimits, ServerConfig};

const SAMPLES: usize = 1_000;
const ATTACKERS: usize = 64;
const ADDRESSES: u8 = 32;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let clients = tokio::runtime::Runtime::new().expect("a runtime");
    println!("default limits (lockouts after 10 failures per address):");
    clients.block_on(run(serve(CheckLimits::default())));
    println!("lockouts off (every guess that gets a slot is checked):");
    clients.block_on(run(serve(CheckLimits {
        address_lockout_after: u32::MAX,
        account_lockout_after: u32::MAX,
        max_delay: Duration::ZERO,
        first_delay: Duration::ZERO,
        ..CheckLimits::default()
    })));
}

/// Starts a server on its own runtime; returns its address.
fn serve(checks: CheckLimits) -> SocketAddr {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let config = ServerConfig::default()
                .port(0)
                .dashboard_password("correct-horse-battery-staple")
                .secret_checks(checks);
            let server = interval_server::start(config)
                .await
                .expect("the server starts");
            addr_tx.send(server.addr()).expect("the bench waits");
            server.closed().await;
        });
    });
    addr_rx.recv().expect("the server's address")
}

async fn health_latencies(http: &reqwest::Client, url: &str) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let start = Instant::now();
        let reply = http.get(url).send().await.expect("/health answers");
        assert!(reply.status().is_success());
        let _ = reply.bytes().await;
        samples.push(start.elapsed());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    samples.sort();
    samples
}

async fn run(addr: SocketAddr) {
    let health_url = format!("http://{addr}/health");
    let http = reqwest::Client::new();
    // Warm up.
    for _ in 0..50 {
        let _ = http.get(&health_url).send().await;
    }
    let idle = health_latencies(&http, &health_url).await;

    let storming = Arc::new(AtomicBool::new(true));
    let attempts = Arc::new(AtomicU64::new(0));
    let checked = Arc::new(AtomicU64::new(0));
    let mut attackers = Vec::new();
    for i in 0..ATTACKERS {
        let source = IpAddr::V4(Ipv4Addr::new(127, 0, 1, 1 + (i as u8 % ADDRESSES)));
        let client = reqwest::Client::builder()
            .local_address(source)
            .build()
            .expect("a client");
        let (storming, attempts, checked) = (storming.clone(), attempts.clone(), checked.clone());
        let url = format!("http://{addr}/login");
        attackers.push(tokio::spawn(async move {
            while storming.load(Ordering::Relaxed) {
                let Ok(reply) = client
                    .post(&url)
                    .form(&[("email", "admin@localhost"), ("password", "wrong")])
                    .send()
                    .await
                else {
                    continue;
                };
                attempts.fetch_add(1, Ordering::Relaxed);
                // 401: a check ran and failed; 429: refused without one.
                if reply.status() == 401 {
                    checked.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let storm_started = Instant::now();
    let under_storm = health_latencies(&http, &health_url).await;
    let storm_time = storm_started.elapsed();
    storming.store(false, Ordering::Relaxed);
    for attacker in attackers {
        let _ = attacker.await;
    }

    let (idle50, idle99) = (percentile(&idle, 0.5), percentile(&idle, 0.99));
    let (storm50, storm99) = (
        percentile(&under_storm, 0.5),
        percentile(&under_storm, 0.99),
    );
    println!("  /health latency, idle:                     p50 {idle50:?}  p99 {idle99:?}");
    println!(
        "  /health latency, {ATTACKERS} wrong-login clients: p50 {storm50:?}  p99 {storm99:?}"
    );
    println!(
        "  ratio under the storm: p50 {:.1}x  p99 {:.1}x",
        storm50.as_secs_f64() / idle50.as_secs_f64(),
        storm99.as_secs_f64() / idle99.as_secs_f64()
    );
    println!(
        "  wrong logins answered: {} in {:.1} s ({} checked with argon2, the rest refused before any check)",
        attempts.load(Ordering::Relaxed),
        storm_time.as_secs_f64() + 0.5,
        checked.load(Ordering::Relaxed)
    );
}
