//! The dashboard people use: HTML pages rendered by the server with maud, a
//! stylesheet and a small script compiled into the binary (no front-end
//! build step).
//!
//! The pages are plain server-rendered HTML (the route tree, history, the
//! queue, notifications). The action and page views open the dashboard
//! WebSocket ([`crate::api`]), send [`crate::api::Request::Html`], and from
//! then on receive every render, loading state, log and result as HTML
//! fragments rendered here ([`io`], [`live`]); the script only swaps them in
//! and sends the form's raw values back, which [`values`] turns into the
//! typed values of the protocol. Nothing an action sends reaches the page
//! unescaped or unsanitized ([`sanitize`]), and every response carries a
//! strict Content-Security-Policy.

mod admin;
pub mod environment;
mod fragments;
pub mod io;
mod keys_page;
pub mod live;
pub mod relay;
pub mod routes;
pub mod sanitize;
mod shell;
pub(crate) mod steps;
pub mod uploads;
pub mod values;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use axum::{Extension, Router};

pub use live::{Session, StateChange};
pub use uploads::Uploads;

use crate::auth::Viewer;
use crate::state::AppState;

/// The policy sent with every dashboard response: scripts and styles only
/// from this server (no inline script, no inline style), images and videos
/// from anywhere an action points to, no frames, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob: https: http:; \
     media-src 'self' data: blob: https: http:; connect-src 'self'; font-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The dashboard's shared state: the server's state and the uploaded files.
pub struct Dashboard {
    /// The server's state.
    pub app: Arc<AppState>,
    /// Files uploaded for `UPLOAD_FILE` components.
    pub uploads: Uploads,
}

impl Dashboard {
    /// The dashboard of `app`; uploads go next to the database (or in a
    /// temporary directory when the database is in memory).
    pub fn new(app: Arc<AppState>) -> std::io::Result<Arc<Dashboard>> {
        let uploads = Uploads::new(app.config.database.as_deref())?;
        Ok(Arc::new(Dashboard { app, uploads }))
    }
}

/// The dashboard's pages and its socket (behind the login when one is
/// configured).
pub fn router(dashboard: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/", get(views::index))
        .route("/actions/{*slug}", get(views::route))
        .route("/history", get(views::history))
        .route("/history/{id}", get(views::transaction))
        .route("/queue", get(views::queue))
        .route("/notifications", get(views::notifications))
        .route("/environment", post(environment::switch))
        .route("/keys", get(keys_page::keys).post(keys_page::create))
        .route("/keys/{id}/revoke", post(keys_page::revoke))
        .route("/people", get(admin::people))
        .route("/people/invite", post(admin::invite))
        .route("/people/{id}/role", post(admin::set_role))
        .route("/people/{id}/remove", post(admin::remove_person))
        .route("/teams", post(admin::create_team))
        .route("/teams/{slug}/members", post(admin::add_member))
        .route(
            "/teams/{slug}/members/{id}/remove",
            post(admin::remove_member),
        )
        .route("/audit", get(admin::audit))
        .route("/api/dashboard", any(socket))
        .route("/uploads/relay/{token}", put(relay::relay))
        .layer(axum::middleware::map_response(secure_headers))
        .with_state(dashboard)
}

/// What needs no login: the stylesheet, script and icon, and the upload URLs
/// (capabilities: random tokens handed out over the dashboard socket; the
/// host downloads files with no session).
pub fn public_router(dashboard: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/assets/dashboard.js", get(script))
        .route("/assets/combobox.js", get(|| script_asset(COMBOBOX_SCRIPT)))
        .route("/assets/sheet.js", get(|| script_asset(SHEET_SCRIPT)))
        .route("/assets/uploads.js", get(|| script_asset(UPLOADS_SCRIPT)))
        .route("/assets/dashboard.css", get(stylesheet))
        .route("/assets/favicon.svg", get(favicon))
        // Asked for by browsers on pages without an icon link (JSON, text).
        .route("/favicon.ico", get(favicon))
        .route(
            "/uploads/{token}",
            get(uploads::download).put(uploads::upload),
        )
        .layer(axum::middleware::map_response(secure_headers))
        .with_state(dashboard)
}

/// Adds the Content-Security-Policy and its companions to a response.
async fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

const SCRIPT: &str = include_str!("../../assets/dashboard.js");
const COMBOBOX_SCRIPT: &str = include_str!("../../assets/combobox.js");
const STYLESHEET: &str = include_str!("../../assets/dashboard.css");
const FAVICON: &str = include_str!("../../assets/favicon.svg");

const SHEET_SCRIPT: &str = include_str!("../../assets/sheet.js");
const UPLOADS_SCRIPT: &str = include_str!("../../assets/uploads.js");

async fn script() -> impl IntoResponse {
    script_asset(SCRIPT).await
}

/// One of the dashboard's scripts.
async fn script_asset(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        STYLESHEET,
    )
}

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        FAVICON,
    )
}

async fn socket(
    State(dashboard): State<Arc<Dashboard>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // The Host and Origin of the upgrade were checked by `crate::origin`.
    if let Some(refused) = dashboard.app.refuse_while_stopping() {
        return refused;
    }
    let Some(slot) = dashboard.app.dashboard_slots.take(peer.ip()) else {
        tracing::warn!("refused a dashboard connection from {peer}: too many open");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many dashboard connections are open; close some tabs and try again.",
        )
            .into_response();
    };
    let ws = crate::configure(ws, &dashboard.app.config.limits);
    let environment = environment::chosen(&dashboard.app, &headers, &viewer.person).await;
    ws.on_upgrade(move |socket| async move {
        crate::dashboard_api::serve(dashboard, viewer, environment, socket).await;
        drop(slot);
    })
}
