//! The dashboard's WebSocket API (see [`crate::api`]): requests from the
//! dashboard, events pushed to it.

mod pages;
mod routes;
mod transactions;

use pages::open_page;
pub use routes::routes;
use transactions::{attach, cancel, check_identity, check_owner, respond, typed_errors};
pub use transactions::{start_transaction, Run};

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use interval_protocol::server::{ClosePage, ClosePageInputs};
use tokio::sync::mpsc;

use crate::api::{ClientMessage, Reply, Request, ServerMessage};
use crate::auth::Viewer;
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
    let viewer = session.viewer(state).await?;
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
        Request::Attach { transaction_id } => attach(state, person, browser, &transaction_id).await,
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
