//! Whole pages: the route tree with its search, the action and page views
//! (filled live by the script), history, a transaction, the queue and
//! notifications.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use interval_protocol::result::ActionResult;
use interval_protocol::types::ResultStatus;
use maud::{html, Markup};
use serde_json::{Map, Value};

use super::fragments::{self, time};
use super::io::display;
use super::routes::{href, Entry, RouteTree};
use super::shell::{shell, Here, Section};
use super::steps;
use super::Dashboard;
use crate::api::{ActionInfo, PageInfo};
use crate::auth::Viewer;
use crate::visibility;

/// The query parameter that runs a queued action.
pub const QUEUED_PARAM: &str = "_queued";

/// The query parameter of a running transaction: the action view attaches
/// to it (a reload, or coming back later) instead of starting a new one.
pub const TRANSACTION_PARAM: &str = "_transaction";

fn action_card(action: &ActionInfo) -> Markup {
    html! {
        li.card.route-card {
            a.card-title href=(href(&action.slug, None)) { (action.name) }
            @if let Some(description) = &action.description { p.card-description { (description) } }
        }
    }
}

fn page_section(tree: &RouteTree, page: &PageInfo, depth: usize) -> Markup {
    html! {
        section.route-group {
            @if depth == 0 { h2 { a href=(href(&page.slug, None)) { (page.name) } } }
            @else { h3 { a href=(href(&page.slug, None)) { (page.name) } } }
            @if let Some(description) = &page.description { p.description { (page.description.as_deref().unwrap_or(description)) } }
            (entries(tree, Some(&page.slug), depth + 1))
        }
    }
}

fn entries(tree: &RouteTree, parent: Option<&str>, depth: usize) -> Markup {
    let children = tree.children(parent);
    let actions: Vec<&ActionInfo> = children
        .iter()
        .filter_map(|e| match e {
            Entry::Action(a) => Some(*a),
            Entry::Page(_) => None,
        })
        .collect();
    html! {
        @if !actions.is_empty() {
            ul.cards { @for action in actions { (action_card(action)) } }
        }
        @for entry in &children {
            @if let Entry::Page(page) = entry { (page_section(tree, page, depth)) }
        }
    }
}

/// Query of the route tree.
#[derive(serde::Deserialize)]
pub struct IndexQuery {
    q: Option<String>,
}

/// `/`: the tree of actions and pages, or the actions matching `?q=`.
pub async fn index(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Query(query): Query<IndexQuery>,
) -> Html<String> {
    let here = Here::new(&dashboard, viewer, &headers).await;
    let tree = here.tree(&dashboard);
    let q = query.q.unwrap_or_default();
    let body = html! {
        header.view-head { h1 { "Dashboard" } }
        form.search-row role="search" method="get" action="/" {
            label for="q" { "Search actions" }
            input #q type="search" name="q" value=(q) placeholder="Name, description or slug";
            button.button.secondary type="submit" { "Search" }
        }
        @if !q.trim().is_empty() {
            @let found = tree.search(&q);
            h2 { (found.len()) " matching " (if found.len() == 1 { "action" } else { "actions" }) }
            ul.cards { @for action in found { (action_card(action)) } }
        } @else if tree.actions.is_empty() && tree.pages.is_empty() {
            p.empty { "No host is connected yet. Start one with your API key and its actions appear here." }
        } @else {
            (entries(&tree, None, 0))
        }
    };
    shell(&dashboard, &here, "Dashboard", Section::Dashboard, body)
}

fn breadcrumbs(tree: &RouteTree, slug: &str) -> Markup {
    html! {
        nav.breadcrumbs aria-label="Breadcrumbs" {
            a href="/" { "Dashboard" }
            @for page in tree.ancestors(slug) {
                " / " a href=(href(&page.slug, None)) { (page.name) }
            }
        }
    }
}

/// `/actions/{slug}`: an action (a new transaction) or a page.
pub async fn route(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    Path(slug): Path<String>,
    Query(mut params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let here = Here::new(&dashboard, viewer, &headers).await;
    let tree = here.tree(&dashboard);
    let queued = params.remove(QUEUED_PARAM);
    let running = params.remove(TRANSACTION_PARAM);
    let mut logs = Vec::new();
    if let Some(id) = &running {
        match visibility::transaction(&dashboard.app.store, here.person(), id).await {
            Ok(Some(t)) if t.status == "COMPLETED" => {
                return Redirect::to(&format!("/history/{id}")).into_response();
            }
            Ok(Some(_)) => logs = dashboard.app.store.logs(id).await.unwrap_or_default(),
            Ok(None) => {}
            Err(e) => return database_error(&dashboard, &here, e),
        }
    }
    let mut shown_params: Vec<(String, String)> = params.clone().into_iter().collect();
    shown_params.sort();
    let params: Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let params_json = Value::Object(params).to_string();
    if let Some(page) = tree.page(&slug) {
        let body = html! {
            (breadcrumbs(&tree, &slug))
            div.page-view data-page=(page.slug) data-params=(params_json) data-live[page.has_handler] {
                header.view-head {
                    h1 #page-title { (page.name) }
                    div.toolbar #page-menu {}
                }
                p.description #page-description { @if let Some(d) = &page.description { (d) } }
                div #status {}
                div #loading {}
                div #page-body { @if page.has_handler { p.help { "Loading…" } } }
                (entries(&tree, Some(&page.slug), 1))
            }
        };
        return shell(&dashboard, &here, &page.name, Section::Dashboard, body).into_response();
    }
    let Some(action) = tree.action(&slug) else {
        let body = html! {
            (breadcrumbs(&tree, &slug))
            header.view-head { h1 { "Not found" } }
            p.empty { "There is no action or page " code { (slug) } " here right now." }
        };
        return (
            StatusCode::NOT_FOUND,
            shell(&dashboard, &here, "Not found", Section::Dashboard, body),
        )
            .into_response();
    };
    // A new run from a link on another site waits for a click here.
    let confirm = running.is_none() && queued.is_none() && !from_this_dashboard(&headers);
    let body = html! {
        (breadcrumbs(&tree, &slug))
        div.action-view data-action=(action.slug) data-params=(params_json) data-queued=[queued]
            data-transaction=[running] data-warn-on-close[action.warn_on_close] data-confirm[confirm] {
            header.view-head {
                h1 { (action.name) }
                div.toolbar #toolbar {
                    button.button.secondary type="button" data-cancel { "Cancel" }
                    // Shown when this transaction cannot go on (its host is gone).
                    a.button.primary #run-again hidden href=(href(&action.slug, None)) { "Run again" }
                }
            }
            @if let Some(description) = &action.description { p.description { (description) } }
            div #status {}
            @if confirm {
                section #confirm-run aria-labelledby="confirm-run-title" {
                    h2 #confirm-run-title { "Run this action?" }
                    p { "A link from another site opened " strong { (action.name) } ". Nothing has run yet." }
                    @if shown_params.is_empty() {
                        p { "It runs with no params." }
                    } @else {
                        p { "It runs with these params:" }
                        dl.metadata {
                            @for (key, value) in &shown_params { div { dt { (key) } dd { code { (value) } } } }
                        }
                    }
                    div.buttons { button.button.primary type="button" data-run { "Run " (action.name) } }
                }
            }
            div #io { @if !confirm { p.help { "Starting…" } } }
            div #loading {}
            div #result {}
            details.logs-panel open {
                summary { "Logs" }
                ol #logs { @for log in &logs { (fragments::log_line(log.index, &log.data, log.created_at)) } }
            }
        }
    };
    shell(&dashboard, &here, &action.name, Section::Dashboard, body).into_response()
}

/// Whether a navigation comes from a page of this dashboard (or from the
/// person: a typed URL, a bookmark), as the browser tells it in
/// `Sec-Fetch-Site`, or, for browsers that do not send it, in `Referer`.
fn from_this_dashboard(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match (header("referer"), header("host")) {
        (None, _) => true,
        (Some(referer), Some(host)) => url::Url::parse(referer).is_ok_and(|url| {
            let authority = match url.port() {
                Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                None => url.host_str().unwrap_or_default().to_owned(),
            };
            authority.eq_ignore_ascii_case(host)
        }),
        (Some(_), None) => false,
    }
}

/// A transaction's status as a person reads it: its outcome once it has
/// one ("Completed", "Error", "Canceled"), else where it is ("Running",
/// "Host connection dropped").
fn status_label(status: &str, result: Option<&str>) -> String {
    match (result, status) {
        (Some("SUCCESS"), _) | (None, "COMPLETED") => "Completed".into(),
        (Some("FAILURE"), _) => "Error".into(),
        (Some("CANCELED"), _) => "Canceled".into(),
        (Some("REDIRECTED"), _) => "Redirected".into(),
        (_, "RUNNING") => "Running".into(),
        (_, "PENDING") => "Pending".into(),
        (_, other) => {
            let words = other.replace('_', " ").to_lowercase();
            let mut chars = words.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

/// The name of action `slug`: from a host serving it now, else from its
/// stored definition, else the slug.
fn action_name(tree: &RouteTree, stored: &HashMap<String, String>, slug: &str) -> String {
    tree.action(slug)
        .map(|a| a.name.clone())
        .or_else(|| stored.get(slug).cloned())
        .unwrap_or_else(|| slug.to_owned())
}

/// `/history`: recent transactions.
pub async fn history(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
) -> Response {
    let here = Here::new(&dashboard, viewer, &headers).await;
    let transactions = match visibility::history(&dashboard.app.store, here.person(), 200).await {
        Ok(t) => t,
        Err(e) => return database_error(&dashboard, &here, e),
    };
    let tree = here.tree(&dashboard);
    let stored = dashboard.app.store.action_names().await.unwrap_or_default();
    let names = runner_names(&dashboard).await;
    let body = html! {
        header.view-head { h1 { "History" } }
        @if transactions.is_empty() { p.empty { "No transaction has run yet." } }
        @else {
            div.table-scroll {
                table {
                    thead { tr { th scope="col" { "Action" } th scope="col" { "Status" } th scope="col" { "Started" } th scope="col" { "Run by" } } }
                    tbody {
                        @for t in &transactions {
                            tr {
                                td { a href=(format!("/history/{}", t.id)) {
                                    (action_name(&tree, &stored, &t.action_slug))
                                } }
                                td { span class=(format!("badge {}", t.result_status.as_deref().unwrap_or(&t.status).to_lowercase())) {
                                    (status_label(&t.status, t.result_status.as_deref()))
                                } }
                                td { (time(t.created_at)) }
                                td { (runner_name(&names, t)) }
                            }
                        }
                    }
                }
            }
        }
    };
    shell(&dashboard, &here, "History", Section::History, body).into_response()
}

/// `/history/{id}`: one transaction, its result and logs.
pub async fn transaction(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let here = Here::new(&dashboard, viewer, &headers).await;
    let (record, logs, steps) = match (
        visibility::transaction(&dashboard.app.store, here.person(), &id).await,
        dashboard.app.store.logs(&id).await,
        dashboard.app.store.steps(&id).await,
    ) {
        (Ok(Some(record)), Ok(logs), steps) => {
            // Steps that cannot be read leave the rest of the page as it is.
            let steps = steps.unwrap_or_else(|e| {
                tracing::warn!("{e}");
                Vec::new()
            });
            (record, logs, steps)
        }
        (Ok(None), _, _) => {
            let body = html! { header.view-head { h1 { "Not found" } } p.empty { "No transaction " code { (id) } "." } };
            return (
                StatusCode::NOT_FOUND,
                shell(&dashboard, &here, "Not found", Section::History, body),
            )
                .into_response();
        }
        (Err(e), _, _) | (_, Err(e), _) => return database_error(&dashboard, &here, e),
    };
    let result: Option<ActionResult> = record
        .result
        .clone()
        .and_then(|r| serde_json::from_value(r).ok());
    let status: Option<ResultStatus> = record
        .result_status
        .as_ref()
        .and_then(|s| serde_json::from_value(Value::String(s.clone())).ok());
    let body = html! {
        nav.breadcrumbs aria-label="Breadcrumbs" { a href="/history" { "History" } }
        header.view-head {
            h1 { (action_name(&here.tree(&dashboard), &dashboard.app.store.action_names().await.unwrap_or_default(), &record.action_slug)) }
            div.toolbar { a.button.secondary href=(href(&record.action_slug, None)) { "Run again" } }
        }
        dl.metadata.grid {
            div.meta-item { dt { "Status" } dd { (status_label(&record.status, record.result_status.as_deref())) } }
            div.meta-item { dt { "Started" } dd { (time(record.created_at)) } }
            div.meta-item { dt { "Run by" } dd { (runner_name(&runner_names(&dashboard).await, &record)) } }
        }
        @if record.params.as_object().is_some_and(|p| !p.is_empty()) {
            h2 { "Params" } (display::value(&record.params))
        }
        (steps::finished(&record.id, &steps))
        @if let Some(status) = status {
            (fragments::result(status, result.as_ref(), record.completed_at.unwrap_or(record.created_at)))
        }
        details.logs-panel open {
            summary { "Logs (" (logs.len()) ")" }
            ol #logs { @for log in &logs { (fragments::log_line(log.index, &log.data, log.created_at)) } }
        }
    };
    shell(&dashboard, &here, "Transaction", Section::History, body).into_response()
}

/// `/queue`: queued actions, each with a button to run it.
pub async fn queue(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
) -> Response {
    let here = Here::new(&dashboard, viewer, &headers).await;
    let queued = match visibility::queue(&dashboard.app, here.person(), here.environment).await {
        Ok(q) => q,
        Err(e) => return database_error(&dashboard, &here, e),
    };
    let tree = here.tree(&dashboard);
    let body = html! {
        header.view-head { h1 { "Queue" } }
        @if queued.is_empty() { p.empty { "Nothing is queued." } }
        @else {
            ul.cards {
                @for q in &queued {
                    @let name = tree.action(&q.action_slug).map(|a| a.name.clone()).unwrap_or_else(|| q.action_slug.clone());
                    li.card.route-card {
                        span.card-title { (name) }
                        p.card-description {
                            "Queued " (time(q.created_at))
                            @if let Some(assignee) = &q.assignee { " for " (assignee) }
                        }
                        @if q.params.as_object().is_some_and(|p| !p.is_empty()) { (display::value(&q.params)) }
                        a.button.primary href=(format!("{}?{QUEUED_PARAM}={}", href(&q.action_slug, None), q.id))
                            aria-label=(format!("Run {name}")) { "Run" }
                    }
                }
            }
        }
    };
    shell(&dashboard, &here, "Queue", Section::Queue, body).into_response()
}

/// `/notifications`: what actions sent with `ctx.notify`.
pub async fn notifications(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
) -> Response {
    let here = Here::new(&dashboard, viewer, &headers).await;
    let notifications =
        match visibility::notifications(&dashboard.app.store, here.person(), 200).await {
            Ok(n) => n,
            Err(e) => return database_error(&dashboard, &here, e),
        };
    let ids: Vec<&str> = notifications.iter().map(|n| n.id.as_str()).collect();
    let deliveries = match dashboard.app.store.deliveries_of(&ids).await {
        Ok(d) => d,
        Err(e) => return database_error(&dashboard, &here, e),
    };
    let body = html! {
        header.view-head { h1 { "Notifications" } }
        @if notifications.is_empty() { p.empty { "No notifications." } }
        @else {
            ul.cards {
                @for n in &notifications {
                    li.card {
                        @if let Some(title) = &n.title { span.card-title { (title) } }
                        p { (n.message) }
                        p.help {
                            (time(n.created_at))
                            @if let Some(t) = &n.transaction_id { " · " a href=(format!("/history/{t}")) { "transaction" } }
                        }
                        @if let Some(list) = deliveries.get(&n.id) {
                            ul.deliveries aria-label="Deliveries" {
                                @for d in list {
                                    li class=(format!("delivery {}", d.status.as_str())) { (crate::delivery::describe(d)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    shell(
        &dashboard,
        &here,
        "Notifications",
        Section::Notifications,
        body,
    )
    .into_response()
}

/// Who ran transaction `record`, as a person reads it: their name and
/// address.
fn runner_name(names: &HashMap<String, String>, record: &crate::db::TransactionRecord) -> String {
    record
        .runner_id
        .as_ref()
        .and_then(|id| names.get(id).cloned())
        .unwrap_or_else(|| record.runner_email.clone())
}

/// Everyone's name as [`runner_name`] shows it ("Ada (ada@example.com)",
/// or the address alone), by account id: read once per page.
async fn runner_names(dashboard: &Dashboard) -> HashMap<String, String> {
    let people = dashboard.app.store.people().await.unwrap_or_default();
    people
        .into_iter()
        .map(|p| {
            let shown = match p.display_name() {
                name if name != p.email => format!("{name} ({})", p.email),
                _ => p.email.clone(),
            };
            (p.id, shown)
        })
        .collect()
}

/// The page of a database error.
pub(super) fn database_error(
    dashboard: &Dashboard,
    here: &Here,
    e: crate::db::DbError,
) -> Response {
    tracing::error!("{e}");
    let body = html! { p.error-box role="alert" { "The server could not read its database; see its log." } };
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        shell(dashboard, here, "Error", Section::Dashboard, body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::status_label;

    #[test]
    fn statuses_read_as_words() {
        assert_eq!(status_label("COMPLETED", Some("SUCCESS")), "Completed");
        assert_eq!(status_label("COMPLETED", Some("FAILURE")), "Error");
        assert_eq!(status_label("COMPLETED", Some("CANCELED")), "Canceled");
        assert_eq!(status_label("RUNNING", None), "Running");
        assert_eq!(
            status_label("HOST_CONNECTION_DROPPED", None),
            "Host connection dropped"
        );
    }
}
