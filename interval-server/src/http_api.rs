//! The HTTP API hosts use (§7): enqueue, dequeue, notify, plus `/health`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use interval_protocol::http::{DequeueBody, EnqueueBody, NotifyBody};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::access;
use crate::db::{now_ms, NotificationRecord, QueuedRecord};
use crate::keys::{ApiKey, KeyKind};
use crate::state::{AppState, KeyCheck};

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"type": "error", "message": message}))).into_response()
}

/// The key of an `Authorization: Bearer <key>` header (the scheme in any
/// case, RFC 9110 §11.1); 401 without one, and for any other scheme, which
/// would otherwise pass a `Basic` or `Digest` credential off as a key.
#[allow(clippy::result_large_err)] // the error is the response itself
fn bearer_key(headers: &HeaderMap) -> Result<String, Response> {
    let Some(value) = headers.get("authorization") else {
        return Err(error(StatusCode::UNAUTHORIZED, "No API key provided."));
    };
    let credentials = value.to_str().ok().and_then(|v| {
        let (scheme, key) = v.trim().split_once(' ')?;
        let key = key.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty()).then(|| key.to_owned())
    });
    credentials.ok_or_else(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "No API key provided: send it as `Authorization: Bearer <API key>`.",
        )
    })
}

/// Checks the bearer key (sent from `peer`) and parses the body.
#[allow(clippy::result_large_err)] // the error is the response itself
async fn authorize<T: DeserializeOwned>(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &str,
) -> Result<(ApiKey, T), Response> {
    let key = bearer_key(headers)?;
    let key = match state.check_api_key(Some(peer.ip()), &key).await {
        Ok(KeyCheck::Valid(key)) => key,
        Ok(KeyCheck::Invalid) => {
            return Err(error(StatusCode::FORBIDDEN, "Invalid API key provided."))
        }
        Ok(KeyCheck::Refused(refused)) => {
            return Err(error(StatusCode::TOO_MANY_REQUESTS, &refused.message()))
        }
        Err(e) => {
            tracing::error!("{e}");
            return Err(error(StatusCode::INTERNAL_SERVER_ERROR, "Server error"));
        }
    };
    let body = serde_json::from_str(body).map_err(|e| {
        tracing::debug!("invalid API body: {e}");
        error(StatusCode::BAD_REQUEST, "Invalid request body.")
    })?;
    Ok((key, body))
}

fn server_error(e: crate::db::DbError) -> Response {
    tracing::error!("{e}");
    error(StatusCode::INTERNAL_SERVER_ERROR, "Server error")
}

/// `POST /api/actions/enqueue`.
pub async fn enqueue(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let (key, body): (ApiKey, EnqueueBody) = match authorize(&state, peer, &headers, &body).await {
        Ok(authorized) => authorized,
        Err(response) => return response,
    };
    match state.store.action_exists(&body.slug).await {
        Ok(true) => {}
        Ok(false) => return error(StatusCode::NOT_FOUND, "Action not found."),
        Err(e) => return server_error(e),
    }
    // The assignee, by e-mail, as Interval: a person of the organization;
    // a development action only its developer.
    let assignee = match body.assignee.as_deref().filter(|a| !a.trim().is_empty()) {
        None => None,
        Some(email) => match state.store.person_by_email(email).await {
            Ok(Some((person, _))) => Some(person),
            Ok(None) => return error(StatusCode::NOT_FOUND, "Assignee not found"),
            Err(e) => return server_error(e),
        },
    };
    if let Some(person) = &assignee {
        if key.kind == KeyKind::Development && key.owner.as_deref() != Some(person.id.as_str()) {
            return error(
                StatusCode::BAD_REQUEST,
                "Development actions can only be assigned to the action developer",
            );
        }
    }
    let record = QueuedRecord {
        id: interval_protocol::new_id().to_string(),
        action_slug: body.slug,
        assignee: assignee.as_ref().map(|p| p.email.clone()),
        params: Value::Object(body.params.unwrap_or_default()),
        params_meta: body.params_meta.and_then(|m| serde_json::to_value(m).ok()),
        created_at: now_ms(),
        environment: key.kind.environment().into(),
        developer_id: match key.kind {
            KeyKind::Development => key.owner.clone(),
            KeyKind::Live => None,
        },
    };
    if let Err(e) = state.store.enqueue(&record).await {
        return server_error(e);
    }
    if let Some(person) = &assignee {
        let name = state
            .store
            .action_names()
            .await
            .ok()
            .and_then(|names| names.get(&record.action_slug).cloned())
            .unwrap_or_else(|| record.action_slug.clone());
        let notified = state
            .store
            .notify_person(
                &person.email,
                "An action was assigned to you",
                &format!("{name} is waiting in your queue."),
            )
            .await;
        if let Err(e) = notified {
            tracing::error!("{e}");
        }
    }
    Json(json!({"type": "success", "id": record.id})).into_response()
}

/// `POST /api/actions/dequeue`.
pub async fn dequeue(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let (key, body): (ApiKey, DequeueBody) = match authorize(&state, peer, &headers, &body).await {
        Ok(authorized) => authorized,
        Err(response) => return response,
    };
    // Only a key of its environment may take it out of the queue.
    match state.store.queued(&body.id).await {
        Ok(Some(record))
            if access::key_reaches(&record.environment, record.developer_id.as_deref(), &key) => {}
        Ok(_) => return error(StatusCode::NOT_FOUND, "Queued action not found"),
        Err(e) => return server_error(e),
    }
    match state.store.dequeue(&body.id).await {
        Ok(Some(record)) => {
            let mut reply = json!({"type": "success", "id": record.id, "params": record.params, "paramsMeta": record.params_meta});
            if let Some(assignee) = record.assignee {
                reply["assignee"] = Value::String(assignee);
            }
            Json(reply).into_response()
        }
        Ok(None) => error(StatusCode::NOT_FOUND, "Queued action not found"),
        Err(e) => server_error(e),
    }
}

/// `POST /api/notify`.
pub async fn notify(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let (key, body): (_, NotifyBody) = match authorize(&state, peer, &headers, &body).await {
        Ok(authorized) => authorized,
        Err(response) => return response,
    };
    // A transaction of the key's own environment (Interval: of its
    // organization): a development key cannot write into production runs.
    if let Some(id) = &body.transaction_id {
        match state.store.transaction(id).await {
            Ok(Some(t)) if access::key_reaches(&t.environment, t.runner_id.as_deref(), &key) => {}
            Ok(_) => return error(StatusCode::FORBIDDEN, "Transaction not found."),
            Err(e) => return server_error(e),
        }
    }
    let record = NotificationRecord {
        id: interval_protocol::new_id().to_string(),
        message: body.message,
        title: body.title,
        transaction_id: body.transaction_id,
        deliveries: serde_json::to_value(&body.delivery_instructions).unwrap_or(Value::Null),
        created_at: now_ms(),
    };
    // Stored with its deliveries; they are sent in the background.
    match crate::delivery::queue_notification(
        &state,
        &record,
        body.idempotency_key.as_deref(),
        key.kind,
        &body.delivery_instructions,
    )
    .await
    {
        Ok(_) => Json(json!({"type": "success"})).into_response(),
        Err(e) => server_error(e),
    }
}

/// `GET /health`.
pub async fn health(State(state): State<Arc<AppState>>) -> Json<Value> {
    let hosts = state
        .registry()
        .hosts
        .values()
        .filter(|h| h.is_live())
        .count();
    Json(json!({"status": "ok", "hosts": hosts}))
}
