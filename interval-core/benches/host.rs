//! Host benchmark (a bench binary, not a timed test):
//!
//! ```sh
//! cargo bench -p interval-core --bench host
//! ```
//!
//! The host runs in a child process (this binary re-executed with
//! `--child`), driven over stdin/stdout, so that only its own memory and CPU
//! time are counted. This process plays the Interval server on loopback: it
//! accepts the WebSocket, authenticates, ACKs, answers `INITIALIZE_HOST`,
//! starts transactions and answers renders. Measured:
//! - resident memory (`VmRSS`) of the host idle, and with 10,000
//!   transactions each parked on an `io.input().text(..)` call (started 100
//!   at a time, then, in another child, all at once), against the same
//!   child with no Interval client at all;
//! - host CPU time (`utime + stime` of `/proc/self/stat`) per I/O round trip
//!   (the peer sends `IO_RESPONSE`, the handler loops and renders again),
//!   against the CPU time per message of a bare tokio-tungstenite echo
//!   client in the same kind of child.
//!
//! `-- --only memory` or `-- --only cpu` runs one part; `HOST_BENCH_WRAP`
//! runs the host children under a profiler, e.g.
//! `HOST_BENCH_WRAP="heaptrack -o /tmp/host"` or
//! `HOST_BENCH_WRAP="perf record -o /tmp/host.perf"` (a child leaves with
//! `exit(0)`, so heaptrack's "leaked" is what the host held at the end).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use interval_core::{Action, Error, Interval, LogLevel};
use interval_protocol::frame::{Frame, AUTHENTICATED};
use interval_protocol::host::{InitializeHost, InitializeHostReturns, SendIoCall};
use interval_protocol::host::{SendIoCallInputs, SendIoCallReturns};
use interval_protocol::io::{IoRender, IoResponse, IoResponseKind};
use interval_protocol::server::{IoResponse as IoResponseCall, IoResponseInputs};
use interval_protocol::server::{StartTransaction, StartTransactionInputs};
use interval_protocol::types::{ActionRef, Organization, User, UserRole};
use interval_protocol::{Method, RpcKind, RpcMessage};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const PARKED: usize = 10_000;
const ROUND_TRIPS: usize = 20_000;
const ECHOES: usize = 20_000;
/// Replies of the child start with this (the host may log to stdout too).
const REPLY: &str = "@@ ";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // HOST_BENCH_WORKERS=n gives the host's runtime n worker threads (the
    // default is one per CPU); with one, no frame wakes another thread.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = std::env::var("HOST_BENCH_WORKERS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        builder.worker_threads(workers);
    }
    let runtime = builder.enable_all().build().expect("a runtime");
    if args.iter().any(|a| a == "--child") {
        child(&runtime);
    } else {
        runtime.block_on(run());
    }
}

// ---------------------------------------------------------------------------
// The child: a host (or a bare client), commanded line by line.

fn child(runtime: &tokio::runtime::Runtime) {
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    let reply = |text: String| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{REPLY}{text}");
        let _ = out.flush();
    };
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let (command, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match command {
            "rss" => reply(status_kib("VmRSS:").to_string()),
            "anon" => reply(status_kib("RssAnon:").to_string()),
            "cpu" => reply(cpu_micros().to_string()),
            "host" => {
                let interval = Interval::builder()
                    .endpoint(arg)
                    .api_key("bench_key")
                    .log_level(LogLevel::Quiet)
                    .action(
                        "park",
                        Action::new(|io, _ctx| async move { io.input().text("Name").await }),
                    )
                    .action(
                        "loop",
                        Action::new(|io, _ctx| async move {
                            loop {
                                io.input().text("Name").await?;
                            }
                            #[allow(unreachable_code)]
                            Ok::<(), Error>(())
                        }),
                    )
                    .build();
                match runtime.block_on(interval.listen()) {
                    Ok(()) => reply("ok".into()),
                    Err(e) => reply(format!("error {e}")),
                }
                keep.push(Box::new(interval));
            }
            "echo" => {
                let url = arg.to_owned();
                let connected = runtime.block_on(tokio_tungstenite::connect_async(url));
                match connected {
                    Ok((mut ws, _)) => {
                        runtime.spawn(async move {
                            while let Some(Ok(message)) = ws.next().await {
                                if let Message::Text(text) = message {
                                    if ws.send(Message::Text(text)).await.is_err() {
                                        break;
                                    }
                                }
                            }
                        });
                        reply("ok".into());
                    }
                    Err(e) => reply(format!("error {e}")),
                }
            }
            // Exits without dropping anything: under heaptrack, what is
            // still allocated is what the host held at this point.
            _ => std::process::exit(0),
        }
    }
}

/// A memory figure of this process from `/proc/self/status`, in KiB:
/// `VmRSS:` (resident) or `RssAnon:` (its private part: the heap, stacks;
/// not the pages of the binary's code, which are shared and reclaimable).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User + system CPU time of this process (all threads), in µs.
fn cpu_micros() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): state is
    // field 3, utime field 14, stime field 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    ticks * 1_000_000 / clock_ticks()
}

fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// The parent's handle on a child.
struct ChildProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl ChildProcess {
    /// Starts a child; `host` children run under `HOST_BENCH_WRAP` when it
    /// is set, for profiling (e.g. `HOST_BENCH_WRAP="heaptrack -o /tmp/h"`).
    fn start(host: bool) -> ChildProcess {
        let exe = std::env::current_exe().expect("the bench binary");
        let wrap = match host {
            true => std::env::var("HOST_BENCH_WRAP").unwrap_or_default(),
            false => String::new(),
        };
        let mut words = wrap.split_whitespace();
        let mut command = match words.next() {
            Some(program) => {
                let mut command = Command::new(program);
                command.args(words).arg(exe);
                command
            }
            None => Command::new(exe),
        };
        let mut child = command
            .arg("--child")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the child starts");
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        ChildProcess {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends a command and waits for its reply (blocking: the child answers
    /// at once except for `host` and `echo`, which wait on this process's
    /// tasks, hence `spawn_blocking` there).
    fn ask(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").expect("the child is alive");
        self.stdin.flush().expect("the child is alive");
        let mut line = String::new();
        loop {
            line.clear();
            let n = self
                .stdout
                .read_line(&mut line)
                .expect("the child is alive");
            assert!(n > 0, "the child exited");
            if let Some(reply) = line.trim_end().strip_prefix(REPLY) {
                return reply.to_owned();
            }
        }
    }

    fn number(&mut self, command: &str) -> u64 {
        let reply = self.ask(command);
        reply
            .parse()
            .unwrap_or_else(|_| panic!("{command}: {reply}"))
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        // An unknown command ends the child; it is killed if it does not.
        let _ = writeln!(self.stdin, "exit");
        let _ = self.stdin.flush();
        for _ in 0..600 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command that needs this process's tasks to make progress.
async fn ask_async(mut child: ChildProcess, command: String) -> (ChildProcess, String) {
    tokio::task::spawn_blocking(move || {
        let reply = child.ask(&command);
        (child, reply)
    })
    .await
    .expect("the command ran")
}

// ---------------------------------------------------------------------------
// The load-generating peer: a minimal Interval server for one host.

struct Peer {
    out: mpsc::UnboundedSender<Message>,
    calls: mpsc::UnboundedReceiver<RpcMessage>,
    next_id: u64,
}

impl Peer {
    /// Accepts one WebSocket connection on `listener` and authenticates it;
    /// the host's MESSAGEs are ACKed by the reader task, its CALLs come out
    /// of [`Peer::next_call`].
    async fn accept(listener: &TcpListener) -> Peer {
        let (tcp, _) = listener.accept().await.expect("a connection");
        tcp.set_nodelay(true).expect("nodelay");
        let ws = tokio_tungstenite::accept_async(tcp)
            .await
            .expect("a WebSocket");
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
        let (calls_tx, calls) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(message) = out_rx.recv().await {
                if sink.feed(message).await.is_err() {
                    return;
                }
                while let Ok(message) = out_rx.try_recv() {
                    if sink.feed(message).await.is_err() {
                        return;
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
        });
        let acks = out.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(Frame::Message { id, data }) = Frame::parse(text.as_str()) else {
                    continue;
                };
                let _ = acks.send(Message::Text(Frame::ack(id).to_text().into()));
                let Ok(rpc) = serde_json::from_str::<RpcMessage>(&data) else {
                    continue;
                };
                if rpc.kind == RpcKind::Call && calls_tx.send(rpc).is_err() {
                    return;
                }
            }
        });
        let frame = Frame::message(AUTHENTICATED);
        let _ = out.send(Message::Text(frame.to_text().into()));
        Peer {
            out,
            calls,
            next_id: 1,
        }
    }

    async fn next_call(&mut self) -> RpcMessage {
        tokio::time::timeout(Duration::from_secs(60), self.calls.recv())
            .await
            .expect("the host sent nothing for 60 s")
            .expect("the connection closed")
    }

    fn respond<M: Method>(&self, id: String, returns: &M::Returns) {
        let value = serde_json::to_value(returns).expect("returns serialize");
        let message = RpcMessage::response(id, M::NAME.into(), value);
        let frame = Frame::message(message.to_text());
        let _ = self.out.send(Message::Text(frame.to_text().into()));
    }

    fn call<M: Method>(&mut self, inputs: &M::Inputs) {
        let id = self.next_id.to_string();
        self.next_id += 1;
        let message = RpcMessage::call::<M>(id, inputs).expect("inputs serialize");
        let frame = Frame::message(message.to_text());
        let _ = self.out.send(Message::Text(frame.to_text().into()));
    }

    /// Answers `INITIALIZE_HOST` with success.
    async fn initialize(&mut self) {
        let call = self.next_call().await;
        assert_eq!(call.method_name, InitializeHost::NAME);
        let success = InitializeHostReturns::Success {
            environment: "development".into(),
            invalid_slugs: vec![],
            organization: Organization {
                name: "Bench".into(),
                slug: "bench".into(),
            },
            dashboard_url: "http://127.0.0.1/dashboard/bench/develop/actions".into(),
            force_peer_messages: None,
            sdk_alert: None,
            warnings: vec![],
        };
        self.respond::<InitializeHost>(call.id, &Some(success));
    }

    /// The next `SEND_IO_CALL`, accepted; its render.
    async fn render(&mut self) -> (String, IoRender) {
        let call = self.next_call().await;
        assert_eq!(call.method_name, SendIoCall::NAME, "{call:?}");
        let inputs: SendIoCallInputs = SendIoCall::decode_inputs(call.data).expect("inputs");
        self.respond::<SendIoCall>(call.id, &SendIoCallReturns::Accepted(true));
        let render = serde_json::from_str(&inputs.io_call).expect("a render");
        (inputs.transaction_id, render)
    }

    /// Submits `value` for the single field of `render`.
    fn answer(&mut self, transaction_id: &str, render: &IoRender, value: &str) {
        let response = IoResponse {
            id: render.id.clone(),
            input_group_key: Some(render.input_group_key.clone()),
            transaction_id: transaction_id.into(),
            kind: IoResponseKind::Return,
            choice: Some("Continue".into()),
            values: vec![value.into()],
            values_meta: None,
        };
        self.call::<IoResponseCall>(&IoResponseInputs {
            value: serde_json::to_string(&response).expect("a response"),
            transaction_id: transaction_id.into(),
        });
    }
}

fn start(transaction_id: String, slug: &str) -> StartTransactionInputs {
    StartTransactionInputs {
        transaction_id,
        display_resolves_immediately: Some(false),
        action_name: slug.into(),
        action: ActionRef {
            slug: slug.into(),
            url: format!("http://127.0.0.1/dashboard/bench/develop/actions/{slug}"),
        },
        environment: "development".into(),
        user: User {
            email: "ada@example.com".into(),
            first_name: Some("Ada".into()),
            last_name: None,
            role: UserRole::Admin,
            teams: vec![],
        },
        params: Default::default(),
        params_meta: None,
    }
}

/// Starts a child host connected to a fresh peer.
async fn host_child() -> (ChildProcess, Peer) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let endpoint = format!(
        "ws://{}/websocket",
        listener.local_addr().expect("an address")
    );
    let child = ChildProcess::start(true);
    let listening = tokio::spawn(ask_async(child, format!("host {endpoint}")));
    let mut peer = Peer::accept(&listener).await;
    peer.initialize().await;
    let (child, reply) = listening.await.expect("listen");
    assert_eq!(reply, "ok", "the host did not start");
    (child, peer)
}

/// RSS of a fresh host child idle, and once `PARKED` transactions wait on
/// a text input, started `batch` at a time (each batch rendered before the
/// next is sent).
async fn park(batch: usize) -> (u64, u64, u64) {
    let (mut host, mut peer) = host_child().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = host.number("rss");
    let idle_anon = host.number("anon");
    for first in (0..PARKED).step_by(batch) {
        let batch = first..(first + batch).min(PARKED);
        for i in batch.clone() {
            peer.call::<StartTransaction>(&start(format!("park-{i}"), "park"));
        }
        for _ in batch {
            peer.render().await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let parked = host.number("rss");
    (idle, idle_anon, parked)
}

// ---------------------------------------------------------------------------

async fn run() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("interval-core host benchmark (loopback, {cpus} CPUs)\n");
    let settle = || tokio::time::sleep(Duration::from_millis(500));
    // `-- --only memory` or `-- --only cpu` runs one part (when profiling).
    let args: Vec<String> = std::env::args().collect();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str);
    let (memory, cpu) = (only != Some("cpu"), only != Some("memory"));

    // Baselines: the child with no Interval client, then a bare echo client.
    let mut bare = ChildProcess::start(false);
    settle().await;
    let bare_rss = bare.number("rss");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("ws://{}/", listener.local_addr().expect("an address"));
    let connecting = tokio::spawn(ask_async(bare, format!("echo {url}")));
    let (tcp, _) = listener.accept().await.expect("a connection");
    tcp.set_nodelay(true).expect("nodelay");
    let mut ws = tokio_tungstenite::accept_async(tcp)
        .await
        .expect("a WebSocket");
    let (mut bare, reply) = connecting.await.expect("echo");
    assert_eq!(reply, "ok");
    // The floor of this stack: the same child as a connected, idle
    // tokio-tungstenite client (after one echo, so that its task has run).
    ws.send(Message::Text("warm-up".into()))
        .await
        .expect("sent");
    let _ = ws.next().await;
    settle().await;
    let bare_client_rss = bare.number("rss");
    let bare_client_anon = bare.number("anon");
    // A message the size of an IO_RESPONSE frame.
    let payload = {
        let response = IoResponse {
            id: interval_protocol::new_id().to_string(),
            input_group_key: Some(interval_protocol::new_id().to_string()),
            transaction_id: interval_protocol::new_id().to_string(),
            kind: IoResponseKind::Return,
            choice: Some("Continue".into()),
            values: vec!["Ada".into()],
            values_meta: None,
        };
        let inputs = IoResponseInputs {
            value: serde_json::to_string(&response).expect("a response"),
            transaction_id: response.transaction_id.clone(),
        };
        let call = RpcMessage::call::<IoResponseCall>("1".into(), &inputs).expect("a call");
        Frame::message(call.to_text()).to_text()
    };
    let cpu_before = bare.number("cpu");
    for _ in 0..ECHOES {
        ws.send(Message::Text(payload.clone().into()))
            .await
            .expect("sent");
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(_))) => break,
                Some(Ok(_)) => continue,
                other => panic!("the echo client is gone: {other:?}"),
            }
        }
    }
    let echo_cpu = (bare.number("cpu") - cpu_before) as f64 / ECHOES as f64;
    drop(bare);

    // Memory: idle, then 10,000 transactions parked on a text input,
    // started 100 at a time (as runners arrive), then all at once.
    let (mut idle_rss, mut idle_anon, mut parked_rss, mut burst_rss) = (0, 0, 0, 0);
    if memory {
        (idle_rss, idle_anon, parked_rss) = park(100).await;
        burst_rss = park(PARKED).await.2;
    }

    // CPU: one transaction, N round trips.
    let mut round_trip_cpu = 0.0;
    if cpu {
        let (mut host, mut peer) = host_child().await;
        peer.call::<StartTransaction>(&start("loop".into(), "loop"));
        let (tx, mut render) = peer.render().await;
        // Warm up, then measure.
        for _ in 0..1_000 {
            peer.answer(&tx, &render, "Ada");
            render = peer.render().await.1;
        }
        let cpu_before = host.number("cpu");
        for _ in 0..ROUND_TRIPS {
            peer.answer(&tx, &render, "Ada");
            render = peer.render().await.1;
        }
        round_trip_cpu = (host.number("cpu") - cpu_before) as f64 / ROUND_TRIPS as f64;
    }

    let mib = |kib: u64| kib as f64 / 1024.0;
    let per_tx = (parked_rss.saturating_sub(idle_rss)) as f64 * 1024.0 / PARKED as f64;
    println!("resident memory (VmRSS of the host process)");
    println!(
        "  idle                          {:>8.1} MiB   baseline (same child, no client) {:>6.1} MiB   ratio {:.1}x",
        mib(idle_rss),
        mib(bare_rss),
        idle_rss as f64 / bare_rss as f64
    );
    println!(
        "                                             baseline (same child, bare WebSocket client, connected) {:>6.1} MiB   ratio {:.2}x",
        mib(bare_client_rss),
        idle_rss as f64 / bare_client_rss as f64
    );
    println!(
        "    of which private (RssAnon) {:>8.1} MiB   baseline (bare WebSocket client) {:>6.1} MiB   ratio {:.2}x",
        mib(idle_anon),
        mib(bare_client_anon),
        idle_anon as f64 / bare_client_anon as f64
    );
    println!(
        "  {PARKED} parked transactions   {:>8.1} MiB   (+{:.0} bytes each; started 100 at a time)",
        mib(parked_rss),
        per_tx
    );
    println!(
        "  same, all started at once     {:>8.1} MiB   (+{:.0} bytes each)",
        mib(burst_rss),
        (burst_rss.saturating_sub(idle_rss)) as f64 * 1024.0 / PARKED as f64
    );
    println!("\nhost CPU time (utime + stime)");
    println!(
        "  per I/O round trip            {:>8.1} µs    baseline (bare echo client, per message) {:>5.1} µs   ratio {:.1}x",
        round_trip_cpu,
        echo_cpu,
        round_trip_cpu / echo_cpu
    );
    println!(
        "\n({ROUND_TRIPS} round trips after 1,000 warm-up; {ECHOES} echoes; a round trip is 4 frames each way: \
         IO_RESPONSE + its RESPONSE, SEND_IO_CALL + its RESPONSE, and their ACKs)"
    );
    println!("targets: idle < 5 MB, {PARKED} parked < 25 MB in all, < 30 µs CPU per round trip");
}
