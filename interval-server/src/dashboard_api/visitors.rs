//! Dashboard connections of other nodes, served here because the
//! transaction or page they follow runs on a host of this node. Each one
//! gets a stand-in connection: an outbox whose messages go back to its node
//! ([`crate::cluster::Cluster::send_event`]) instead of to a socket, so that
//! everything else treats it as one of this node's dashboards.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::answers::{identity_requirement, respond, typed_errors};
use super::pages::{close_page, open_page};
use super::transactions::{attach, cancel, check_owner, detach, leave, start_transaction, Run};
use crate::api::Reply;
use crate::auth::{SignedInVia, Viewer};
use crate::cluster::{Asker, Op, Outcome};
use crate::outbox::{Outbox, Outgoing, Payload};
use crate::state::AppState;

/// Does `op` for `asker` of node `from` and answers call `call`.
pub(super) async fn serve(
    state: Arc<AppState>,
    from: String,
    call: u64,
    asker: Option<Asker>,
    op: Op,
) {
    let outcome = match (asker, op) {
        (_, Op::Disconnected { browser }) => {
            let stand_in = state
                .registry()
                .remote
                .proxies
                .remove(&(from.clone(), browser));
            if let Some(stand_in) = stand_in {
                gone(&state, stand_in).await;
            }
            Outcome::Reply { reply: Reply::Ok }
        }
        (Some(asker), op) => run(&state, &from, asker, op).await,
        (None, _) => Outcome::Failed {
            message: "A request from another node without its person.".into(),
        },
    };
    if let Some(cluster) = state.cluster() {
        cluster.answer(&from, call, outcome).await;
    }
}

async fn run(state: &Arc<AppState>, from: &str, asker: Asker, op: Op) -> Outcome {
    let browser = stand_in(state, from, asker.browser);
    let viewer = Viewer {
        person: asker.person,
        session: None,
        // The asking node checked the session; identity confirmations are
        // checked there too (see `Outcome::Identity`).
        via: match asker.open {
            true => SignedInVia::Open,
            false => SignedInVia::Session,
        },
    };
    let person = &viewer.person;
    let run = Run {
        viewer: &viewer,
        environment: asker.environment,
        browser,
        // Recorded with a transaction it starts (see `abroad::follow_moved`).
        browser_node: Some(from),
    };
    let done = match op {
        Op::Start {
            slug,
            params,
            queued_action_id,
        } => start_transaction(state, run, slug, params, queued_action_id).await,
        Op::Attach { id } => attach(state, person, browser, &id).await,
        Op::Respond {
            id,
            response,
            check_types,
            identity_confirmed,
        } => {
            if let Err(message) = check_owner(state, person, browser, &id) {
                return Outcome::Failed { message };
            }
            if check_types {
                if let Some(errors) = typed_errors(state, &id, &response) {
                    return Outcome::Reply {
                        reply: Reply::Invalid { errors },
                    };
                }
            }
            match identity_requirement(state, &id) {
                Some(required) if !identity_confirmed => {
                    return Outcome::Identity {
                        render_id: required.render_id,
                        grace_period_ms: required.grace_period_ms,
                    }
                }
                _ => respond(state, &id, response).await,
            }
        }
        Op::Cancel { id } => match check_owner(state, person, browser, &id) {
            Ok(()) => cancel(state, &id).await,
            Err(message) => Err(message),
        },
        Op::Leave { id } => match check_owner(state, person, browser, &id) {
            Ok(()) => leave(state, browser, &id).await,
            Err(message) => Err(message),
        },
        Op::OpenPage { slug, params } => open_page(state, run, &slug, params).await,
        Op::ClosePage { key } => match check_owner(state, person, browser, &key) {
            Ok(()) => Ok(close_page(state, key).await),
            Err(message) => Err(message),
        },
        Op::Disconnected { .. } => Ok(Reply::Ok),
    };
    match done {
        Ok(reply) => Outcome::Reply { reply },
        Err(message) => Outcome::Failed { message },
    }
}

/// The stand-in here for connection `browser` of node `node`.
fn stand_in(state: &Arc<AppState>, node: &str, browser: u64) -> u64 {
    let mut registry = state.registry();
    if let Some(id) = registry.remote.proxies.get(&(node.to_owned(), browser)) {
        return *id;
    }
    let id = state.next_id();
    let (outbox, rx) = Outbox::new(id, &state.config.limits);
    registry.browsers.insert(id, outbox.clone());
    registry
        .remote
        .proxies
        .insert((node.to_owned(), browser), id);
    tokio::spawn(relay(state.clone(), node.to_owned(), browser, outbox, rx));
    id
}

/// Sends what a stand-in's outbox queues to its node, in order.
async fn relay(
    state: Arc<AppState>,
    node: String,
    browser: u64,
    outbox: Arc<Outbox>,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
) {
    let Some(cluster) = state.cluster().cloned() else {
        return;
    };
    loop {
        let mut entry = tokio::select! {
            biased;
            _ = outbox.closed() => break,
            entry = rx.recv() => match entry {
                Some(entry) => entry,
                None => break,
            },
        };
        if let Payload::Message(message) = entry.take_payload() {
            cluster.send_event(&node, browser, *message).await;
        }
        outbox.done(entry);
    }
}

/// Stand-in `id` is gone (its connection closed, or its node went away):
/// detached from its transactions and pages, as a closed connection here.
pub(super) async fn gone(state: &Arc<AppState>, id: u64) {
    let outbox = state.registry().browsers.get(&id).cloned();
    if let Some(outbox) = outbox {
        outbox.close();
    }
    detach(state, id).await;
    state.registry().browsers.remove(&id);
}
