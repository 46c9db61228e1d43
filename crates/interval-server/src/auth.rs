//! Dashboard login. Without a configured password the server only binds to
//! loopback and the dashboard is open to whoever can reach it there; with a
//! password, every dashboard page and the dashboard socket require a session
//! cookie obtained at `/login`. Hosts (`/websocket`) and the HTTP API use API
//! keys instead.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::Deserialize;

use crate::state::AppState;

/// Name of the session cookie.
const COOKIE: &str = "interval_session";

/// The dashboard's password (as an argon2 hash) and its open sessions.
pub struct Auth {
    password_hash: Option<String>,
    sessions: Mutex<HashSet<String>>,
}

impl Auth {
    /// Login required when `password` is set.
    pub fn new(password: Option<&str>) -> Result<Auth, String> {
        let password_hash = password
            .map(|p| {
                crate::keys::hash(p)
                    .map_err(|e| format!("could not hash the dashboard password: {e}"))
            })
            .transpose()?;
        Ok(Auth {
            password_hash,
            sessions: Mutex::default(),
        })
    }

    /// Whether a login is required.
    pub fn enabled(&self) -> bool {
        self.password_hash.is_some()
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the request carries a valid session (or none is needed).
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        if !self.enabled() {
            return true;
        }
        session_cookie(headers).is_some_and(|token| self.sessions().contains(token))
    }

    fn login(&self, password: &str) -> Option<String> {
        let hash = self.password_hash.as_deref()?;
        if !crate::keys::verify(password, hash) {
            return None;
        }
        let token: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(40)
            .map(char::from)
            .collect();
        self.sessions().insert(token.clone());
        Some(token)
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

/// Middleware: lets requests with a session through; sends others to the
/// login page (pages) or answers 401 (the API).
pub async fn require_login(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if state.auth.allows(request.headers()) {
        return next.run(request).await;
    }
    if request.uri().path().starts_with("/api/") {
        return (StatusCode::UNAUTHORIZED, "Log in to the dashboard first.").into_response();
    }
    Redirect::to("/login").into_response()
}

/// `/login` (the form and its submission) and `/logout`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", get(logout))
}

fn page(error: Option<&str>) -> Html<String> {
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{e}</p>"))
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Log in · Interval</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/assets/dashboard.css\"></head>\
         <body><main><h1>Log in</h1>{error}<form method=\"post\" action=\"/login\">\
         <div class=\"field\"><label for=\"password\">Password</label> <input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required autofocus></div> <div class=\"buttons\"><button class=\"button primary\" type=\"submit\">Log in</button></div>\
         </form></main></body></html>"
    ))
}

async fn login_page() -> Html<String> {
    page(None)
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    password: String,
}

async fn login(State(state): State<Arc<AppState>>, Form(form): Form<LoginForm>) -> Response {
    match state.auth.login(&form.password) {
        Some(token) => {
            let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
            ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
        }
        None => {
            // Slow down guessing.
            tokio::time::sleep(Duration::from_millis(500)).await;
            (StatusCode::UNAUTHORIZED, page(Some("Wrong password."))).into_response()
        }
    }
}

async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(token) = session_cookie(&headers) {
        state.auth.sessions().remove(token);
    }
    let expired = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    ([(header::SET_COOKIE, expired)], Redirect::to("/login")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_come_only_from_the_right_password() {
        let auth = Auth::new(Some("s3cret")).unwrap();
        assert!(auth.enabled());
        assert!(!auth.allows(&HeaderMap::new()));
        assert!(auth.login("wrong").is_none());
        let token = auth.login("s3cret").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            format!("a=b; {COOKIE}={token}").parse().unwrap(),
        );
        assert!(auth.allows(&headers));
        headers.insert(header::COOKIE, format!("{COOKIE}=forged").parse().unwrap());
        assert!(!auth.allows(&headers));
        assert!(Auth::new(None).unwrap().allows(&HeaderMap::new()));
    }
}
