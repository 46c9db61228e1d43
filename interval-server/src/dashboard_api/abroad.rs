//! Dashboard requests about transactions and pages that run on another
//! node (their host is connected there): forwarded to that node as an
//! [`Op`], whose events come back to this node's connection (see
//! [`crate::cluster`]). Also what keeps this node's view of the others
//! current: their hosts, which of them are alive, and what to do when one
//! goes away.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use super::answers::{meet_identity, Refused};
use super::transactions::attach as attach_here;
use crate::api::{BrowserResponse, Event, Reply, ServerMessage};
use crate::auth::{SignedInVia, Viewer};
use crate::cluster::{Abroad, Asker, BusMessage, Op, Outcome, RemoteHost};
use crate::keys::KeyKind;
use crate::people::Person;
use crate::state::{AppState, IdentityRequirement, Registry};

/// Who asks, on which connection of this node.
#[derive(Clone, Copy)]
pub(super) struct Here<'a> {
    /// The person.
    pub viewer: &'a Viewer,
    /// Their environment.
    pub environment: KeyKind,
    /// Their dashboard connection.
    pub browser: u64,
}

impl Here<'_> {
    fn asker(&self) -> Asker {
        Asker {
            person: self.viewer.person.clone(),
            environment: self.environment,
            browser: self.browser,
            open: self.viewer.via == SignedInVia::Open,
        }
    }
}

/// The node that runs transaction or page `id` for this node's
/// dashboards, when another node does.
pub(super) fn node_of(state: &AppState, id: &str) -> Option<String> {
    let registry = state.registry();
    if registry.transactions.contains_key(id) || registry.pages.contains_key(id) {
        return None;
    }
    registry
        .remote
        .abroad
        .get(id)
        .filter(|a| registry.remote.nodes.contains(&a.node))
        .map(|a| a.node.clone())
}

/// The node to follow transaction `id` on: as [`node_of`], or, for one this
/// node does not know (a reload on another node), the live node the
/// database records as running it.
pub(super) async fn node_to_attach(state: &AppState, id: &str) -> Option<String> {
    if let Some(node) = node_of(state, id) {
        return Some(node);
    }
    state.cluster()?;
    if state.registry().transactions.contains_key(id) {
        return None;
    }
    let record = state.store.transaction(id).await.ok()??;
    let running = matches!(
        record.status.as_str(),
        "PENDING" | "RUNNING" | "AWAITING_INPUT"
    );
    let node = record.node_id.filter(|node| *node != state.node_id)?;
    (running && state.registry().remote.nodes.contains(&node)).then_some(node)
}

/// Whether this node counts `node` as alive.
pub(super) fn is_alive(state: &AppState, node: &str) -> bool {
    state.registry().remote.nodes.contains(node)
}

/// The node of a host that serves `person` action `slug` in
/// `environment`, when no host of this node does.
pub(super) fn node_for_action(
    state: &AppState,
    person: &Person,
    environment: KeyKind,
    slug: &str,
) -> Option<String> {
    let registry = state.registry();
    if registry
        .pick_host(slug, person, environment, &HashSet::new())
        .is_some()
    {
        return None;
    }
    registry
        .remote
        .hosts
        .iter()
        .find(|h| {
            Registry::remote_serves(h, person, environment)
                && h.actions.iter().any(|a| a.full_slug() == slug)
        })
        .map(|h| h.node.clone())
}

/// The node of a host that renders page `slug` for `person` in
/// `environment`, when no host of this node does.
pub(super) fn node_for_page(
    state: &AppState,
    person: &Person,
    environment: KeyKind,
    slug: &str,
) -> Option<String> {
    let registry = state.registry();
    if registry.pick_page_host(slug, person, environment).is_some() {
        return None;
    }
    registry
        .remote
        .hosts
        .iter()
        .find(|h| {
            Registry::remote_serves(h, person, environment)
                && h.pages
                    .iter()
                    .any(|p| p.slug == slug && p.has_handler.or(p.has_index).unwrap_or(false))
        })
        .map(|h| h.node.clone())
}

/// Records, for the node that runs transaction `id`, that a dashboard of
/// this node follows it: if it moves (its node went away and its host
/// replayed it on a third node), that node tells this one
/// ([`follow_moved`]).
async fn record_following(state: &AppState, id: &str) {
    if let Err(e) = state.store.set_browser_node(id, &state.node_id).await {
        tracing::warn!("{e}");
    }
}

/// Transaction `id`, which this node's dashboards followed on a node that
/// went away, runs on `node` now: they follow it there (leaving the entry
/// that waited for its host here).
async fn follow_moved(state: Arc<AppState>, id: String, node: String) {
    let following = {
        let mut registry = state.registry();
        let Some(abroad) = registry.remote.abroad.get_mut(&id) else {
            return;
        };
        abroad.node = node.clone();
        let abroad = abroad.clone();
        let waited_here = registry
            .transactions
            .get(&id)
            .is_some_and(|t| t.host_gone && !t.completed);
        if waited_here {
            registry.transactions.remove(&id);
        }
        for browser in &abroad.browsers {
            registry
                .remote
                .browsers_abroad
                .entry(*browser)
                .or_default()
                .insert(node.clone());
        }
        abroad
    };
    let Some(cluster) = state.cluster().cloned() else {
        return;
    };
    for browser in following.browsers {
        let asker = Asker {
            person: following.person.clone(),
            environment: following.environment,
            browser,
            open: following.open,
        };
        let attached = cluster
            .call(&node, Some(asker), Op::Attach { id: id.clone() })
            .await;
        if let Err(e) = attached.and_then(reply) {
            tracing::warn!("could not follow {id} to node {node}: {e}");
        }
    }
    tracing::info!("following {id} on node {node}, where its host replayed it");
}

/// Asks `node` to do `op` for `here`.
async fn call(state: &AppState, here: Here<'_>, node: &str, op: Op) -> Result<Outcome, String> {
    let cluster = state
        .cluster()
        .ok_or("This server has no other nodes.")?
        .clone();
    state
        .registry()
        .remote
        .browsers_abroad
        .entry(here.browser)
        .or_default()
        .insert(node.to_owned());
    cluster.call(node, Some(here.asker()), op).await
}

fn reply(outcome: Outcome) -> Result<Reply, String> {
    match outcome {
        Outcome::Reply { reply } => Ok(reply),
        Outcome::Failed { message } => Err(message),
        Outcome::Identity { .. } => {
            Err("This transaction is waiting for an identity confirmation.".into())
        }
    }
}

/// Asks `node` to do `op` (no answer expected but done or not).
pub(super) async fn ask(
    state: &AppState,
    here: Here<'_>,
    node: &str,
    op: Op,
) -> Result<Reply, String> {
    reply(call(state, here, node, op).await?)
}

/// Starts action `slug` on a host of `node`.
pub(super) async fn start(
    state: &AppState,
    here: Here<'_>,
    node: &str,
    slug: String,
    params: Map<String, Value>,
    queued_action_id: Option<String>,
) -> Result<Reply, String> {
    let op = Op::Start {
        slug,
        params,
        queued_action_id,
    };
    let started = ask(state, here, node, op).await?;
    if let Reply::TransactionStarted { transaction_id } = &started {
        state
            .registry()
            .remote
            .follow(&here.asker(), transaction_id, node, false);
        // The other node recorded this one as the dashboard's.
    }
    Ok(started)
}

/// Follows transaction `id` on `node`.
pub(super) async fn attach(
    state: &AppState,
    here: Here<'_>,
    node: &str,
    id: String,
) -> Result<Reply, String> {
    state
        .registry()
        .remote
        .follow(&here.asker(), &id, node, false);
    record_following(state, &id).await;
    ask(state, here, node, Op::Attach { id }).await
}

/// Opens page `slug` on a host of `node`.
pub(super) async fn open_page(
    state: &AppState,
    here: Here<'_>,
    node: &str,
    slug: String,
    params: Map<String, Value>,
) -> Result<Reply, String> {
    let opened = ask(state, here, node, Op::OpenPage { slug, params }).await?;
    if let Reply::PageOpened { page_key } = &opened {
        state
            .registry()
            .remote
            .follow(&here.asker(), page_key, node, true);
    }
    Ok(opened)
}

/// Gives `response` to transaction or page `id` on `node`. An identity
/// confirmation it requires is checked here, where the person's session
/// is, and then the answer is given again as confirmed.
pub(super) async fn answer(
    state: &AppState,
    here: Here<'_>,
    node: &str,
    id: &str,
    response: BrowserResponse,
    password: Option<&str>,
    check_types: bool,
) -> Result<Reply, Refused> {
    let op = |identity_confirmed| Op::Respond {
        id: id.to_owned(),
        response: response.clone(),
        check_types,
        identity_confirmed,
    };
    let outcome = call(state, here, node, op(false))
        .await
        .map_err(Refused::Failed)?;
    let Outcome::Identity {
        render_id,
        grace_period_ms,
    } = outcome
    else {
        return reply(outcome).map_err(Refused::Failed);
    };
    let required = IdentityRequirement {
        render_id,
        grace_period_ms,
    };
    meet_identity(state, here.viewer, &required, &response, password)
        .await
        .map_err(Refused::Identity)?;
    let outcome = call(state, here, node, op(true))
        .await
        .map_err(Refused::Failed)?;
    reply(outcome).map_err(Refused::Failed)
}

/// Dashboard connection `browser` closed: the nodes it asked forget it.
pub(super) fn detach(state: &Arc<AppState>, browser: u64) {
    let Some(cluster) = state.cluster().cloned() else {
        return;
    };
    let nodes = {
        let mut registry = state.registry();
        let remote = &mut registry.remote;
        remote.abroad.retain(|_, a| {
            a.browsers.remove(&browser);
            !a.browsers.is_empty()
        });
        remote.browsers_abroad.remove(&browser).unwrap_or_default()
    };
    for node in nodes {
        let cluster = cluster.clone();
        tokio::spawn(async move {
            // Answered at once; nothing to wait for.
            let _ = cluster
                .call(&node, None, Op::Disconnected { browser })
                .await;
        });
    }
}

/// Serves what other nodes send this one until `stop`, and keeps this
/// node's view of them current (every heartbeat, and at once when one's
/// hosts change).
pub(crate) async fn run_cluster(
    state: Arc<AppState>,
    mut incoming: mpsc::UnboundedReceiver<BusMessage>,
    stop: CancellationToken,
) {
    let changed = Arc::new(Notify::new());
    let refresher = tokio::spawn(keep_current(state.clone(), changed.clone(), stop.clone()));
    loop {
        let message = tokio::select! {
            _ = stop.cancelled() => break,
            message = incoming.recv() => match message {
                Some(message) => message,
                None => break,
            },
        };
        match message {
            BusMessage::Call {
                from,
                call,
                asker,
                op,
            } => {
                tokio::spawn(super::visitors::serve(state.clone(), from, call, asker, op));
            }
            // In order: this loop is the only one delivering them.
            BusMessage::Event { browser, message } => state.registry().send_to(browser, message),
            BusMessage::HostsChanged => changed.notify_one(),
            BusMessage::Moved { id, node } => {
                tokio::spawn(follow_moved(state.clone(), id, node));
            }
            // Taken by the listener (`Cluster::received`).
            BusMessage::Answer { .. } => {}
        }
    }
    let _ = refresher.await;
}

async fn keep_current(state: Arc<AppState>, changed: Arc<Notify>, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(state.config.node_heartbeat);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = ticks.tick() => {}
            _ = changed.notified() => {}
        }
        refresh(&state).await;
    }
}

/// Reads the other nodes' hosts. For a node that went away: calls waiting
/// for it fail; this node's dashboards that followed a transaction there
/// follow it here, waiting for its host to replay it (on this node; the
/// balancer sends that node's hosts to the others), and a page there is
/// closed; that node's dashboard connections here are forgotten.
async fn refresh(state: &Arc<AppState>) {
    let timeout = i64::try_from(state.config.node_timeout.as_millis()).unwrap_or(i64::MAX);
    let (records, nodes) = match state.store.hosts_elsewhere(&state.node_id, timeout).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!("{e}");
            return;
        }
    };
    let hosts: Vec<RemoteHost> = records
        .into_iter()
        .filter_map(RemoteHost::from_record)
        .collect();
    let nodes: HashSet<String> = nodes.into_iter().collect();
    let (stranded, visitors_gone) = {
        let mut registry = state.registry();
        let gone: HashSet<String> = registry.remote.nodes.difference(&nodes).cloned().collect();
        registry.remote.hosts = hosts;
        registry.remote.nodes = nodes;
        if gone.is_empty() {
            return;
        }
        tracing::info!(
            "nodes gone: {}",
            gone.iter().cloned().collect::<Vec<_>>().join(", ")
        );
        if let Some(cluster) = state.cluster() {
            cluster.fail_calls_to(&gone);
        }
        let remote = &mut registry.remote;
        let stranded: Vec<(String, Abroad)> = remote
            .abroad
            .iter()
            .filter(|(_, a)| gone.contains(&a.node))
            .map(|(id, a)| (id.clone(), a.clone()))
            .collect();
        // Kept: the transaction's host replays it here (`AppState::revive`
        // takes them) or on a third node, which says so (`follow_moved`).
        remote
            .abroad
            .retain(|_, a| !a.page || !gone.contains(&a.node));
        for nodes in remote.browsers_abroad.values_mut() {
            nodes.retain(|node| !gone.contains(node));
        }
        let visitors = remote
            .proxies
            .iter()
            .filter(|((node, _), _)| gone.contains(node))
            .map(|(_, id)| *id)
            .collect::<Vec<u64>>();
        remote.proxies.retain(|(node, _), _| !gone.contains(node));
        (stranded, visitors)
    };
    // Following it here: until its host replays it, the dashboard hears
    // that the host went away (`HostClosed`), as after a restart.
    for (id, abroad) in stranded {
        for browser in abroad.browsers {
            if abroad.page {
                let event = Event::HostClosed { id: id.clone() };
                state
                    .registry()
                    .send_to(browser, ServerMessage::Event { event });
            } else if let Err(e) = attach_here(state, &abroad.person, browser, &id).await {
                tracing::warn!("{e}");
            }
        }
    }
    for visitor in visitors_gone {
        super::visitors::gone(state, visitor).await;
    }
}
