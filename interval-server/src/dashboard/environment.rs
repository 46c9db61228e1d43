//! Which environment a person works in: production, or their own
//! development environment (developers and admins), as Interval's
//! environment switcher. The choice is a cookie; the switch is a POST.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::Dashboard;
use crate::auth::Viewer;
use crate::keys::KeyKind;
use crate::people::Person;
use crate::state::AppState;

/// The cookie holding the choice.
const COOKIE: &str = "interval_environment";

/// The environment `person` works in: their choice when they may make it;
/// otherwise production when the organization has production (a live key
/// or a live host), and development when it has none yet (a server run
/// by `cargo run`, where everything is development).
pub async fn chosen(app: &AppState, headers: &HeaderMap, person: &Person) -> KeyKind {
    if !person.role.develops() {
        return KeyKind::Live;
    }
    let choice = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value);
    match choice {
        Some("development") => KeyKind::Development,
        Some("production") => KeyKind::Live,
        _ => match has_production(app).await {
            true => KeyKind::Live,
            false => KeyKind::Development,
        },
    }
}

/// Whether the organization has a production environment in use: an
/// unrevoked live key, or a live host connected.
async fn has_production(app: &AppState) -> bool {
    let live_key = app.store.has_live_key().await.unwrap_or(false);
    live_key
        || app
            .registry()
            .hosts
            .values()
            .any(|h| h.key == KeyKind::Live && h.is_live())
}

/// The switch's form.
#[derive(Deserialize)]
pub struct Switch {
    environment: String,
}

/// `POST /environment`: switches, and goes back to the dashboard.
pub async fn switch(
    State(_dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    Form(form): Form<Switch>,
) -> Response {
    let environment = match form.environment.as_str() {
        "development" if viewer.person.role.develops() => "development",
        _ => "production",
    };
    let cookie = format!("{COOKIE}={environment}; SameSite=Strict; Path=/; Max-Age=31536000");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}
