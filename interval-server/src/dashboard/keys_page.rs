//! `/keys`: API keys. Developers make and revoke their own development
//! keys; admins also make live keys and revoke any key. A new key is shown
//! once (only its hash is stored); a revoked key's hosts are disconnected
//! at once.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;

use super::admin::{here_if, not_found};
use super::fragments::time;
use super::shell::{shell, Here, Section};
use super::views::database_error;
use super::Dashboard;
use crate::auth::Viewer;
use crate::db::KeyRecord;

/// Whether `here`'s person may see (and revoke) `key`.
fn may_manage(here: &Here, key: &KeyRecord) -> bool {
    here.person().is_admin() || key.owner_id.as_deref() == Some(here.person().id.as_str())
}

async fn keys_page(dashboard: &Dashboard, here: &Here, notice: Option<Markup>) -> Response {
    let keys: Vec<KeyRecord> = match dashboard.app.store.keys().await {
        Ok(keys) => keys.into_iter().filter(|k| may_manage(here, k)).collect(),
        Err(e) => return database_error(dashboard, here, e),
    };
    let admin = here.person().is_admin();
    let body = html! {
        header.view-head { h1 { "API keys" } }
        p.description {
            "Hosts connect with a key. A development key puts its host's actions in your own development environment; "
            "a live key puts them in production, for everyone with access."
        }
        @if let Some(notice) = notice { (notice) }
        form method="post" action="/keys" {
            div.field { label for="key-name" { "Key name" } input #key-name name="name" type="text" required placeholder="My laptop"; }
            @if admin {
                div.field {
                    label for="key-kind" { "Environment" }
                    select #key-kind name="kind" {
                        option value="development" { "Development (yours)" }
                        option value="live" { "Production (live)" }
                    }
                }
            } @else {
                input type="hidden" name="kind" value="development";
            }
            div.buttons { button.button.primary type="submit" { "Create key" } }
        }
        @if keys.is_empty() { p.empty { "No keys yet." } }
        @else {
            div.table-scroll {
                table {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Environment" } th scope="col" { "Owner" }
                        th scope="col" { "Created" } th scope="col" { "Last used" } th scope="col" { "Status" } th scope="col" { "Actions" }
                    } }
                    tbody {
                        @for key in &keys {
                            @let name = key.name.clone().unwrap_or_else(|| "Unnamed key".into());
                            tr {
                                td { (name) }
                                td { @if key.live { "Production" } @else { "Development" } }
                                td { (key.owner.as_deref().or(key.created_by.as_deref()).unwrap_or("—")) }
                                td { (time(key.created_at)) }
                                td { @match key.last_used_at { Some(at) => (time(at)), None => "Never" } }
                                td { @if let Some(at) = key.revoked_at { "Revoked " (time(at)) } @else { "Active" } }
                                td {
                                    @if key.revoked_at.is_none() {
                                        form.inline method="post" action=(format!("/keys/{}/revoke", key.id)) {
                                            button.button.secondary type="submit" aria-label=(format!("Revoke {name}")) { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    shell(dashboard, here, "API keys", Section::Keys, body).into_response()
}

/// The page's [`Here`] for developers and admins (see [`here_if`]).
async fn developer_here(
    dashboard: &Dashboard,
    viewer: Viewer,
    headers: &HeaderMap,
) -> Result<Here, Response> {
    here_if(dashboard, viewer, headers, |p| p.role.develops()).await
}

/// `GET /keys`.
pub async fn keys(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
) -> Response {
    let here = &match developer_here(&dashboard, viewer, &headers).await {
        Ok(here) => here,
        Err(page) => return page,
    };
    keys_page(&dashboard, here, None).await
}

/// The new-key form.
#[derive(Deserialize)]
pub struct NewKeyForm {
    name: String,
    kind: String,
}

/// `POST /keys`: makes a key and shows it once.
pub async fn create(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Form(form): Form<NewKeyForm>,
) -> Response {
    let here = Here::new(&dashboard, viewer, &headers).await;
    if !here.person().role.develops() {
        return not_found(&dashboard, &here);
    }
    let name = form.name.trim().to_owned();
    let live = form.kind == "live";
    if live && !here.person().is_admin() {
        return not_found(&dashboard, &here);
    }
    let owner = &here.person().id;
    // A live key is hashed with argon2, on a blocking thread.
    let created = match live {
        true => {
            dashboard
                .app
                .store
                .create_live_key(&name, Some(owner))
                .await
        }
        false => dashboard.app.store.create_dev_key(owner, &name).await,
    };
    let key = match created {
        Ok(key) => key,
        Err(e) => return database_error(&dashboard, &here, e),
    };
    let environment = if live { "production" } else { "development" };
    dashboard
        .app
        .store
        .audit(
            Some(&here.person().email),
            "key_created",
            &format!("{name} ({environment})"),
        )
        .await;
    let notice = html! {
        section.notice role="status" aria-labelledby="new-key-title" {
            h2 #new-key-title { "Your new key" }
            p { "Copy it now: it is shown only once. Hosts use it as their API key." }
            p { code #new-key { (key) } }
        }
    };
    keys_page(&dashboard, &here, Some(notice)).await
}

/// `POST /keys/{id}/revoke`: the key stops working, and its hosts are
/// disconnected.
pub async fn revoke(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let here = &match developer_here(&dashboard, viewer, &headers).await {
        Ok(here) => here,
        Err(page) => return page,
    };
    let store = &dashboard.app.store;
    let key = match store.key(&id).await {
        Ok(Some(key)) if may_manage(here, &key) => key,
        Ok(_) => return not_found(&dashboard, here),
        Err(e) => return database_error(&dashboard, here, e),
    };
    match store.revoke_key(&id).await {
        Ok(true) => {
            let closed = dashboard.app.disconnect_key(&id);
            store
                .audit(
                    Some(&here.person().email),
                    "key_revoked",
                    &format!(
                        "{} ({closed} host connection(s) closed)",
                        key.name.as_deref().unwrap_or(&key.id)
                    ),
                )
                .await;
        }
        Ok(false) => {}
        Err(e) => return database_error(&dashboard, here, e),
    }
    Redirect::to("/keys").into_response()
}
