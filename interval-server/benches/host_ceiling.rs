//! How many transactions a second one host runs before its rate limit
//! closes it (issue 15), a bench binary, not a timed test:
//!
//! ```sh
//! cargo bench -p interval-server --bench host_ceiling
//! ```
//!
//! One host (interval-core, in this process) serves an action with one text
//! input, which costs it 2 CALLs (`SEND_IO_CALL` for the input,
//! `MARK_TRANSACTION_COMPLETE` for the result); 64 dashboards start and
//! answer its transactions. Each part runs at the default limit (1,024
//! calls a second) and then on a fresh server with the limit raised, in the
//! same run:
//! - as fast as the dashboards go, for a few seconds: how many
//!   transactions a second the host ran, and whether (and when) the server
//!   closed it for its rate;
//! - at a paced rate raised every 2 s: the last rate the host sustained
//!   before the server closed it (its ceiling), or the most the server
//!   delivered when nothing closed it.
//!
//! A close for the rate is seen in the server's log ("Rate limit
//! exceeded"); the host is given a long reconnect delay so that it stays
//! closed. Dashboards keep the default limit of 200 requests a second each
//! (a transaction costs one 2), and any request it refuses is counted.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use interval_core::{Action, Interval};
use interval_protocol::io::IoResponseKind;
use interval_server::api::{BrowserResponse, Event, Reply, Request};
use interval_server::{Limits, RunningServer, ServerConfig};
use serde_json::json;
use support::Dashboard;
use tokio::sync::Semaphore;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

const DASHBOARDS: usize = 64;
/// Host CALLs per transaction of the `ask` action.
const CALLS_PER_TRANSACTION: u32 = 2;
/// The raised limit.
const RAISED: u32 = 8_192;
const FLAT_OUT: Duration = Duration::from_secs(4);
const STEP: Duration = Duration::from_secs(2);
/// Offered transactions a second, one step each.
const RATES: [u32; 16] = [
    100, 200, 300, 400, 450, 500, 550, 600, 700, 800, 1_000, 1_200, 1_500, 2_000, 2_500, 3_000,
];

/// Set when the server logs that it closed a connection for its rate.
static RATE_LIMITED: AtomicBool = AtomicBool::new(false);

/// Watches the server's warnings for a close for the rate.
struct Watch;

impl<S: tracing::Subscriber> Layer<S> for Watch {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Find(bool);
        impl tracing::field::Visit for Find {
            fn record_debug(&mut self, _: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0 |= format!("{value:?}").contains("Rate limit exceeded");
            }
        }
        let mut find = Find(false);
        event.record(&mut find);
        if find.0 {
            RATE_LIMITED.store(true, Ordering::SeqCst);
        }
    }
}

fn main() {
    tracing_subscriber::registry()
        .with(Watch.with_filter(tracing_subscriber::filter::LevelFilter::WARN))
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(run());
}

/// A server with `limit` host calls a second, its host and its dashboards.
struct Rig {
    server: RunningServer,
    host: Interval,
    dashboards: Vec<Dashboard>,
    started: Instant,
}

impl Rig {
    async fn new(limit: u32) -> Rig {
        RATE_LIMITED.store(false, Ordering::SeqCst);
        let config = ServerConfig::default()
            .port(0)
            .api_key(support::KEY)
            .limits(Limits {
                host_calls_per_second: limit,
                ..Limits::default()
            });
        let server = interval_server::start(config).await.unwrap();
        let host = Interval::builder()
            .endpoint(server.endpoint())
            .api_key(support::KEY)
            .log_level(interval_core::LogLevel::Quiet)
            // Closed, it stays closed for the rest of the measurement.
            .reconnect_delays(Duration::from_secs(600), Duration::from_secs(600))
            .action(
                "ask",
                Action::new(|io, _ctx| async move { io.input().text("Name").await }),
            )
            .build();
        host.listen().await.expect("the host connects");
        let mut dashboards = Vec::with_capacity(DASHBOARDS);
        for _ in 0..DASHBOARDS {
            dashboards.push(Dashboard::connect(&server).await);
        }
        Rig {
            server,
            host,
            dashboards,
            started: Instant::now(),
        }
    }

    fn closed(&self) -> bool {
        RATE_LIMITED.load(Ordering::SeqCst) || !self.host.is_connected()
    }

    /// Runs transactions for `length`, paced at `rate` a second (`None`: as
    /// fast as the dashboards go); stops early when the host is closed.
    async fn drive(&mut self, rate: Option<u32>, length: Duration) -> Step {
        let completed = Arc::new(AtomicU64::new(0));
        let refused = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let tokens = Arc::new(Semaphore::new(0));
        let workers: Vec<_> = self
            .dashboards
            .drain(..)
            .map(|dashboard| {
                let completed = completed.clone();
                let counts = [completed.clone(), refused.clone(), failed.clone()];
                let tokens = rate.map(|_| tokens.clone());
                tokio::spawn(worker(dashboard, tokens, counts))
            })
            .collect();
        let started = Instant::now();
        let mut issued = 0u64;
        let mut closed_after = None;
        while started.elapsed() < length {
            tokio::time::sleep(Duration::from_millis(1)).await;
            if let Some(rate) = rate {
                // Tokens at `rate`, at most one waiting per dashboard: a
                // server that falls behind is not handed a burst later.
                let due = (started.elapsed().as_secs_f64() * f64::from(rate)) as u64;
                let room = (DASHBOARDS - tokens.available_permits().min(DASHBOARDS)) as u64;
                let add = due.saturating_sub(issued).min(room);
                tokens.add_permits(add as usize);
                issued = due;
            }
            if self.closed() {
                closed_after = Some(started.elapsed());
                break;
            }
        }
        let elapsed = started.elapsed();
        let done = completed.load(Ordering::SeqCst);
        tokens.close();
        if closed_after.is_some() {
            // Their transactions will not end: the host is gone.
            for worker in workers {
                worker.abort();
            }
        } else {
            STOP.store(true, Ordering::SeqCst);
            for worker in workers {
                self.dashboards.push(worker.await.unwrap());
            }
            STOP.store(false, Ordering::SeqCst);
        }
        Step {
            rate: done as f64 / elapsed.as_secs_f64(),
            completed: done,
            closed_after,
            refused: refused.load(Ordering::SeqCst),
            failed: failed.load(Ordering::SeqCst),
        }
    }
}

/// Tells the workers to stop after their transaction.
static STOP: AtomicBool = AtomicBool::new(false);

/// What one step measured.
struct Step {
    /// Transactions completed a second.
    rate: f64,
    completed: u64,
    /// When the host was closed, from the step's start.
    closed_after: Option<Duration>,
    /// Requests the dashboards' own limit refused.
    refused: u64,
    /// Transactions that could not start (the host was gone).
    failed: u64,
}

/// How one transaction went.
enum Done {
    Completed,
    /// The dashboard's own rate limit refused a request.
    Refused,
    /// The server could not start it (its host was gone).
    Failed,
}

/// Runs transactions on `dashboard`, one per token (as fast as it can
/// without tokens), counting them completed, refused and failed; stops at
/// the first failure.
async fn worker(
    mut dashboard: Dashboard,
    tokens: Option<Arc<Semaphore>>,
    [completed, refused, failed]: [Arc<AtomicU64>; 3],
) -> Dashboard {
    loop {
        match &tokens {
            Some(tokens) => match tokens.acquire().await {
                Ok(permit) => permit.forget(),
                Err(_) => return dashboard,
            },
            None if STOP.load(Ordering::SeqCst) => return dashboard,
            None => {}
        }
        let count = match transaction(&mut dashboard).await {
            Done::Completed => &completed,
            Done::Refused => &refused,
            Done::Failed => {
                failed.fetch_add(1, Ordering::SeqCst);
                return dashboard;
            }
        };
        count.fetch_add(1, Ordering::SeqCst);
    }
}

fn is_rate_limit(message: &str) -> bool {
    message.starts_with("Rate limit exceeded")
}

/// Starts `ask`, answers its input and waits for its result.
async fn transaction(dashboard: &mut Dashboard) -> Done {
    let transaction_id = match dashboard
        .request(Request::StartTransaction {
            slug: "ask".into(),
            params: Default::default(),
            queued_action_id: None,
        })
        .await
    {
        Ok(Reply::TransactionStarted { transaction_id }) => transaction_id,
        Err(message) if is_rate_limit(&message) => return Done::Refused,
        _ => return Done::Failed,
    };
    let render = loop {
        match dashboard.event().await {
            Event::Render {
                transaction_id: id,
                render,
                ..
            } if id == transaction_id => break render,
            _ => {}
        }
    };
    let response = BrowserResponse {
        id: render.id.clone(),
        input_group_key: render.input_group_key.clone(),
        kind: IoResponseKind::Return,
        values: vec![json!("Ada")],
        values_meta: None,
        choice: None,
    };
    let answered = dashboard
        .request(Request::Respond {
            transaction_id: transaction_id.clone(),
            response,
            password: None,
        })
        .await;
    match answered {
        Ok(_) => {}
        // The transaction stays open: cancel it, once the window has passed.
        Err(message) if is_rate_limit(&message) => {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let _ = dashboard.request(Request::Cancel { transaction_id }).await;
            return Done::Refused;
        }
        Err(_) => return Done::Failed,
    }
    loop {
        match dashboard.event().await {
            Event::Completed {
                transaction_id: id, ..
            } if id == transaction_id => return Done::Completed,
            _ => {}
        }
    }
}

fn calls(rate: f64) -> f64 {
    rate * f64::from(CALLS_PER_TRANSACTION)
}

async fn flat_out(limit: u32) {
    let mut rig = Rig::new(limit).await;
    let step = rig.drive(None, FLAT_OUT).await;
    let what = match step.closed_after {
        Some(after) => format!(
            "closed for its rate after {:.2} s ({} transactions)",
            after.as_secs_f64(),
            step.completed
        ),
        None => format!("not closed in {:.0} s", FLAT_OUT.as_secs_f64()),
    };
    println!(
        "  limit {limit:>5} calls/s: {:>6.0} transactions/s ({:>6.0} calls/s), {what}{}",
        step.rate,
        calls(step.rate),
        note(&step)
    );
    rig.finish().await;
}

/// What a ramp found.
struct Ramp {
    /// The offered rate at which the host was closed.
    closed_at: Option<u32>,
    /// The last offered rate the host ran in full (within 10%).
    sustained: Option<u32>,
    /// The most transactions a second one step delivered.
    best: f64,
}

async fn ramp(limit: u32) -> Ramp {
    let mut rig = Rig::new(limit).await;
    println!("  limit {limit} calls/s");
    let mut ramp = Ramp {
        closed_at: None,
        sustained: None,
        best: 0.0,
    };
    for rate in RATES {
        let step = rig.drive(Some(rate), STEP).await;
        ramp.best = ramp.best.max(step.rate);
        if let Some(after) = step.closed_after {
            println!(
                "    offered {rate:>5}/s: closed for its rate {:.2} s into the step \
                 ({:.0} transactions/s until then){}",
                after.as_secs_f64(),
                step.rate,
                note(&step)
            );
            ramp.closed_at = Some(rate);
            break;
        }
        println!(
            "    offered {rate:>5}/s: ran {:>6.0}/s ({:>6.0} calls/s){}",
            step.rate,
            calls(step.rate),
            note(&step)
        );
        // The server no longer keeps up: from here the ceiling is its own.
        if step.rate < 0.9 * f64::from(rate) {
            break;
        }
        ramp.sustained = Some(rate);
    }
    rig.finish().await;
    ramp
}

/// What went wrong besides, if anything.
fn note(step: &Step) -> String {
    let mut note = String::new();
    if step.refused > 0 {
        note += &format!(", {} refused by the dashboards' limit", step.refused);
    }
    if step.failed > 0 && step.closed_after.is_none() {
        note += &format!(", {} could not start", step.failed);
    }
    note
}

impl Rig {
    async fn finish(self) {
        println!(
            "    (this server ran {:.1} s)",
            self.started.elapsed().as_secs_f64()
        );
        self.host.immediately_close();
        self.server.shutdown();
        drop(self.dashboards);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.server.closed()).await;
    }
}

async fn run() {
    let default = Limits::default().host_calls_per_second;
    println!(
        "One host's ceiling (loopback, {} CPUs): action `ask`, one text input, \
         {CALLS_PER_TRANSACTION} host calls a transaction; {DASHBOARDS} dashboards\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!("As fast as the dashboards go, {FLAT_OUT:?}");
    flat_out(default).await;
    flat_out(RAISED).await;

    println!("\nPaced, the offered rate raised every {STEP:?}");
    let at_default = ramp(default).await;
    let raised = ramp(RAISED).await;
    println!();
    for (limit, ramp) in [(default, &at_default), (RAISED, &raised)] {
        let sustained = ramp
            .sustained
            .map_or("none".to_owned(), |rate| format!("{rate}/s"));
        match ramp.closed_at {
            Some(rate) => println!(
                "Limit {limit:>5} calls/s: closed at {rate} transactions/s offered ({} calls/s); \
                 last rate sustained {sustained}; limit / {CALLS_PER_TRANSACTION} calls = {}/s",
                rate * CALLS_PER_TRANSACTION,
                limit / CALLS_PER_TRANSACTION
            ),
            None => println!(
                "Limit {limit:>5} calls/s: never closed; last rate sustained {sustained}, \
                 at most {:.0} transactions/s delivered ({:.0} calls/s)",
                ramp.best,
                calls(ramp.best)
            ),
        }
    }
    if let Some(ceiling) = at_default.sustained {
        println!(
            "Raised / default: {:.2}x the transactions a second one host sustains",
            raised.best / f64::from(ceiling)
        );
    }
}
