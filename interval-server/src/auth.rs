//! Signing in: who is behind a dashboard request.
//!
//! A person signs in with their e-mail address and password (argon2,
//! checked on the blocking pool and rationed by [`SecretChecks`]), or
//! through a trusted reverse proxy that sets a header with their address
//! (oauth2-proxy and the like, for single sign-on). Sessions are stored in
//! the database (only a hash of the cookie's token), so a restart keeps
//! people signed in; a session ends after its lifetime, after an idle
//! period, at logout, or at "log out everywhere".
//!
//! **Open mode.** A server on loopback where no account has a password yet
//! (the embedded server of `cargo run`) needs no sign-in: everyone who can
//! reach it is the owner. The first-run page (`/setup`, loopback only) sets
//! the owner's address and password, and from then on everyone signs in.
//!
//! Each session remembers when it last authenticated (signed in, or
//! re-entered the password for a `CONFIRM_IDENTITY`), for that component's
//! `gracePeriodMs`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth_pages as pages;
use crate::db::{DbError, Store};
use crate::people::{plausible_email, Person};
use crate::secret_checks::{Refused, SecretChecks};
use crate::state::AppState;

/// The shortest password accepted.
pub const MIN_PASSWORD_LENGTH: usize = 12;

/// Name of the session cookie.
pub(crate) const COOKIE: &str = "interval_session";

/// A session's use is written to the database at most this often.
const TOUCH_EVERY_MS: i64 = 60_000;

/// A reverse proxy trusted to say who is signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxy {
    /// The header holding the person's e-mail address (e.g. oauth2-proxy's
    /// `X-Forwarded-Email`).
    pub header: String,
    /// The proxy's addresses: the header is believed only from these.
    pub addresses: Vec<IpAddr>,
}

/// Who is behind a request: the person, and their session when they
/// signed in with a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The person.
    pub person: Person,
    /// The session's cookie token.
    pub session: Option<String>,
    /// How they were recognized.
    pub via: SignedInVia,
}

/// How a [`Viewer`] was recognized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedInVia {
    /// A session cookie.
    Session,
    /// The trusted proxy's header: the proxy authenticated them just now.
    Proxy,
    /// Open mode: no one has a password yet, on loopback.
    Open,
}

/// How sign-in works on this server.
pub struct Auth {
    /// argon2 hash checked for unknown addresses, so that a wrong address
    /// takes as long as a wrong password.
    dummy_hash: String,
    lifetime: Duration,
    idle_timeout: Duration,
    secure_cookies: bool,
    /// Open mode is possible: loopback, no proxy.
    open_allowed: bool,
    proxy: Option<TrustedProxy>,
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

/// How sign-in is set up (from the server's configuration).
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// How long a session lasts, whatever its use.
    pub lifetime: Duration,
    /// How long a session lasts unused.
    pub idle_timeout: Duration,
    /// Whether cookies get `Secure` (the server is reached over HTTPS).
    pub secure_cookies: bool,
    /// Whether open mode is possible (bound to loopback, no proxy).
    pub open_allowed: bool,
    /// A trusted proxy's header.
    pub proxy: Option<TrustedProxy>,
}

impl Auth {
    /// Sign-in with `settings`. Hashes a dummy password: call it off the
    /// async workers.
    pub fn new(settings: AuthSettings) -> Result<Auth, String> {
        let dummy_hash = crate::keys::hash(&crate::keys::new_token(24))
            .map_err(|e| format!("could not hash a password: {e}"))?;
        Ok(Auth {
            dummy_hash,
            lifetime: settings.lifetime,
            idle_timeout: settings.idle_timeout,
            secure_cookies: settings.secure_cookies,
            open_allowed: settings.open_allowed,
            proxy: settings.proxy,
        })
    }

    /// Whether the server is in open mode now (no sign-in needed).
    pub async fn is_open(&self, store: &Store) -> Result<bool, DbError> {
        Ok(self.open_allowed && !store.anyone_has_password().await?)
    }

    /// Whether the server may be used without signing in at all, in
    /// principle (loopback, no proxy).
    pub fn open_allowed(&self) -> bool {
        self.open_allowed
    }

    /// Who is behind a request with `headers` from `peer`.
    pub async fn viewer(
        &self,
        store: &Store,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Result<Option<Viewer>, DbError> {
        if let Some(token) = session_cookie(headers) {
            if let Some(person) = self.session_person(store, token).await? {
                return Ok(Some(Viewer {
                    person,
                    session: Some(token.to_owned()),
                    via: SignedInVia::Session,
                }));
            }
        }
        if let Some(email) = self.proxy_email(headers, peer) {
            return Ok(store
                .person_by_email(&email)
                .await?
                .map(|(person, _)| Viewer {
                    person,
                    session: None,
                    via: SignedInVia::Proxy,
                }));
        }
        if self.is_open(store).await? {
            return Ok(store.owner().await?.map(|person| Viewer {
                person,
                session: None,
                via: SignedInVia::Open,
            }));
        }
        Ok(None)
    }

    /// The address the trusted proxy vouches for, when the request came
    /// from it.
    pub fn proxy_email(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<String> {
        let proxy = self.proxy.as_ref()?;
        if !peer.is_some_and(|peer| proxy.addresses.contains(&peer)) {
            return None;
        }
        let email = headers.get(proxy.header.as_str())?.to_str().ok()?.trim();
        plausible_email(email).then(|| email.to_owned())
    }

    /// The person of session `token`, if it is valid now; an expired or
    /// idle session is closed.
    async fn session_person(&self, store: &Store, token: &str) -> Result<Option<Person>, DbError> {
        let Some(session) = store.session(token).await? else {
            return Ok(None);
        };
        let now = crate::db::now_ms();
        let idle_limit = self.idle_timeout.as_millis() as i64;
        if session.expires_at <= now || now - session.last_seen_at > idle_limit {
            store.close_session(token).await?;
            return Ok(None);
        }
        if now - session.last_seen_at > TOUCH_EVERY_MS {
            store.touch_session(token, now).await?;
        }
        store.person(&session.user_id).await
    }

    /// Whether `viewer` authenticated within `grace_period_ms` of `now`
    /// (ms): their session's last authentication, or the proxy's (which
    /// authenticated this very request).
    pub async fn authenticated_within(
        &self,
        store: &Store,
        viewer: &Viewer,
        grace_period_ms: Option<u64>,
        now: u64,
    ) -> bool {
        let last = match (&viewer.via, &viewer.session) {
            (SignedInVia::Proxy, _) => Some(now),
            (_, Some(token)) => store
                .session(token)
                .await
                .ok()
                .flatten()
                .map(|s| s.authenticated_at.max(0) as u64),
            _ => None,
        };
        within_grace(last, grace_period_ms, now)
    }

    /// Checks `password` for account `email` (sent from `address`),
    /// rationed by `checks`; the person when it is right.
    pub async fn check_password(
        &self,
        store: &Store,
        checks: &SecretChecks,
        address: Option<IpAddr>,
        email: &str,
        password: &str,
    ) -> Result<Result<Option<Person>, Refused>, DbError> {
        let found = store.person_by_email(email).await?;
        let hash = found
            .as_ref()
            .and_then(|(_, hash)| hash.clone())
            .unwrap_or_else(|| self.dummy_hash.clone());
        let known = found.as_ref().is_some_and(|(_, hash)| hash.is_some());
        let password = password.to_owned();
        let account = format!("account {}", email.trim().to_lowercase());
        let checked = checks
            .check(address, &account, move || {
                // Always verified, so that an unknown address takes as long.
                crate::keys::verify(&password, &hash) && known
            })
            .await;
        Ok(checked.map(|ok| ok.then(|| found.map(|(person, _)| person)).flatten()))
    }

    /// Re-authenticates `viewer` with `password`; on success their
    /// session's authentication time becomes now.
    pub async fn reauthenticate(
        &self,
        store: &Store,
        checks: &SecretChecks,
        viewer: &Viewer,
        password: &str,
    ) -> Result<Result<bool, Refused>, DbError> {
        let checked = self
            .check_password(store, checks, None, &viewer.person.email, password)
            .await?;
        match checked {
            Ok(Some(_)) => {
                if let Some(token) = &viewer.session {
                    store.reauthenticated(token, crate::db::now_ms()).await?;
                }
                Ok(Ok(true))
            }
            Ok(None) => Ok(Ok(false)),
            Err(refused) => Ok(Err(refused)),
        }
    }

    /// Opens a session for `person`; returns the `Set-Cookie` value.
    pub async fn open_session(&self, store: &Store, person: &Person) -> Result<String, DbError> {
        let token = crate::keys::new_token(40);
        let expires_at = crate::db::now_ms() + self.lifetime.as_millis() as i64;
        store.open_session(&token, &person.id, expires_at).await?;
        Ok(self.cookie(&token, self.lifetime.as_secs()))
    }

    /// A `Set-Cookie` value for `token`, lasting `max_age` seconds.
    fn cookie(&self, token: &str, max_age: u64) -> String {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}")
    }
}

/// Now, in ms since the epoch.
pub fn now() -> u64 {
    crate::db::now_ms().max(0) as u64
}

pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

pub(crate) fn server_error(e: DbError) -> Response {
    tracing::error!("{e}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "The server could not read its database; see its log.",
    )
        .into_response()
}

/// Middleware: finds who is behind the request and puts the [`Viewer`] in
/// its extensions; sends others to the sign-in page (pages) or answers 401
/// (the API).
pub async fn require_login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let viewer = match state
        .auth
        .viewer(&state.store, request.headers(), Some(peer.ip()))
        .await
    {
        Ok(viewer) => viewer,
        Err(e) => return server_error(e),
    };
    if let Some(viewer) = viewer {
        request.extensions_mut().insert(viewer);
        return next.run(request).await;
    }
    if let Some(email) = state.auth.proxy_email(request.headers(), Some(peer.ip())) {
        return (StatusCode::FORBIDDEN, pages::no_account(&email)).into_response();
    }
    if request.uri().path().starts_with("/api/") {
        return (StatusCode::UNAUTHORIZED, "Sign in to the dashboard first.").into_response();
    }
    Redirect::to("/login").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::NewPerson;
    use crate::people::Role;

    fn checks() -> SecretChecks {
        SecretChecks::new(crate::secret_checks::CheckLimits {
            first_delay: std::time::Duration::from_millis(1),
            ..Default::default()
        })
    }

    fn auth(open_allowed: bool) -> Auth {
        Auth::new(AuthSettings {
            lifetime: Duration::from_secs(3600),
            idle_timeout: Duration::from_secs(600),
            secure_cookies: false,
            open_allowed,
            proxy: Some(TrustedProxy {
                header: "x-forwarded-email".into(),
                addresses: vec!["10.0.0.1".parse().unwrap()],
            }),
        })
        .unwrap()
    }

    fn with_cookie(cookie: &str) -> HeaderMap {
        let token = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("interval_session=");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            format!("a=b; {COOKIE}={token}").parse().unwrap(),
        );
        headers
    }

    #[tokio::test]
    async fn sessions_come_only_from_the_right_password() {
        let store = Store::open(None).await.unwrap();
        let checks = checks();
        let auth = auth(true);
        let hash = crate::keys::hash("correct-horse-battery").unwrap();
        let ada = store
            .add_person(&NewPerson {
                email: "ada@example.com",
                first_name: Some("Ada"),
                last_name: None,
                role: Role::Admin,
                password_hash: Some(hash),
            })
            .await
            .unwrap();
        // Someone has a password: no open mode.
        assert!(!auth.is_open(&store).await.unwrap());
        assert_eq!(
            auth.viewer(&store, &HeaderMap::new(), None).await.unwrap(),
            None
        );
        let wrong = auth
            .check_password(&store, &checks, None, "ada@example.com", "wrong")
            .await
            .unwrap();
        assert_eq!(wrong, Ok(None));
        let unknown = auth
            .check_password(
                &store,
                &checks,
                None,
                "eve@example.com",
                "correct-horse-battery",
            )
            .await
            .unwrap();
        assert_eq!(unknown, Ok(None));
        let person = auth
            .check_password(
                &store,
                &checks,
                None,
                "ADA@example.com",
                "correct-horse-battery",
            )
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(person.id, ada.id);
        let cookie = auth.open_session(&store, &person).await.unwrap();
        assert!(cookie.contains("HttpOnly") && !cookie.contains("Secure"));
        let viewer = auth
            .viewer(&store, &with_cookie(&cookie), None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(viewer.person.email, "ada@example.com");
        assert_eq!(viewer.via, SignedInVia::Session);
        assert_eq!(
            auth.viewer(&store, &with_cookie("interval_session=forged"), None)
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn open_mode_is_the_owner_until_someone_has_a_password() {
        let store = Store::open(None).await.unwrap();
        store
            .add_person(&NewPerson {
                email: "admin@localhost",
                first_name: Some("Admin"),
                last_name: None,
                role: Role::Admin,
                password_hash: None,
            })
            .await
            .unwrap();
        let viewer = auth(true)
            .viewer(&store, &HeaderMap::new(), None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(viewer.via, SignedInVia::Open);
        // Off loopback (or behind a proxy) there is no open mode.
        assert_eq!(
            auth(false)
                .viewer(&store, &HeaderMap::new(), None)
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn the_proxy_header_counts_only_from_the_proxy() {
        let store = Store::open(None).await.unwrap();
        store
            .add_person(&NewPerson {
                email: "bob@example.com",
                first_name: None,
                last_name: None,
                role: Role::Member,
                password_hash: None,
            })
            .await
            .unwrap();
        let auth = auth(false);
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-email", "bob@example.com".parse().unwrap());
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let elsewhere: IpAddr = "10.0.0.2".parse().unwrap();
        let viewer = auth
            .viewer(&store, &headers, Some(proxy))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(viewer.via, SignedInVia::Proxy);
        assert!(
            auth.authenticated_within(&store, &viewer, Some(1), now())
                .await
        );
        assert_eq!(
            auth.viewer(&store, &headers, Some(elsewhere))
                .await
                .unwrap(),
            None
        );
        headers.insert("x-forwarded-email", "nobody@example.com".parse().unwrap());
        assert_eq!(
            auth.viewer(&store, &headers, Some(proxy)).await.unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn idle_and_expired_sessions_end() {
        let store = Store::open(None).await.unwrap();
        let bob = store
            .add_person(&NewPerson {
                email: "bob@example.com",
                first_name: None,
                last_name: None,
                role: Role::Member,
                password_hash: None,
            })
            .await
            .unwrap();
        let auth = auth(false);
        store
            .open_session("idle", &bob.id, crate::db::now_ms() + 3_600_000)
            .await
            .unwrap();
        store
            .touch_session("idle", crate::db::now_ms() - 601_000)
            .await
            .unwrap();
        store
            .open_session("expired", &bob.id, crate::db::now_ms() - 1)
            .await
            .unwrap();
        for token in ["idle", "expired"] {
            let headers = with_cookie(&format!("interval_session={token}"));
            assert_eq!(auth.viewer(&store, &headers, None).await.unwrap(), None);
            assert!(
                store.session(token).await.unwrap().is_none(),
                "{token} was closed"
            );
        }
    }

    #[test]
    fn the_grace_period_counts_from_the_last_authentication() {
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
    }
}
