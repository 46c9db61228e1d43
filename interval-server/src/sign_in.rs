//! The sign-in pages' handlers: signing in and out, the first-run page,
//! invitation links (see [`crate::auth`] for who is behind a request).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use crate::auth::{server_error, session_cookie, Viewer, COOKIE, MIN_PASSWORD_LENGTH};
use crate::auth_pages as pages;
use crate::db::{DbError, NewPerson};
use crate::people::plausible_email;
use crate::state::AppState;

/// Sign-in, sign-out, the first-run page and invitations.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/setup", get(setup_page).post(setup))
        .route(
            "/invite/{token}",
            get(invitation_page).post(accept_invitation),
        )
}

/// Routes that need a signed-in person.
pub fn signed_in_routes() -> Router<Arc<AppState>> {
    Router::new().route("/logout/everywhere", post(logout_everywhere))
}

async fn login_page() -> Response {
    pages::login(None, "").into_response()
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    password: String,
}

async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Response {
    let checked = state
        .auth
        .check_password(
            &state.store,
            &state.secret_checks,
            Some(peer.ip()),
            &form.email,
            &form.password,
        )
        .await;
    match checked {
        Ok(Ok(Some(person))) => match state.auth.open_session(&state.store, &person).await {
            Ok(cookie) => {
                state
                    .store
                    .audit(
                        Some(&person.email),
                        "signed_in",
                        &format!("from {}", peer.ip()),
                    )
                    .await;
                ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
            }
            Err(e) => server_error(e),
        },
        // The answer to a wrong password was delayed by the checks.
        Ok(Ok(None)) => (
            StatusCode::UNAUTHORIZED,
            pages::login(Some("Wrong e-mail address or password."), &form.email),
        )
            .into_response(),
        Ok(Err(refused)) => (
            StatusCode::TOO_MANY_REQUESTS,
            pages::login(Some(&refused.message()), &form.email),
        )
            .into_response(),
        Err(e) => server_error(e),
    }
}

fn expired_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(token) = session_cookie(&headers) {
        if let Err(e) = state.store.close_session(token).await {
            return server_error(e);
        }
    }
    (
        [(header::SET_COOKIE, expired_cookie())],
        Redirect::to("/login"),
    )
        .into_response()
}

async fn logout_everywhere(
    State(state): State<Arc<AppState>>,
    Extension(viewer): Extension<Viewer>,
) -> Response {
    match state.store.close_sessions_of(&viewer.person.id).await {
        Ok(closed) => {
            state
                .store
                .audit(
                    Some(&viewer.person.email),
                    "signed_out_everywhere",
                    &format!("{closed} session(s) closed"),
                )
                .await;
            (
                [(header::SET_COOKIE, expired_cookie())],
                Redirect::to("/login"),
            )
                .into_response()
        }
        Err(e) => server_error(e),
    }
}

/// Whether the first-run page is available to `peer`: open mode, reached
/// from this machine.
async fn setup_available(state: &AppState, peer: SocketAddr) -> Result<bool, DbError> {
    Ok(peer.ip().is_loopback() && state.auth.is_open(&state.store).await?)
}

async fn setup_page(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    match setup_available(&state, peer).await {
        Ok(true) => pages::setup(None).into_response(),
        Ok(false) => Redirect::to("/login").into_response(),
        Err(e) => server_error(e),
    }
}

/// The first-run and invitation forms' fields.
#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    password: String,
}

fn optional(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// Hashes `password` on the blocking pool, after checking its length.
pub async fn hash_password(password: &str) -> Result<String, String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LENGTH {
        return Err(format!(
            "The password needs at least {MIN_PASSWORD_LENGTH} characters."
        ));
    }
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || crate::keys::hash(&password))
        .await
        .map_err(|e| format!("Hashing failed: {e}"))?
        .map_err(|e| format!("Hashing failed: {e}"))
}

async fn setup(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<AccountForm>,
) -> Response {
    match setup_available(&state, peer).await {
        Ok(true) => {}
        Ok(false) => return Redirect::to("/login").into_response(),
        Err(e) => return server_error(e),
    }
    if !plausible_email(&form.email) {
        return (
            StatusCode::BAD_REQUEST,
            pages::setup(Some("Enter your e-mail address.")),
        )
            .into_response();
    }
    let hash = match hash_password(&form.password).await {
        Ok(hash) => hash,
        Err(message) => {
            return (StatusCode::BAD_REQUEST, pages::setup(Some(&message))).into_response()
        }
    };
    let owner = match state.store.owner().await {
        Ok(Some(owner)) => owner,
        Ok(None) => match state
            .store
            .add_person(&NewPerson {
                email: &form.email,
                first_name: None,
                last_name: None,
                role: crate::people::Role::Admin,
                password_hash: None,
            })
            .await
        {
            Ok(owner) => owner,
            Err(e) => return server_error(e),
        },
        Err(e) => return server_error(e),
    };
    let updated = state
        .store
        .update_person(
            &owner.id,
            &form.email,
            optional(&form.first_name),
            optional(&form.last_name),
        )
        .await;
    let updated = match updated {
        Ok(()) => state.store.set_password_hash(&owner.id, &hash).await,
        Err(e) => Err(e),
    };
    match updated {
        Ok(()) => {}
        Err(DbError::Conflict(message)) => {
            return (StatusCode::CONFLICT, pages::setup(Some(&message))).into_response()
        }
        Err(e) => return server_error(e),
    }
    let person = match state.store.person(&owner.id).await {
        Ok(Some(person)) => person,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return server_error(e),
    };
    state
        .store
        .audit(Some(&person.email), "owner_set_up", "the first-run page")
        .await;
    match state.auth.open_session(&state.store, &person).await {
        Ok(cookie) => ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response(),
        Err(e) => server_error(e),
    }
}

async fn invitation_page(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> Response {
    match state.store.invitation(&token).await {
        Ok(Some(invitation)) => pages::invitation(&invitation, None).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, pages::invitation_gone()).into_response(),
        Err(e) => server_error(e),
    }
}

async fn accept_invitation(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    Form(form): Form<AccountForm>,
) -> Response {
    let invitation = match state.store.invitation(&token).await {
        Ok(Some(invitation)) => invitation,
        Ok(None) => return (StatusCode::NOT_FOUND, pages::invitation_gone()).into_response(),
        Err(e) => return server_error(e),
    };
    let hash = match hash_password(&form.password).await {
        Ok(hash) => hash,
        Err(message) => {
            return (
                StatusCode::BAD_REQUEST,
                pages::invitation(&invitation, Some(&message)),
            )
                .into_response()
        }
    };
    let added = state
        .store
        .add_person(&NewPerson {
            email: &invitation.email,
            first_name: optional(&form.first_name),
            last_name: optional(&form.last_name),
            role: invitation.role,
            password_hash: Some(hash),
        })
        .await;
    let person = match added {
        Ok(person) => person,
        Err(DbError::Conflict(message)) => {
            return (
                StatusCode::CONFLICT,
                pages::invitation(&invitation, Some(&message)),
            )
                .into_response()
        }
        Err(e) => return server_error(e),
    };
    for team in &invitation.teams {
        if let Err(e) = state.store.join_team(team, &person.id).await {
            return server_error(e);
        }
    }
    if let Err(e) = state.store.remove_invitation(&token).await {
        return server_error(e);
    }
    let person = match state.store.person(&person.id).await {
        Ok(Some(person)) => person,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return server_error(e),
    };
    state
        .store
        .audit(
            Some(&person.email),
            "invitation_accepted",
            &format!("as {}", person.role.label()),
        )
        .await;
    match state.auth.open_session(&state.store, &person).await {
        Ok(cookie) => ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response(),
        Err(e) => server_error(e),
    }
}
