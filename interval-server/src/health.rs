//! Liveness and readiness, for load balancers and orchestrators.
//!
//! - `GET /health` (liveness): the process answers; no database access.
//!   `{"status":"ok","hosts":N}`.
//! - `GET /ready` (readiness): `200 {"status":"ready"}` when the store
//!   answers a trivial query within [`READY_TIMEOUT`]; `503
//!   {"status":"unavailable","reason":…}` when it does not, or once the
//!   server is shutting down (so a balancer stops sending new clients while
//!   open connections drain).
//!
//! Neither needs a login; both pass the `Host` allow-list like every
//! request (a balancer's probe names an IP address or the public URL's
//! host, which are allowed).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// How long `/ready` waits for the database.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
struct Probe {
    state: Arc<AppState>,
    shutdown: CancellationToken,
}

/// `/health` and `/ready`; `shutdown` is cancelled when the server begins
/// to stop.
pub(crate) fn router(state: Arc<AppState>, shutdown: CancellationToken) -> Router {
    Router::new()
        .route(
            "/health",
            get(crate::http_api::health).with_state(state.clone()),
        )
        .route("/ready", get(ready))
        .with_state(Probe { state, shutdown })
}

async fn ready(State(probe): State<Probe>) -> Response {
    if probe.shutdown.is_cancelled() {
        return unavailable("the server is shutting down");
    }
    // Give up on the database after a while: a pool whose connections
    // are all taken, or a database that stopped answering.
    match tokio::time::timeout(READY_TIMEOUT, probe.state.store.people_count()).await {
        Ok(Ok(_)) if !probe.shutdown.is_cancelled() => {
            Json(json!({"status": "ready"})).into_response()
        }
        Ok(Ok(_)) => unavailable("the server is shutting down"),
        Ok(Err(e)) => {
            tracing::warn!("readiness: the database failed: {e}");
            unavailable("the database failed a query")
        }
        Err(_) => unavailable(&format!(
            "the database did not answer within {} ms",
            READY_TIMEOUT.as_millis()
        )),
    }
}

fn unavailable(reason: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "unavailable", "reason": reason})),
    )
        .into_response()
}
