//! Dashboard login. Without a configured password the server only binds to
//! loopback and the dashboard is open to whoever can reach it there; with a
//! password, every dashboard page and the dashboard socket require a session
//! cookie obtained at `/login`. Hosts (`/websocket`) and the HTTP API use API
//! keys instead.
//!
//! Each session remembers when it last authenticated (logged in, or
//! re-entered the password for a `CONFIRM_IDENTITY`), for that component's
//! `gracePeriodMs`. Without a password there is nothing to re-enter: a
//! `CONFIRM_IDENTITY` is then answered as a plain confirmation, and its form
//! says that identity cannot be confirmed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use rand::distr::Alphanumeric;
use rand::Rng;
use serde::Deserialize;

use crate::secret_checks::{Refused, SecretChecks};
use crate::state::AppState;

/// The account name of the dashboard password in the secret checks.
const DASHBOARD_ACCOUNT: &str = "dashboard";

/// The shortest dashboard password the server starts with.
pub const MIN_PASSWORD_LENGTH: usize = 12;

/// Name of the session cookie.
const COOKIE: &str = "interval_session";

/// The dashboard's password (as an argon2 hash) and its open sessions, each
/// with the time (ms since the epoch) it last authenticated: logged in, or
/// confirmed its identity for a `CONFIRM_IDENTITY`.
pub struct Auth {
    password_hash: Option<String>,
    sessions: Mutex<HashMap<String, u64>>,
}

/// Whether an authentication at `last` (ms) is recent enough at `now` to
/// skip asking for the password again: only with a positive
/// `grace_period_ms`, and only within it.
pub fn within_grace(last: Option<u64>, grace_period_ms: Option<u64>, now: u64) -> bool {
    match (last, grace_period_ms) {
        (Some(last), Some(grace)) if grace > 0 => now.saturating_sub(last) <= grace,
        _ => false,
    }
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

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the request carries a valid session (or none is needed).
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        if !self.enabled() {
            return true;
        }
        session_cookie(headers).is_some_and(|token| self.sessions().contains_key(token))
    }

    /// The valid session the request carries, if any.
    pub fn session_of(&self, headers: &HeaderMap) -> Option<String> {
        session_cookie(headers)
            .filter(|token| self.sessions().contains_key(*token))
            .map(str::to_owned)
    }

    /// Whether `password` (sent from `address`) is the dashboard's: the
    /// argon2 check of the login and of identity confirmations, rationed by
    /// `checks`; false without a password.
    pub async fn check_password(
        &self,
        checks: &SecretChecks,
        address: Option<IpAddr>,
        password: &str,
    ) -> Result<bool, Refused> {
        let Some(hash) = self.password_hash.clone() else {
            return Ok(false);
        };
        let password = password.to_owned();
        checks
            .check(address, DASHBOARD_ACCOUNT, move || {
                crate::keys::verify(&password, &hash)
            })
            .await
    }

    /// Whether `session` authenticated within `grace_period_ms` of `now`.
    pub fn authenticated_within(
        &self,
        session: Option<&str>,
        grace_period_ms: Option<u64>,
        now: u64,
    ) -> bool {
        let last = session.and_then(|s| self.sessions().get(s).copied());
        within_grace(last, grace_period_ms, now)
    }

    /// Re-authenticates an open `session` with `password`; on success its
    /// authentication time becomes now.
    pub async fn reauthenticate(
        &self,
        checks: &SecretChecks,
        address: Option<IpAddr>,
        session: Option<&str>,
        password: &str,
    ) -> Result<bool, Refused> {
        if !self.check_password(checks, address, password).await? {
            return Ok(false);
        }
        let mut sessions = self.sessions();
        if let Some(last) = session.and_then(|s| sessions.get_mut(s)) {
            *last = now();
        }
        Ok(true)
    }

    /// A new session, when `password` is right.
    async fn login(
        &self,
        checks: &SecretChecks,
        address: Option<IpAddr>,
        password: &str,
    ) -> Result<Option<String>, Refused> {
        if !self.check_password(checks, address, password).await? {
            return Ok(None);
        }
        let token: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(40)
            .map(char::from)
            .collect();
        self.sessions().insert(token.clone(), now());
        Ok(Some(token))
    }
}

/// Now, in ms since the epoch.
pub fn now() -> u64 {
    crate::db::now_ms().max(0) as u64
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
        .route("/logout", post(logout))
}

fn page(error: Option<&str>) -> Html<String> {
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{e}</p>"))
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Log in · Interval</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/assets/dashboard.css\">\
         <link rel=\"icon\" type=\"image/svg+xml\" href=\"/assets/favicon.svg\"></head>\
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

async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Response {
    let checked = state
        .auth
        .login(&state.secret_checks, Some(peer.ip()), &form.password)
        .await;
    match checked {
        Ok(Some(token)) => {
            let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
            ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
        }
        // The answer to a wrong password was delayed by the checks.
        Ok(None) => (StatusCode::UNAUTHORIZED, page(Some("Wrong password."))).into_response(),
        Err(refused) => (
            StatusCode::TOO_MANY_REQUESTS,
            page(Some(&refused.message())),
        )
            .into_response(),
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

    fn checks() -> SecretChecks {
        SecretChecks::new(crate::secret_checks::CheckLimits {
            first_delay: std::time::Duration::from_millis(1),
            ..Default::default()
        })
    }

    #[tokio::test]
    async fn sessions_come_only_from_the_right_password() {
        let checks = checks();
        let auth = Auth::new(Some("correct-horse-battery")).unwrap();
        assert!(auth.enabled());
        assert!(!auth.allows(&HeaderMap::new()));
        assert_eq!(auth.login(&checks, None, "wrong").await, Ok(None));
        let token = auth
            .login(&checks, None, "correct-horse-battery")
            .await
            .unwrap()
            .unwrap();
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

    #[tokio::test]
    async fn the_grace_period_counts_from_the_last_authentication() {
        let checks = checks();
        assert!(within_grace(Some(1_000), Some(500), 1_000));
        assert!(within_grace(Some(1_000), Some(500), 1_500));
        assert!(!within_grace(Some(1_000), Some(500), 1_501));
        // No grace period, or a zero one: always ask.
        assert!(!within_grace(Some(1_000), None, 1_000));
        assert!(!within_grace(Some(1_000), Some(0), 1_000));
        // Never authenticated: ask.
        assert!(!within_grace(None, Some(500), 1_000));
        // A clock that went back counts as recent.
        assert!(within_grace(Some(2_000), Some(500), 1_000));

        let auth = Auth::new(Some("correct-horse-battery")).unwrap();
        let token = auth
            .login(&checks, None, "correct-horse-battery")
            .await
            .unwrap()
            .unwrap();
        let at = *auth.sessions().get(&token).unwrap();
        assert!(auth.authenticated_within(Some(&token), Some(60_000), at + 59_000));
        assert!(!auth.authenticated_within(Some(&token), Some(60_000), at + 61_000));
        assert!(!auth.authenticated_within(None, Some(60_000), at));
        // Re-authenticating moves the time forward; a wrong password does not.
        auth.sessions().insert(token.clone(), 0);
        assert_eq!(
            auth.reauthenticate(&checks, None, Some(&token), "wrong")
                .await,
            Ok(false)
        );
        assert_eq!(auth.sessions()[&token], 0);
        assert_eq!(
            auth.reauthenticate(&checks, None, Some(&token), "correct-horse-battery")
                .await,
            Ok(true)
        );
        assert!(auth.sessions()[&token] >= at);
    }
}
