//! Several active nodes sharing one PostgreSQL database. A host connected
//! to node A serves a person whose dashboard is on node B: B lists A's
//! hosts (recorded in the `hosts` table), forwards the person's requests
//! about a transaction or page that runs on A (an [`Op`]) and relays what A
//! sends back to the dashboard. A transaction lives on its host's node;
//! the other nodes only pass messages, over PostgreSQL's `LISTEN`/`NOTIFY`
//! ([`bus`]), so no new component is needed.
//!
//! With SQLite there is one node and no cluster.

#[cfg(feature = "postgres")]
mod bus;
mod messages;

pub(crate) use messages::{Asker, BusMessage, Op, Outcome};

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use interval_protocol::types::{ActionDefinition, PageDefinition};
use tokio::sync::{mpsc, oneshot};

use crate::api::ServerMessage;
use crate::db::HostRecord;
use crate::keys::KeyKind;

/// How long a node waits for another to answer a call (starting an action
/// waits for its host to take it).
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// A host connected to another node.
#[derive(Debug, Clone)]
pub(crate) struct RemoteHost {
    /// Its node.
    pub node: String,
    /// Its key's environment.
    pub key: KeyKind,
    /// The owner of its development key.
    pub owner: Option<String>,
    /// What it declared.
    pub actions: Vec<ActionDefinition>,
    /// What it declared.
    pub pages: Vec<PageDefinition>,
}

impl RemoteHost {
    /// The host a record describes (`None` for an unreadable one).
    pub fn from_record(record: HostRecord) -> Option<RemoteHost> {
        let key = match record.key_kind.as_str() {
            "production" => KeyKind::Live,
            "development" => KeyKind::Development,
            _ => return None,
        };
        Some(RemoteHost {
            node: record.node_id,
            key,
            owner: record.owner_id,
            actions: serde_json::from_value(record.actions).ok()?,
            pages: serde_json::from_value(record.pages).ok()?,
        })
    }
}

/// What this node knows of the others (kept in the registry).
#[derive(Default)]
pub(crate) struct RemoteState {
    /// Hosts of other live nodes.
    pub hosts: Vec<RemoteHost>,
    /// The other live nodes.
    pub nodes: HashSet<String>,
    /// Transactions and pages of this node's dashboards that run on
    /// another node, by id.
    pub abroad: HashMap<String, Abroad>,
    /// The nodes each dashboard connection of this node has asked.
    pub browsers_abroad: HashMap<u64, HashSet<String>>,
    /// Stand-ins for other nodes' dashboard connections ((node,
    /// connection) to this node's connection id).
    pub proxies: HashMap<(String, u64), u64>,
}

/// A transaction or page that runs on another node, followed by
/// dashboards of this node.
#[derive(Debug, Clone)]
pub(crate) struct Abroad {
    /// The node.
    pub node: String,
    /// Whether it is a page (else a transaction).
    pub page: bool,
    /// The person following it.
    pub person: crate::people::Person,
    /// Their environment.
    pub environment: KeyKind,
    /// Signed in by open mode.
    pub open: bool,
    /// Their dashboard connections following it.
    pub browsers: HashSet<u64>,
}

impl RemoteState {
    /// Remembers that `asker`'s dashboard connection follows transaction
    /// or page `id` on `node`.
    pub fn follow(&mut self, asker: &Asker, id: &str, node: &str, page: bool) {
        let browser = asker.browser;
        self.abroad
            .entry(id.to_owned())
            .and_modify(|a| {
                if a.node != node {
                    a.node = node.to_owned();
                    a.browsers.clear();
                }
            })
            .or_insert_with(|| Abroad {
                node: node.to_owned(),
                page,
                person: asker.person.clone(),
                environment: asker.environment,
                open: asker.open,
                browsers: HashSet::new(),
            })
            .browsers
            .insert(browser);
        self.browsers_abroad
            .entry(browser)
            .or_default()
            .insert(node.to_owned());
    }
}

/// This node's link to the others.
pub(crate) struct Cluster {
    node_id: String,
    #[cfg(feature = "postgres")]
    bus: bus::Bus,
    /// Calls waiting for their answer, with the node asked.
    calls: Mutex<HashMap<u64, (String, oneshot::Sender<Outcome>)>>,
    next_call: AtomicU64,
}

impl Cluster {
    /// Joins the other nodes of `store`'s database as node `node_id`:
    /// listens until `stop`; what they send comes out of the receiver.
    /// `None` for a SQLite store (one node).
    pub async fn start(
        store: &crate::db::Store,
        node_id: &str,
        stop: tokio_util::sync::CancellationToken,
    ) -> Result<Option<(std::sync::Arc<Cluster>, mpsc::UnboundedReceiver<BusMessage>)>, String>
    {
        #[cfg(feature = "postgres")]
        if let Some(target) = store.postgres() {
            let bus = bus::Bus::new(store.clone(), target.schema.as_deref());
            let channels = vec![bus.channel_of(node_id), bus.everyone()];
            let mut listener = bus::Bus::listen(&target.url, &channels)
                .await
                .map_err(|e| format!("could not listen to the other nodes: {e}"))?;
            let cluster = std::sync::Arc::new(Cluster {
                node_id: node_id.to_owned(),
                bus,
                calls: Mutex::default(),
                next_call: AtomicU64::new(1),
            });
            let (tx, rx) = mpsc::unbounded_channel();
            let listening = cluster.clone();
            let sweeper = store.clone();
            tokio::spawn(async move {
                let mut sweeps = tokio::time::interval(Duration::from_secs(60));
                loop {
                    let notification = tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = sweeps.tick() => {
                            if let Err(e) = sweeper.sweep_bus_messages(bus::KEPT_FOR_MS).await {
                                tracing::warn!("{e}");
                            }
                            continue;
                        }
                        n = listener.recv() => n,
                    };
                    match notification {
                        Ok(notification) => {
                            if let Some(message) = listening.bus.read(&notification).await {
                                listening.received(message, &tx);
                            }
                        }
                        // sqlx reconnects at the next `recv`; what was sent
                        // meanwhile is lost (calls time out).
                        Err(e) => {
                            tracing::warn!("listening to the other nodes: {e}");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
            });
            return Ok(Some((cluster, rx)));
        }
        let _ = (store, node_id, stop);
        Ok(None)
    }

    #[cfg(feature = "postgres")]
    /// Completes the call an answer is for; hands anything else to the
    /// node's consumer (`dashboard_api::run_cluster`).
    fn received(&self, message: BusMessage, incoming: &mpsc::UnboundedSender<BusMessage>) {
        match message {
            BusMessage::Answer { call, outcome } => {
                let waiting = self
                    .calls
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&call);
                if let Some((_, waiting)) = waiting {
                    let _ = waiting.send(outcome);
                }
            }
            other => {
                let _ = incoming.send(other);
            }
        }
    }

    /// Sends `message` to node `node` (or, with `None`, to every node).
    async fn send(&self, node: Option<&str>, message: &BusMessage) -> Result<(), String> {
        #[cfg(feature = "postgres")]
        {
            let channel = match node {
                Some(node) => self.bus.channel_of(node),
                None => self.bus.everyone(),
            };
            self.bus
                .send(&channel, message)
                .await
                .map_err(|e| e.to_string())
        }
        #[cfg(not(feature = "postgres"))]
        {
            let _ = (node, message);
            Err("this build has no PostgreSQL support".into())
        }
    }

    /// Asks node `node` to do `op` for `asker`, and waits for its answer.
    pub async fn call(&self, node: &str, asker: Option<Asker>, op: Op) -> Result<Outcome, String> {
        let call = self.next_call.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(call, (node.to_owned(), tx));
        let message = BusMessage::Call {
            from: self.node_id.clone(),
            call,
            asker,
            op,
        };
        let unreachable = || "The server node running this did not answer; try again in a moment.";
        let answered = match self.send(Some(node), &message).await {
            Ok(()) => tokio::time::timeout(CALL_TIMEOUT, rx)
                .await
                .ok()
                .and_then(Result::ok),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        };
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&call);
        answered.ok_or_else(|| unreachable().to_owned())
    }

    /// Nodes `gone` went away: calls waiting for them fail now.
    pub fn fail_calls_to(&self, gone: &HashSet<String>) {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (node, _)| !gone.contains(node));
    }

    /// Answers call `call` of node `node`.
    pub async fn answer(&self, node: &str, call: u64, outcome: Outcome) {
        if let Err(e) = self
            .send(Some(node), &BusMessage::Answer { call, outcome })
            .await
        {
            tracing::warn!("could not answer node {node}: {e}");
        }
    }

    /// Sends `message` to dashboard connection `browser` of node `node`.
    pub async fn send_event(&self, node: &str, browser: u64, message: ServerMessage) {
        if let Err(e) = self
            .send(Some(node), &BusMessage::Event { browser, message })
            .await
        {
            tracing::warn!("could not reach a dashboard on node {node}: {e}");
        }
    }

    /// Tells node `node` that transaction `id` runs on this node now.
    pub async fn moved(&self, node: &str, id: &str) {
        let message = BusMessage::Moved {
            id: id.to_owned(),
            node: self.node_id.clone(),
        };
        if let Err(e) = self.send(Some(node), &message).await {
            tracing::warn!("could not tell node {node} where {id} went: {e}");
        }
    }

    /// Tells every node that this node's hosts changed.
    pub async fn hosts_changed(&self) {
        if let Err(e) = self.send(None, &BusMessage::HostsChanged).await {
            tracing::warn!("could not tell the other nodes about hosts: {e}");
        }
    }
}
