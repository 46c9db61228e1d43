//! The dashboard's WebSocket API (see [`crate::api`]): requests from the
//! dashboard, events pushed to it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use interval_protocol::host::Params;
use interval_protocol::io::{IoResponse, IoResponseKind};
use interval_protocol::server::{
    ClosePage, ClosePageInputs, IoResponse as IoResponseCall, IoResponseInputs, OpenPage,
    OpenPageInputs, OpenPageReturns, StartTransaction, StartTransactionInputs,
};
use interval_protocol::types::{AccessControl, ActionRef, PageRef, ResultStatus};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::access;
use crate::api::{
    name_from_slug, ActionInfo, BrowserResponse, ClientMessage, Event, PageInfo, Reply, Request,
    ServerMessage,
};
use crate::auth::{SignedInVia, Viewer};
use crate::dashboard::{Dashboard, Session, StateChange};
use crate::db::{now_ms, TransactionRecord};
use crate::keys::KeyKind;
use crate::limits::RateLimiter;
use crate::outbox::{Outbox, Outgoing, Payload, TOO_MUCH_UNREAD};
use crate::people::Person;
use crate::state::{new_transaction_id, AppState, LivePage, LiveTransaction, Registry};
use crate::wire::POLICY_VIOLATION;

/// How long a connection closed for not reading ([`TOO_MUCH_UNREAD`]) is
/// given to take its close frame before it is dropped.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// Serves one dashboard connection until it closes.
///
/// Its budgets ([`crate::outbox`]): the read loop takes a request permit
/// before it reads each request, so with
/// [`crate::Limits::browser_requests_in_flight`] replies unwritten it stops
/// reading; what is queued for the writer stays within
/// [`crate::Limits::browser_queued_bytes`], or the connection is closed.
pub async fn serve(
    dashboard: Arc<Dashboard>,
    viewer: Viewer,
    environment: KeyKind,
    socket: WebSocket,
) {
    let state = dashboard.app.clone();
    let session = Arc::new(Session::new(dashboard, viewer, environment));
    let browser = state.next_id();
    let (outbox, rx) = Outbox::new(browser, &state.config.limits);
    state.registry().browsers.insert(browser, outbox.clone());
    let (sink, mut stream) = socket.split();
    let writer = tokio::spawn(write(outbox.clone(), session.clone(), sink, rx));
    let mut limiter = RateLimiter::new(state.config.limits.browser_requests_per_second);
    let mut permit = None;
    loop {
        // Back-pressure: the next request is read only once the connection
        // is under its maximum in flight.
        let ready = match permit.take() {
            Some(ready) => ready,
            None => match outbox.request_permit().await {
                Some(ready) => ready,
                None => break,
            },
        };
        let message = tokio::select! {
            biased;
            _ = outbox.closed() => break,
            message = stream.next() => message,
        };
        let Some(Ok(message)) = message else {
            break;
        };
        let request = match read_request(message, &mut limiter) {
            Ok(request) => request,
            Err(failed) => {
                if let Some((id, message)) = failed {
                    outbox.push_message(ServerMessage::Failed { id, message });
                }
                // Kept for the next message.
                permit = Some(ready);
                continue;
            }
        };
        let in_flight = outbox.start(ready);
        let state = state.clone();
        let session = session.clone();
        let outbox = outbox.clone();
        tokio::spawn(async move {
            // Runs to its end once started (it may have told a host
            // something); its reply is dropped if the connection closed.
            let message = match handle(&state, &session, browser, request.request).await {
                Ok(result) => ServerMessage::Reply {
                    id: request.id,
                    result,
                },
                Err(message) => ServerMessage::Failed {
                    id: request.id,
                    message,
                },
            };
            outbox.reply(&message, in_flight).await;
        });
    }
    drop(permit);
    outbox.close();
    disconnected(&state, browser).await;
    // The writer ends at once, or within CLOSE_WAIT when it has a close
    // frame to deliver.
    let _ = writer.await;
    // Requests still running end by themselves (their replies are
    // dropped); the connection stays listed (`dashboard_backlogs`) until
    // the last one has.
    outbox.requests_ended().await;
    state.registry().browsers.remove(&browser);
}

/// The request in `message`; or nothing to do, or the failure to answer
/// (request id and message: an invalid request, over the rate limit).
fn read_request(
    message: Message,
    limiter: &mut RateLimiter,
) -> Result<ClientMessage, Option<(u64, String)>> {
    let Message::Text(text) = message else {
        return Err(None);
    };
    let request: ClientMessage = serde_json::from_str(text.as_str())
        .map_err(|e| Some((0, format!("invalid request: {e}"))))?;
    if !limiter.allow() {
        return Err(Some((
            request.id,
            "Rate limit exceeded: too many requests per second.".into(),
        )));
    }
    Ok(request)
}

/// Writes what `outbox` queues to the socket, in order, until the outbox
/// closes or the socket fails; each message's bytes and request permit are
/// given back once it has been written. When the connection did not read,
/// it is told why (1008) before it is dropped.
async fn write(
    outbox: Arc<Outbox>,
    session: Arc<Session>,
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
) {
    'queue: loop {
        let mut entry = tokio::select! {
            biased;
            _ = outbox.closed() => break,
            entry = rx.recv() => match entry {
                Some(entry) => entry,
                None => break,
            },
        };
        let texts: Vec<String> = match entry.take_payload() {
            Payload::Text(text) => vec![text],
            Payload::Message(message) => session
                .present(*message)
                .iter()
                .filter_map(|message| serde_json::to_string(message).ok())
                .collect(),
        };
        for text in texts {
            let sent = tokio::select! {
                biased;
                _ = outbox.closed() => false,
                sent = sink.send(Message::Text(text.into())) => sent.is_ok(),
            };
            if !sent {
                outbox.done(entry);
                break 'queue;
            }
        }
        outbox.done(entry);
    }
    outbox.close();
    // What is still queued is dropped.
    rx.close();
    while let Ok(entry) = rx.try_recv() {
        outbox.done(entry);
    }
    if outbox.overflowed() {
        let close = Message::Close(Some(CloseFrame {
            code: POLICY_VIOLATION,
            reason: TOO_MUCH_UNREAD.into(),
        }));
        let _ = tokio::time::timeout(CLOSE_WAIT, sink.send(close)).await;
    }
}

/// Detaches a closed dashboard from its transactions and closes its pages
/// on their hosts.
async fn disconnected(state: &Arc<AppState>, browser: u64) {
    let (pages, abandoned): (Vec<(String, Arc<crate::wire::Wire>)>, Vec<String>) = {
        let mut registry = state.registry();
        let mut left = Vec::new();
        for (id, transaction) in registry.transactions.iter_mut() {
            if transaction.browsers.remove(&browser) {
                left.push(id.clone());
            }
        }
        for id in &left {
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
    // A transaction that cannot run in the background gets a grace period
    // for its dashboard to come back (a reload), then it is canceled.
    for id in abandoned {
        let state = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(state.config.abandoned_transaction_grace).await;
            let still = state.registry().is_abandoned(&id);
            if still {
                tracing::info!("canceling transaction {id}: its dashboard did not come back");
                let _ = cancel(&state, &id).await;
            }
        });
    }
}

async fn handle(
    state: &Arc<AppState>,
    session: &Session,
    browser: u64,
    request: Request,
) -> Result<Reply, String> {
    let db = |e: crate::db::DbError| {
        tracing::error!("{e}");
        "The server could not read its database; see its log.".to_owned()
    };
    // Read again at every request: a role, a team or a session may have
    // changed since the connection opened.
    let viewer = session.viewer(state)?;
    let person = &viewer.person;
    let environment = session.environment();
    // Answering, canceling or leaving: only the person who runs it (or the
    // connection that opened the page).
    match &request {
        Request::Respond { transaction_id, .. }
        | Request::Cancel { transaction_id }
        | Request::Leave { transaction_id }
        | Request::Submit { transaction_id, .. }
        | Request::SetState { transaction_id, .. }
        | Request::UploadUrls { transaction_id, .. } => {
            check_owner(state, person, browser, transaction_id)?
        }
        _ => {}
    }
    match request {
        Request::Routes => Ok(routes(state, person, environment)),
        Request::StartTransaction {
            slug,
            params,
            queued_action_id,
        } => {
            let run = Run {
                viewer: &viewer,
                environment,
                browser,
            };
            start_transaction(state, run, slug, params, queued_action_id).await
        }
        Request::Attach { transaction_id } => attach(state, person, browser, &transaction_id),
        Request::Respond {
            transaction_id,
            response,
            password,
        } => {
            if let Some(errors) = typed_errors(state, &transaction_id, &response) {
                return Ok(Reply::Invalid { errors });
            }
            check_identity(
                state,
                &viewer,
                &transaction_id,
                &response,
                password.as_deref(),
            )
            .await?;
            respond(state, &transaction_id, response).await
        }
        Request::Cancel { transaction_id } => cancel(state, &transaction_id).await,
        Request::Leave { transaction_id } => {
            let abandoned = {
                let mut registry = state.registry();
                if let Some(t) = registry.transactions.get_mut(&transaction_id) {
                    t.browsers.remove(&browser);
                }
                registry.forget_if_done(&transaction_id);
                registry.is_abandoned(&transaction_id)
            };
            // Leaving an action that cannot run in the background cancels it.
            if abandoned {
                cancel(state, &transaction_id).await?;
            }
            Ok(Reply::Ok)
        }
        Request::OpenPage { slug, params } => {
            let run = Run {
                viewer: &viewer,
                environment,
                browser,
            };
            open_page(state, run, &slug, params).await
        }
        Request::ClosePage { page_key } => {
            let target = {
                let mut registry = state.registry();
                let page = registry.pages.remove(&page_key);
                page.and_then(|p| registry.hosts.get(&p.host).map(|h| h.wire.clone()))
            };
            if let Some(wire) = target {
                let _ = wire.call::<ClosePage>(&ClosePageInputs { page_key }).await;
            }
            Ok(Reply::Ok)
        }
        Request::History { limit } => Ok(Reply::History {
            transactions: crate::visibility::history(
                &state.store,
                person,
                limit.unwrap_or(50).min(500),
            )
            .map_err(db)?,
        }),
        Request::Transaction { transaction_id } => {
            let transaction = crate::visibility::transaction(&state.store, person, &transaction_id)
                .map_err(db)?
                .ok_or_else(|| format!("No transaction {transaction_id}."))?;
            let logs = state.store.logs(&transaction_id).map_err(db)?;
            Ok(Reply::Transaction {
                transaction: Box::new(transaction),
                logs,
            })
        }
        Request::Queue => Ok(Reply::Queue {
            queued: crate::visibility::queue(state, person, environment).map_err(db)?,
        }),
        Request::Notifications => Ok(Reply::Notifications {
            notifications: crate::visibility::notifications(&state.store, person, 100)
                .map_err(db)?,
        }),
        Request::Html => {
            session.enable_html();
            Ok(Reply::Ok)
        }
        Request::Submit {
            transaction_id,
            render_id,
            input_group_key,
            choice,
            fields,
            password,
        } => {
            let response = match session.submission(
                &transaction_id,
                render_id,
                input_group_key,
                choice,
                &fields,
            )? {
                Ok(response) => response,
                Err(errors) => return Ok(Reply::Invalid { errors }),
            };
            if let Err(message) = check_identity(
                state,
                &viewer,
                &transaction_id,
                &response,
                password.as_deref(),
            )
            .await
            {
                // Shown on the form; the host hears nothing.
                let index = session.identity_index(&transaction_id).unwrap_or_default();
                return Ok(Reply::Invalid {
                    errors: vec![crate::api::FieldError { index, message }],
                });
            }
            respond(state, &transaction_id, response).await
        }
        Request::SetState {
            transaction_id,
            input_group_key,
            index,
            state: new_state,
        } => match session.state_change(&transaction_id, input_group_key, index, new_state)? {
            StateChange::Host(response) => {
                check_identity(state, &viewer, &transaction_id, &response, None).await?;
                respond(state, &transaction_id, response).await
            }
            StateChange::Shown(event) => {
                state
                    .registry()
                    .send_to(browser, ServerMessage::Event { event });
                Ok(Reply::Ok)
            }
        },
        Request::UploadUrls {
            transaction_id,
            files,
        } => Ok(Reply::UploadUrls {
            urls: session.upload_urls(&transaction_id, &files)?,
        }),
    }
}

/// The route tree that `person` sees in `environment`: what the live hosts
/// serving them there declare, merged, less what access keeps from them
/// (in production; see [`crate::access`]).
pub fn routes(state: &AppState, person: &Person, environment: KeyKind) -> Reply {
    let registry = state.registry();
    let mut actions: Vec<(ActionInfo, Option<AccessControl>)> = Vec::new();
    let mut pages: Vec<(PageInfo, Option<AccessControl>)> = Vec::new();
    let mut seen = HashSet::new();
    for host in registry
        .hosts
        .values()
        .filter(|h| Registry::serves(h, person, environment))
    {
        for page in &host.pages {
            if seen.insert(format!("page:{}", page.slug)) {
                pages.push((
                    PageInfo {
                        slug: page.slug.clone(),
                        name: page.name.clone(),
                        description: page.description.clone(),
                        has_handler: page.has_handler.or(page.has_index).unwrap_or(false),
                        unlisted: page.unlisted.unwrap_or(false),
                    },
                    page.access.clone(),
                ));
            }
        }
        for action in &host.actions {
            let slug = action.full_slug();
            if seen.insert(format!("action:{slug}")) {
                actions.push((
                    ActionInfo {
                        name: action
                            .name
                            .clone()
                            .unwrap_or_else(|| name_from_slug(&action.slug)),
                        slug,
                        group_slug: action.group_slug.clone(),
                        description: action.description.clone(),
                        backgroundable: action.backgroundable.unwrap_or(false),
                        unlisted: action.unlisted.unwrap_or(false),
                        warn_on_close: action.warn_on_close.unwrap_or(true),
                        access: action.access.clone(),
                    },
                    action.access.clone(),
                ));
            }
        }
    }
    drop(registry);
    // Access applies in production only, as Interval: a development
    // environment is its developer's own.
    let production = environment == KeyKind::Live;
    let page_access = |slug: &str| {
        pages
            .iter()
            .find(|(p, _)| p.slug == slug)
            .map(|(_, access)| (access.as_ref(), access::parent_slug(slug)))
    };
    let allowed = |own: Option<&AccessControl>, parent: Option<String>| {
        let inherited = || access::effective(None, parent, page_access);
        !production || access::allows(own.or_else(inherited), person)
    };
    let mut visible_actions: Vec<ActionInfo> = actions
        .iter()
        .filter(|(a, own)| {
            let parent = a
                .group_slug
                .clone()
                .or_else(|| access::parent_slug(&a.slug));
            allowed(own.as_ref(), parent)
        })
        .map(|(a, _)| a.clone())
        .collect();
    let mut visible_pages: Vec<PageInfo> = pages
        .iter()
        .filter(|(p, own)| allowed(own.as_ref(), access::parent_slug(&p.slug)))
        .map(|(p, _)| p.clone())
        .collect();
    visible_actions.sort_by(|a, b| a.slug.cmp(&b.slug));
    visible_pages.sort_by(|a, b| a.slug.cmp(&b.slug));
    Reply::Routes {
        actions: visible_actions,
        pages: visible_pages,
    }
}

/// Whether `person` sees action `slug` in `environment`.
fn sees_action(state: &AppState, person: &Person, environment: KeyKind, slug: &str) -> bool {
    matches!(routes(state, person, environment), Reply::Routes { actions, .. } if actions.iter().any(|a| a.slug == slug))
}

/// Whether `person` sees page `slug` in `environment`.
fn sees_page(state: &AppState, person: &Person, environment: KeyKind, slug: &str) -> bool {
    matches!(routes(state, person, environment), Reply::Routes { pages, .. } if pages.iter().any(|p| p.slug == slug))
}

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
}

/// Refuses a request about transaction or page `id` from anyone but the
/// person who runs it (or, for a page, the connection that opened it), with
/// the message of an unknown one.
fn check_owner(state: &AppState, person: &Person, browser: u64, id: &str) -> Result<(), String> {
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
            if let Err(e) = state.store.enqueue(&record) {
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
        };
        if tried.len() == 1 {
            state.store.audit(
                Some(&person.email),
                "action_run",
                &format!(
                    "{slug} ({}) with params {}",
                    environment.environment(),
                    crate::visibility::short(&Value::Object(params.clone()).to_string())
                ),
            );
            state
                .store
                .insert_transaction(
                    &record,
                    params_meta
                        .as_ref()
                        .map(|m: &interval_protocol::superjson::Meta| {
                            serde_json::to_value(m).unwrap_or(Value::Null)
                        })
                        .as_ref(),
                )
                .map_err(|e| e.to_string())?;
        } else if let Err(e) = state.store.set_status(&id, "PENDING", Some(&host)) {
            tracing::error!("{e}");
        }
        let mut transaction = LiveTransaction::new(slug.clone(), host.clone(), person.id.clone());
        transaction.browsers.insert(run.browser);
        state
            .registry()
            .transactions
            .insert(id.clone(), transaction);
        let inputs = StartTransactionInputs {
            transaction_id: id.clone(),
            display_resolves_immediately: Some(false),
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
                if let Err(e) = state.store.set_status(&id, "RUNNING", None) {
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

fn attach(
    state: &Arc<AppState>,
    person: &Person,
    browser: u64,
    transaction_id: &str,
) -> Result<Reply, String> {
    let mut registry = state.registry();
    if let Some(live) = registry.transactions.get(transaction_id) {
        // A running transaction is its runner's.
        if live.runner != person.id && !live.completed {
            return Err(format!("No transaction {transaction_id}."));
        }
    }
    let record = crate::visibility::transaction(&state.store, person, transaction_id)
        .map_err(|e| e.to_string())?;
    let Some(record) = record else {
        return Err(format!("No transaction {transaction_id}."));
    };
    if !registry.transactions.contains_key(transaction_id) {
        if record.status != "HOST_CONNECTION_DROPPED" {
            // Over, and forgotten by the registry (or by a restart): the
            // store has its outcome.
            if record.status == "COMPLETED" {
                let event = completed_event(transaction_id, record);
                registry.send_to(browser, ServerMessage::Event { event });
            }
            return Ok(Reply::Ok);
        }
        // Interrupted by a server restart, and its host has not replayed it
        // yet: wait for it here, so that its render reaches this dashboard
        // when it comes back (`AppState::revive` keeps this entry).
        if record.runner_id.as_deref() != Some(&person.id) {
            return Err(format!("No transaction {transaction_id}."));
        }
        let mut waiting = LiveTransaction::new(
            record.action_slug,
            record.host_instance_id.unwrap_or_default(),
            person.id.clone(),
        );
        waiting.host_gone = true;
        registry
            .transactions
            .insert(transaction_id.to_owned(), waiting);
        // If its host does not come back within the grace period, say so
        // (instead of waiting for ever), as for a host that dropped.
        let state = state.clone();
        let id = transaction_id.to_owned();
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
    let Some(transaction) = registry.transactions.get_mut(transaction_id) else {
        return Err(format!("No transaction {transaction_id}."));
    };
    transaction.browsers.insert(browser);
    // A dashboard that attaches late (a reload, a reconnect, one that was
    // too slow to read) gets the outcome too: from the store, the record.
    let completed = match transaction.completed {
        true => state
            .store
            .transaction(transaction_id)
            .ok()
            .flatten()
            .map(|record| completed_event(transaction_id, record)),
        false => None,
    };
    let replay: Vec<Event> = [
        transaction
            .pending_render
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .map(|render| Event::Render {
                transaction_id: transaction_id.to_owned(),
                render,
            }),
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
    ]
    .into_iter()
    .flatten()
    .collect();
    for event in replay {
        registry.send_to(browser, ServerMessage::Event { event });
    }
    Ok(Reply::Ok)
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

/// What is wrong with the typed values of a RETURN to the pending render of
/// transaction `id`, checked as the form's fields are (see
/// [`crate::dashboard::values::check_typed`]); `None` when nothing is, or
/// when there is nothing to check them against.
fn typed_errors(
    state: &AppState,
    id: &str,
    response: &BrowserResponse,
) -> Option<Vec<crate::api::FieldError>> {
    if response.kind != IoResponseKind::Return {
        return None;
    }
    let render: interval_protocol::io::IoRender = {
        let registry = state.registry();
        let pending = registry.transactions.get(id)?.pending_render.clone()?;
        serde_json::from_str(&pending).ok()?
    };
    if render.id != response.id {
        return None;
    }
    crate::dashboard::values::check_typed(&render, &response.values).err()
}

/// Whether `response` may go to the host of transaction `id`, given the
/// identity confirmation its pending `CONFIRM_IDENTITY` requires (recorded
/// at SEND_IO_CALL). Every answer passes through here before
/// [`respond`]: the dashboard's forms and the typed API alike.
///
/// * No requirement: it passes.
/// * An answer to another render, or not a RETURN: refused.
/// * `values` exactly `[false]`: passes and cancels the requirement.
/// * Otherwise the requirement must be met, and then it is cleared: the
///   dashboard has no password (loopback development mode, nothing can be
///   checked), or this session authenticated within `gracePeriodMs`, or
///   `password` passes the login's argon2 check (which counts as a new
///   authentication of the session).
async fn check_identity(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    response: &BrowserResponse,
    password: Option<&str>,
) -> Result<(), String> {
    let Some(required) = state
        .registry()
        .transactions
        .get(id)
        .and_then(|t| t.identity.clone())
    else {
        return Ok(());
    };
    if response.id != required.render_id || response.kind != IoResponseKind::Return {
        return Err("This transaction is waiting for an identity confirmation.".into());
    }
    let declined = response.values.as_slice() == [Value::Bool(false)];
    let met = declined
        || viewer.via == SignedInVia::Open
        || state.auth.authenticated_within(
            &state.store,
            viewer,
            required.grace_period_ms,
            crate::auth::now(),
        );
    if !met {
        let Some(password) = password.filter(|p| !p.is_empty()) else {
            return Err("Enter your password to confirm your identity.".into());
        };
        // The answer to a wrong password is delayed by the secret checks,
        // as the sign-in's is.
        let checked = state
            .auth
            .reauthenticate(&state.store, &state.secret_checks, viewer, password)
            .await
            .map_err(|e| {
                tracing::error!("{e}");
                "The server could not read its database; see its log.".to_owned()
            })?;
        match checked {
            Ok(true) => {}
            Ok(false) => return Err("Wrong password: your identity was not confirmed.".into()),
            Err(refused) => return Err(refused.message()),
        }
    }
    // Cleared by `respond` once the host has the answer: a failed send is
    // retried under the same check.
    Ok(())
}

async fn respond(state: &AppState, id: &str, response: BrowserResponse) -> Result<Reply, String> {
    let wire = {
        let registry = state.registry();
        let host = match (registry.transactions.get(id), registry.pages.get(id)) {
            (Some(t), _) if t.completed => return Err("This transaction is over.".into()),
            (Some(t), _) => t.host.clone(),
            (None, Some(p)) => p.host.clone(),
            (None, None) => return Err(format!("No running transaction or open page {id}.")),
        };
        registry
            .hosts
            .get(&host)
            .filter(|h| !h.wire.is_closed())
            .map(|h| h.wire.clone())
            .ok_or("The host running this is not connected right now; try again in a moment.")?
    };
    let value = IoResponse {
        id: response.id,
        input_group_key: Some(response.input_group_key),
        transaction_id: id.to_owned(),
        kind: response.kind,
        choice: response.choice,
        values: response.values,
        values_meta: response
            .values_meta
            .and_then(|m| serde_json::from_value(m).ok()),
    };
    let inputs = IoResponseInputs {
        value: serde_json::to_string(&value).map_err(|e| e.to_string())?,
        transaction_id: id.to_owned(),
    };
    wire.call::<IoResponseCall>(&inputs)
        .await
        .map_err(|e| format!("The host did not take the answer: {e}"))?;
    // An identity confirmation answered (confirmed or declined) is met.
    if let Some(t) = state.registry().transactions.get_mut(id) {
        if t.identity.as_ref().is_some_and(|r| r.render_id == value.id) {
            t.identity = None;
        }
    }
    Ok(Reply::Ok)
}

async fn cancel(state: &AppState, id: &str) -> Result<Reply, String> {
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
    if let Err(e) = state
        .store
        .set_result_status(id, "CANCELED")
        .and_then(|_| state.store.complete(id, "CANCELED", None))
    {
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

async fn open_page(
    state: &AppState,
    run: Run<'_>,
    slug: &str,
    params: Map<String, Value>,
) -> Result<Reply, String> {
    let person = &run.viewer.person;
    let Some(user) = person.user() else {
        return Err("Viewers cannot open pages; ask an admin for another role.".into());
    };
    if !sees_page(state, person, run.environment, slug) {
        return Err(access::no_such_page(slug));
    }
    let browser = run.browser;
    let (host, wire) = state
        .registry()
        .pick_page_host(slug, person, run.environment)
        .ok_or_else(|| format!("No host is serving the page \"{slug}\" right now."))?;
    let page_key = interval_protocol::new_id().to_string();
    state.registry().pages.insert(
        page_key.clone(),
        LivePage {
            host: host.clone(),
            browser,
            layout: None,
        },
    );
    let inputs = OpenPageInputs {
        page_key: page_key.clone(),
        page: PageRef {
            slug: slug.to_owned(),
        },
        environment: run.environment.environment().into(),
        user,
        params,
        params_meta: None,
    };
    match wire.call::<OpenPage>(&inputs).await {
        Ok(OpenPageReturns::Success { .. }) => Ok(Reply::PageOpened { page_key }),
        Ok(OpenPageReturns::Error { message }) => {
            state.registry().pages.remove(&page_key);
            Err(message.unwrap_or_else(|| "The host could not open the page.".into()))
        }
        Err(e) => {
            state.registry().pages.remove(&page_key);
            Err(format!("The host could not open the page: {e}"))
        }
    }
}
