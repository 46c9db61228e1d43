//! Running transactions from the dashboard: starting, attaching, canceling,
//! leaving (answers are in [`super::answers`]).

use std::collections::HashSet;
use std::sync::Arc;

use interval_protocol::host::Params;
use interval_protocol::io::{IoResponse, IoResponseKind};
use interval_protocol::server::{
    ClosePage, ClosePageInputs, CloseTransaction, CloseTransactionInputs,
    IoResponse as IoResponseCall, IoResponseInputs, StartTransaction, StartTransactionInputs,
};
use interval_protocol::types::{ActionRef, ResultStatus};
use serde_json::{Map, Value};

use super::routes::sees_action;
use crate::access;
use crate::api::{Event, Reply, ServerMessage};
use crate::auth::Viewer;
use crate::db::{now_ms, TransactionRecord};
use crate::keys::KeyKind;
use crate::people::Person;
use crate::state::{new_transaction_id, AppState, LiveTransaction};

/// Who runs a transaction or opens a page, where, and from which
/// dashboard connection.
#[derive(Clone, Copy)]
pub struct Run<'a> {
    /// The person.
    pub viewer: &'a Viewer,
    /// Their environment.
    pub environment: KeyKind,
    /// The dashboard connection.
    pub browser: u64,
    /// The node of the dashboard connection, when it is another node's.
    pub browser_node: Option<&'a str>,
}

/// Refuses a request about transaction or page `id` from anyone but the
/// person who runs it (or, for a page, the connection that opened it), with
/// the message of an unknown one.
pub(super) fn check_owner(
    state: &AppState,
    person: &Person,
    browser: u64,
    id: &str,
) -> Result<(), String> {
    let registry = state.registry();
    let owned = match (registry.transactions.get(id), registry.pages.get(id)) {
        (Some(t), _) => t.runner == person.id,
        (None, Some(p)) => p.browser == browser,
        (None, None) => true, // answered by the handler
    };
    match owned {
        true => Ok(()),
        false => Err(format!("No running transaction or open page {id}.")),
    }
}

/// Starts `slug` on a live host; when one fails to take it, the next is
/// tried.
pub async fn start_transaction(
    state: &Arc<AppState>,
    run: Run<'_>,
    slug: String,
    mut params: Map<String, Value>,
    queued_action_id: Option<String>,
) -> Result<Reply, String> {
    let person = &run.viewer.person;
    let Some(user) = person.user() else {
        return Err("Viewers cannot run actions; ask an admin for another role.".into());
    };
    if !sees_action(state, person, run.environment, &slug) {
        return Err(access::no_such_action(&slug));
    }
    let mut params_meta = None;
    if let Some(queued) = queued_action_id {
        let record = state
            .store
            .dequeue(&queued)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("No queued action {queued}."))?;
        let environment_of_record = record.environment == run.environment.environment()
            && (run.environment == KeyKind::Live
                || record.developer_id.as_deref() == Some(person.id.as_str()));
        if record.action_slug != slug
            || !environment_of_record
            || record
                .assignee
                .as_deref()
                .is_some_and(|a| !a.eq_ignore_ascii_case(&person.email))
        {
            // Not theirs to run: back in the queue.
            if let Err(e) = state.store.enqueue(&record).await {
                tracing::error!("{e}");
            }
            return Err(format!("No queued action {queued}."));
        }
        if let Value::Object(queued_params) = record.params {
            for (k, v) in queued_params {
                params.entry(k).or_insert(v);
            }
        }
        params_meta = record
            .params_meta
            .and_then(|m| serde_json::from_value(m).ok());
    }
    // Params must be scalars (§2.3): nested values are sent as JSON text.
    let params: Params = params
        .into_iter()
        .map(|(k, v)| match v {
            Value::Array(_) | Value::Object(_) => (k, Value::String(v.to_string())),
            v => (k, v),
        })
        .collect();
    let id = new_transaction_id();
    let mut tried = HashSet::new();
    let environment = run.environment;
    loop {
        let picked = state
            .registry()
            .pick_host(&slug, person, environment, &tried);
        let Some((host, wire)) = picked else {
            return Err(if tried.is_empty() {
                format!("No host is serving the action \"{slug}\" right now.")
            } else {
                format!("No host could start the action \"{slug}\".")
            });
        };
        tried.insert(host.clone());
        let record = TransactionRecord {
            id: id.clone(),
            action_slug: slug.clone(),
            status: "PENDING".into(),
            result_status: None,
            params: Value::Object(params.clone()),
            result: None,
            host_instance_id: Some(host.clone()),
            runner_email: user.email.clone(),
            runner_id: Some(person.id.clone()),
            environment: environment.environment().into(),
            created_at: now_ms(),
            completed_at: None,
            node_id: Some(state.node_id.clone()),
        };
        if tried.len() == 1 {
            state
                .store
                .audit(
                    Some(&person.email),
                    "action_run",
                    &format!(
                        "{slug} ({}) with params {}",
                        environment.environment(),
                        crate::visibility::short(&Value::Object(params.clone()).to_string())
                    ),
                )
                .await;
            state
                .store
                .insert_transaction_for(
                    &record,
                    params_meta
                        .as_ref()
                        .map(|m: &interval_protocol::superjson::Meta| {
                            serde_json::to_value(m).unwrap_or(Value::Null)
                        })
                        .as_ref(),
                    run.browser_node,
                )
                .await
                .map_err(|e| e.to_string())?;
        } else if let Err(e) = state.store.set_status(&id, "PENDING", Some(&host)).await {
            tracing::error!("{e}");
        }
        let mut transaction = LiveTransaction::new(slug.clone(), host.clone(), person.id.clone());
        transaction.browsers.insert(run.browser);
        let append_ui = {
            let mut registry = state.registry();
            transaction.append_ui = registry.hosts.get(&host).is_some_and(|h| h.appends_ui());
            let append_ui = transaction.append_ui;
            registry.transactions.insert(id.clone(), transaction);
            append_ui
        };
        let inputs = StartTransactionInputs {
            transaction_id: id.clone(),
            display_resolves_immediately: Some(append_ui),
            action_name: slug.clone(),
            action: ActionRef {
                slug: slug.clone(),
                url: format!("{}/actions/{slug}", state.base_url()),
            },
            environment: environment.environment().into(),
            user: user.clone(),
            params: params.clone(),
            params_meta: params_meta.clone(),
        };
        match wire.call::<StartTransaction>(&inputs).await {
            Ok(()) => {
                if let Err(e) = state.store.mark_started(&id).await {
                    tracing::error!("{e}");
                }
                return Ok(Reply::TransactionStarted { transaction_id: id });
            }
            Err(e) => {
                tracing::warn!("host {host} did not take transaction {id}: {e}; trying another");
                state.registry().transactions.remove(&id);
            }
        }
    }
}

pub(super) async fn attach(
    state: &Arc<AppState>,
    person: &Person,
    browser: u64,
    transaction_id: &str,
) -> Result<Reply, String> {
    let someone_elses = |registry: &crate::state::Registry| {
        // A running transaction is its runner's.
        registry
            .transactions
            .get(transaction_id)
            .is_some_and(|live| live.runner != person.id && !live.completed)
    };
    if someone_elses(&state.registry()) {
        return Err(format!("No transaction {transaction_id}."));
    }
    let record = crate::visibility::transaction(&state.store, person, transaction_id)
        .await
        .map_err(|e| e.to_string())?;
    let Some(record) = record else {
        return Err(format!("No transaction {transaction_id}."));
    };
    let mut registry = state.registry();
    if someone_elses(&registry) {
        return Err(format!("No transaction {transaction_id}."));
    }
    if !registry.transactions.contains_key(transaction_id) {
        // Unfinished: recorded as another node's that went away (its
        // browsers came here), or being taken over by this node right now,
        // or its host has not come back yet.
        let unfinished = matches!(
            record.status.as_str(),
            "PENDING" | "RUNNING" | "AWAITING_INPUT"
        );
        if record.status != "HOST_CONNECTION_DROPPED" && !unfinished {
            // Over, and forgotten by the registry (or by a restart): the
            // store has its outcome.
            if record.status == "COMPLETED" {
                let event = completed_event(transaction_id, record);
                registry.send_to(browser, ServerMessage::Event { event });
            }
            return Ok(Reply::Ok);
        }
        // Interrupted by a server restart (or run by a node that went
        // away), and its host has not replayed it yet: wait for it here, so that its render reaches this dashboard
        // when it comes back (`AppState::revive` keeps this entry).
        if record.runner_id.as_deref() != Some(&person.id) {
            return Err(format!("No transaction {transaction_id}."));
        }
        wait_for_host(state, &mut registry, &record);
    }
    let Some(transaction) = registry.transactions.get_mut(transaction_id) else {
        return Err(format!("No transaction {transaction_id}."));
    };
    transaction.browsers.insert(browser);
    // A dashboard that attaches late (a reload, a reconnect, one that was
    // too slow to read) gets the outcome too: from the store, the record
    // (read before, so as not to hold the registry while reading; one
    // completed in between is not stored yet, and its completion reaches
    // this dashboard, attached now, as it does every other).
    let completed = match transaction.completed && record.status == "COMPLETED" {
        true => Some(completed_event(transaction_id, record)),
        false => None,
    };
    // Every step of an append-UI transaction, in order; else what waits.
    let append = transaction.append_ui;
    let shown: Vec<&str> = match append && !transaction.steps.is_empty() {
        true => transaction.steps.iter().map(|(_, r)| r.as_str()).collect(),
        false => transaction.pending_render.as_deref().into_iter().collect(),
    };
    let renders = shown
        .into_iter()
        .filter_map(|r| serde_json::from_str::<interval_protocol::io::IoRender>(r).ok())
        .map(|render| answered(render, transaction))
        .map(|render| Event::Render {
            transaction_id: transaction_id.to_owned(),
            render,
            append,
        });
    let replay: Vec<Event> = renders
        .map(Some)
        .chain([
            transaction.loading.clone().map(|state| Event::Loading {
                transaction_id: transaction_id.to_owned(),
                state,
            }),
            transaction
                .redirect
                .clone()
                .map(|(target, replace)| Event::Redirect {
                    transaction_id: transaction_id.to_owned(),
                    target,
                    replace,
                }),
            transaction.host_gone.then(|| Event::HostClosed {
                id: transaction_id.to_owned(),
            }),
            completed,
        ])
        .flatten()
        .collect();
    for event in replay {
        registry.send_to(browser, ServerMessage::Event { event });
    }
    Ok(Reply::Ok)
}

/// `render` of an earlier step of `transaction` with the values answered
/// to it as its fields' defaults, and of its buttons the one given
/// (PROTOCOL §6.6: a reload shows the steps answered).
fn answered(
    mut render: interval_protocol::io::IoRender,
    transaction: &LiveTransaction,
) -> interval_protocol::io::IoRender {
    let group = render.input_group_key.clone();
    let Some(values) = transaction.answers.get(&group) else {
        return render;
    };
    let choice = transaction.choices.get(&group).map(String::as_str);
    crate::dashboard::steps::keep_button_given(&mut render, choice);
    for (component, value) in render.to_render.iter_mut().zip(values) {
        if component.method_name.starts_with("DISPLAY_") || value.is_null() {
            continue;
        }
        if let Some(props) = component.props.as_object_mut() {
            props.insert("defaultValue".into(), value.clone());
        }
    }
    render
}

/// Keeps transaction `record` here, waiting for its host to replay it on
/// this node (`AppState::revive` keeps the entry), so that its render
/// reaches the dashboards attached to it meanwhile. If its host does not
/// come back within the grace period, they are told (instead of waiting
/// for ever), as for a host that dropped.
pub(super) fn wait_for_host(
    state: &Arc<AppState>,
    registry: &mut crate::state::Registry,
    record: &TransactionRecord,
) {
    if registry.transactions.contains_key(&record.id) {
        return;
    }
    let mut waiting = LiveTransaction::new(
        record.action_slug.clone(),
        record.host_instance_id.clone().unwrap_or_default(),
        record.runner_id.clone().unwrap_or_default(),
    );
    waiting.host_gone = true;
    registry.transactions.insert(record.id.clone(), waiting);
    let state = state.clone();
    let id = record.id.clone();
    tokio::spawn(async move {
        tokio::time::sleep(state.config.host_reconnect_grace).await;
        let mut registry = state.registry();
        let lost = registry
            .transactions
            .get(&id)
            .is_some_and(|t| t.host_gone && !t.completed);
        if lost {
            registry.emit(&id, Event::HostDropped { id: id.clone() });
            if let Some(t) = registry.transactions.get_mut(&id) {
                t.completed = true;
            }
            registry.forget_if_done(&id);
        }
    });
}

/// The `Completed` event of a finished transaction, from its record.
fn completed_event(transaction_id: &str, record: TransactionRecord) -> Event {
    Event::Completed {
        transaction_id: transaction_id.to_owned(),
        result_status: record
            .result_status
            .and_then(|s| serde_json::from_value(Value::String(s)).ok())
            .unwrap_or(ResultStatus::Success),
        result: record.result.and_then(|r| serde_json::from_value(r).ok()),
    }
}

pub(super) async fn cancel(state: &AppState, id: &str) -> Result<Reply, String> {
    let (wire, render) = {
        let mut registry = state.registry();
        let Some(transaction) = registry.transactions.get_mut(id) else {
            return Err(format!("No running transaction {id}."));
        };
        if transaction.completed {
            return Ok(Reply::Ok);
        }
        transaction.completed = true;
        let render = transaction.pending_render.take();
        let host = transaction.host.clone();
        registry.emit(
            id,
            Event::Completed {
                transaction_id: id.to_owned(),
                result_status: ResultStatus::Canceled,
                result: None,
            },
        );
        let wire = registry.hosts.get(&host).map(|h| h.wire.clone());
        registry.forget_if_done(id);
        (wire, render)
    };
    let canceled = match state.store.set_result_status(id, "CANCELED").await {
        Ok(()) => state.store.complete(id, "CANCELED", None).await.map(drop),
        Err(e) => Err(e),
    };
    if let Err(e) = canceled {
        tracing::error!("{e}");
    }
    let (render_id, group) = render
        .and_then(|r| serde_json::from_str::<interval_protocol::io::IoRender>(&r).ok())
        .map(|r| (r.id, r.input_group_key))
        .unwrap_or_else(|| ("UNKNOWN".into(), "UNKNOWN".into()));
    if let Some(wire) = wire {
        let value = IoResponse {
            id: render_id,
            input_group_key: Some(group),
            transaction_id: id.to_owned(),
            kind: IoResponseKind::Canceled,
            choice: None,
            values: vec![],
            values_meta: None,
        };
        let inputs = IoResponseInputs {
            value: serde_json::to_string(&value).unwrap_or_default(),
            transaction_id: id.to_owned(),
        };
        if let Err(e) = wire.call::<IoResponseCall>(&inputs).await {
            tracing::warn!("could not tell the host that {id} was canceled: {e}");
        }
    }
    Ok(Reply::Ok)
}

/// Connection `browser` stops following transaction `id`; leaving an
/// action that cannot run in the background cancels it. The last dashboard
/// leaving an append-UI transaction that is over (or canceled now) closes
/// it on its host (PROTOCOL CLOSE_TRANSACTION), which keeps it until then.
pub(super) async fn leave(state: &AppState, browser: u64, id: &str) -> Result<Reply, String> {
    let (abandoned, close) = {
        let mut registry = state.registry();
        if let Some(t) = registry.transactions.get_mut(id) {
            t.browsers.remove(&browser);
        }
        let close = closable(&registry, id);
        registry.forget_if_done(id);
        (registry.is_abandoned(id), close)
    };
    if abandoned {
        cancel(state, id).await?;
    }
    if let Some((wire, completed)) = close {
        if completed || abandoned {
            close_on_host(&wire, id).await;
        }
    }
    Ok(Reply::Ok)
}

/// The host connection of append-UI transaction `id` when no dashboard
/// follows it any more, and whether it is over.
pub(crate) fn closable(
    registry: &crate::state::Registry,
    id: &str,
) -> Option<(Arc<crate::wire::Wire>, bool)> {
    let t = registry.transactions.get(id)?;
    if !t.append_ui || !t.browsers.is_empty() {
        return None;
    }
    let wire = registry.hosts.get(&t.host)?.wire.clone();
    Some((wire, t.completed))
}

/// Tells a host to forget transaction `id` (CLOSE_TRANSACTION).
pub(crate) async fn close_on_host(wire: &crate::wire::Wire, id: &str) {
    let inputs = CloseTransactionInputs {
        transaction_id: id.to_owned(),
    };
    if let Err(e) = wire.call::<CloseTransaction>(&inputs).await {
        tracing::debug!("could not close transaction {id} on its host: {e}");
    }
}

/// Detaches a closed dashboard from its transactions and closes its pages
/// on their hosts.
pub(super) async fn detach(state: &Arc<AppState>, browser: u64) {
    let mut closed = Vec::new();
    let (pages, abandoned): (Vec<(String, Arc<crate::wire::Wire>)>, Vec<String>) = {
        let mut registry = state.registry();
        let mut left = Vec::new();
        for (id, transaction) in registry.transactions.iter_mut() {
            if transaction.browsers.remove(&browser) {
                left.push(id.clone());
            }
        }
        for id in &left {
            if let Some((wire, true)) = closable(&registry, id) {
                closed.push((id.clone(), wire));
            }
            registry.forget_if_done(id);
        }
        let abandoned = left
            .into_iter()
            .filter(|id| registry.is_abandoned(id))
            .collect();
        let keys: Vec<String> = registry
            .pages
            .iter()
            .filter(|(_, p)| p.browser == browser)
            .map(|(k, _)| k.clone())
            .collect();
        let pages = keys
            .into_iter()
            .filter_map(|key| {
                let page = registry.pages.remove(&key)?;
                let wire = registry.hosts.get(&page.host)?.wire.clone();
                Some((key, wire))
            })
            .collect();
        (pages, abandoned)
    };
    for (page_key, wire) in pages {
        let _ = wire.call::<ClosePage>(&ClosePageInputs { page_key }).await;
    }
    for (id, wire) in closed {
        close_on_host(&wire, &id).await;
    }
    // A transaction that cannot run in the background gets a grace period
    // for its dashboard to come back (a reload), then it is canceled.
    for id in abandoned {
        let state = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(state.config.abandoned_transaction_grace).await;
            let (still, close) = {
                let registry = state.registry();
                (registry.is_abandoned(&id), closable(&registry, &id))
            };
            if still {
                tracing::info!("canceling transaction {id}: its dashboard did not come back");
                let _ = cancel(&state, &id).await;
                if let Some((wire, _)) = close {
                    close_on_host(&wire, &id).await;
                }
            }
        });
    }
}
