//! The dashboard's WebSocket API (see [`crate::api`]): requests from the
//! dashboard, events pushed to it.

mod abroad;
mod answers;
mod pages;
mod routes;
mod transactions;
mod visitors;

pub(crate) use abroad::run_cluster;
use answers::{answer_here, Refused};
use pages::{close_page, open_page};
pub use routes::routes;
use transactions::{attach, cancel, check_owner, leave};
pub(crate) use transactions::{closable, close_on_host};
pub use transactions::{start_transaction, Run};

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use crate::api::{BrowserResponse, ClientMessage, Reply, Request, ServerMessage};
use crate::auth::Viewer;
use crate::cluster::Op;
use crate::dashboard::{Dashboard, Session, StateChange};
use crate::keys::KeyKind;
use crate::limits::RateLimiter;
use crate::outbox::{Outbox, Outgoing, Payload, TOO_MUCH_UNREAD};
use crate::state::AppState;
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
    abroad::detach(&state, browser);
    transactions::detach(&state, browser).await;
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
                .await
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
    let viewer = session.viewer(state).await?;
    let person = &viewer.person;
    let environment = session.environment();
    // Answering, canceling or leaving: only the person who runs it (or the
    // connection that opened the page). One that runs on another node is
    // checked there.
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
    let here = abroad::Here {
        viewer: &viewer,
        environment,
        browser,
    };
    match request {
        Request::Routes => Ok(routes(state, person, environment)),
        Request::StartTransaction {
            slug,
            params,
            queued_action_id,
        } => {
            if let Some(node) = abroad::node_for_action(state, person, environment, &slug) {
                return abroad::start(state, here, &node, slug, params, queued_action_id).await;
            }
            let run = Run {
                viewer: &viewer,
                environment,
                browser,
                browser_node: None,
            };
            start_transaction(state, run, slug, params, queued_action_id).await
        }
        Request::Attach { transaction_id } => {
            if let Some(node) = abroad::node_to_attach(state, &transaction_id).await {
                let attached = abroad::attach(state, here, &node, transaction_id.clone()).await;
                // A node that went away meanwhile: its host comes here or
                // to another node; wait for it as after a restart.
                if attached.is_ok() || abroad::is_alive(state, &node) {
                    return attached;
                }
            }
            attach(state, person, browser, &transaction_id).await
        }
        Request::Respond {
            transaction_id,
            response,
            password,
        } => answer(
            state,
            here,
            &transaction_id,
            response,
            password.as_deref(),
            true,
        )
        .await
        .map_err(Refused::message),
        Request::Cancel { transaction_id } => match abroad::node_of(state, &transaction_id) {
            Some(node) => abroad::ask(state, here, &node, Op::Cancel { id: transaction_id }).await,
            None => cancel(state, &transaction_id).await,
        },
        Request::Leave { transaction_id } => match abroad::node_of(state, &transaction_id) {
            Some(node) => abroad::ask(state, here, &node, Op::Leave { id: transaction_id }).await,
            None => leave(state, browser, &transaction_id).await,
        },
        Request::OpenPage { slug, params } => {
            if let Some(node) = abroad::node_for_page(state, person, environment, &slug) {
                return abroad::open_page(state, here, &node, slug, params).await;
            }
            let run = Run {
                viewer: &viewer,
                environment,
                browser,
                browser_node: None,
            };
            open_page(state, run, &slug, params).await
        }
        Request::ClosePage { page_key } => match abroad::node_of(state, &page_key) {
            Some(node) => abroad::ask(state, here, &node, Op::ClosePage { key: page_key }).await,
            None => Ok(close_page(state, page_key).await),
        },
        Request::History { limit } => Ok(Reply::History {
            transactions: crate::visibility::history(
                &state.store,
                person,
                limit.unwrap_or(50).min(500),
            )
            .await
            .map_err(db)?,
        }),
        Request::Transaction { transaction_id } => {
            let transaction = crate::visibility::transaction(&state.store, person, &transaction_id)
                .await
                .map_err(db)?
                .ok_or_else(|| format!("No transaction {transaction_id}."))?;
            let logs = state.store.logs(&transaction_id).await.map_err(db)?;
            Ok(Reply::Transaction {
                transaction: Box::new(transaction),
                logs,
            })
        }
        Request::Queue => Ok(Reply::Queue {
            queued: crate::visibility::queue(state, person, environment)
                .await
                .map_err(db)?,
        }),
        Request::Notifications => Ok(Reply::Notifications {
            notifications: crate::visibility::notifications(&state.store, person, 100)
                .await
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
            match answer(
                state,
                here,
                &transaction_id,
                response,
                password.as_deref(),
                false,
            )
            .await
            {
                Ok(reply) => Ok(reply),
                // Shown on the form; the host hears nothing.
                Err(Refused::Identity(message)) => {
                    let index = session.identity_index(&transaction_id).unwrap_or_default();
                    Ok(Reply::Invalid {
                        errors: vec![crate::api::FieldError { index, message }],
                    })
                }
                Err(Refused::Failed(message)) => Err(message),
            }
        }
        Request::SetState {
            transaction_id,
            input_group_key,
            index,
            state: new_state,
        } => match session.state_change(&transaction_id, input_group_key, index, new_state)? {
            StateChange::Host(response) => {
                answer(state, here, &transaction_id, response, None, false)
                    .await
                    .map_err(Refused::message)
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
            input_group_key: Some(input_group_key),
            index: Some(index),
        } => Ok(Reply::UploadUrls {
            urls: session.relay_urls(&transaction_id, &input_group_key, index, files.len())?,
        }),
        Request::UploadUrls {
            transaction_id,
            files,
            ..
        } => Ok(Reply::UploadUrls {
            urls: session.upload_urls(&transaction_id, &files)?,
        }),
    }
}

/// Gives `response` to the host of transaction or page `id`, on this node
/// or through the node that runs it.
async fn answer(
    state: &Arc<AppState>,
    here: abroad::Here<'_>,
    id: &str,
    response: BrowserResponse,
    password: Option<&str>,
    check_types: bool,
) -> Result<Reply, Refused> {
    match abroad::node_of(state, id) {
        Some(node) => abroad::answer(state, here, &node, id, response, password, check_types).await,
        None => answer_here(state, here.viewer, id, response, password, check_types).await,
    }
}
