//! Admin pages: people and their roles, teams, invitations by link, and
//! the audit log. Only admins reach them; to anyone else they do not
//! exist (404).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;

use super::fragments::time;
use super::shell::{shell, Here, Section};
use super::views::database_error;
use super::Dashboard;
use crate::auth::Viewer;
use crate::db::Invitation;
use crate::people::{plausible_email, valid_team_slug, Person, Role};

/// How long an invitation link works.
const INVITATION_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;

/// The 404 page for who may not see a page.
pub(super) fn not_found(dashboard: &Dashboard, here: &Here) -> Response {
    let body =
        html! { header.view-head { h1 { "Not found" } } p.empty { "There is no such page." } };
    (
        StatusCode::NOT_FOUND,
        shell(dashboard, here, "Not found", Section::Dashboard, body),
    )
        .into_response()
}

fn role_select(id: &str, current: Role) -> Markup {
    html! {
        select #(id) name="role" {
            @for role in Role::ALL {
                option value=(role.as_str()) selected[role == current] { (role.label()) }
            }
        }
    }
}

/// The people page, with `notice` (an invitation link just made, an error)
/// on top.
async fn people_page(dashboard: &Dashboard, here: &Here, notice: Option<Markup>) -> Response {
    let store = &dashboard.app.store;
    let (people, teams, invitations) = match (
        store.people().await,
        store.teams().await,
        store.invitations().await,
    ) {
        (Ok(p), Ok(t), Ok(i)) => (p, t, i),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return database_error(dashboard, here, e)
        }
    };
    let body = html! {
        header.view-head { h1 { "People" } }
        @if let Some(notice) = notice { (notice) }
        section aria-labelledby="people-title" {
            h2 #people-title { "Accounts" }
            div.table-scroll {
                table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Teams" } th scope="col" { "Actions" } } }
                    tbody {
                        @for p in &people {
                            tr {
                                td { (p.display_name()) }
                                td { (p.email) }
                                td {
                                    form.inline method="post" action=(format!("/people/{}/role", p.id)) {
                                        label.visually-hidden for=(format!("role-{}", p.id)) { "Role of " (p.email) }
                                        (role_select(&format!("role-{}", p.id), p.role))
                                        button.button.secondary type="submit" aria-label=(format!("Save role of {}", p.email)) { "Save" }
                                    }
                                }
                                td { (p.teams.join(", ")) }
                                td {
                                    @if p.id != here.person().id {
                                        form.inline method="post" action=(format!("/people/{}/remove", p.id)) {
                                            button.button.secondary type="submit" aria-label=(format!("Remove {}", p.email)) { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="invite-title" {
            h2 #invite-title { "Invite someone" }
            form method="post" action="/people/invite" {
                div.field { label for="invite-email" { "Email" } input #invite-email name="email" type="email" required; }
                div.field { label for="invite-role" { "Role" } (role_select("invite-role", Role::Member)) }
                div.field {
                    label for="invite-teams" { "Teams" }
                    input #invite-teams name="teams" type="text" placeholder="support, finance";
                    p.hint { "Team slugs, separated by commas." }
                }
                div.buttons { button.button.primary type="submit" { "Create invitation link" } }
            }
            @if !invitations.is_empty() {
                h3 { "Pending invitations" }
                ul { @for i in &invitations { li { (i.email) " (" (i.role.label()) ") · expires " (time(i.expires_at)) } } }
            }
        }
        section aria-labelledby="teams-title" {
            h2 #teams-title { "Teams" }
            @if teams.is_empty() { p.empty { "No teams yet." } }
            @for team in &teams {
                section.card aria-label=(format!("Team {}", team.name)) {
                    h3 { (team.name) " " code { (team.slug) } }
                    @if team.members.is_empty() { p.empty { "No members." } }
                    ul {
                        @for member in &team.members {
                            @if let Some(p) = people.iter().find(|p| &p.email == member) {
                                li {
                                    (member) " "
                                    form.inline method="post" action=(format!("/teams/{}/members/{}/remove", team.slug, p.id)) {
                                        button.button.secondary type="submit" aria-label=(format!("Remove {member} from {}", team.name)) { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                    form.inline method="post" action=(format!("/teams/{}/members", team.slug)) {
                        label for=(format!("add-{}", team.slug)) { "Add to " (team.name) }
                        input #(format!("add-{}", team.slug)) name="email" type="email" required placeholder="name@example.com";
                        button.button.secondary type="submit" { "Add member" }
                    }
                }
            }
            form method="post" action="/teams" {
                div.field { label for="team-slug" { "Team slug" } input #team-slug name="slug" type="text" required pattern="[a-z0-9_-]+"; p.hint { "What `access` names in code, e.g. support." } }
                div.field { label for="team-name" { "Team name" } input #team-name name="name" type="text"; }
                div.buttons { button.button.primary type="submit" { "Create team" } }
            }
        }
    };
    shell(dashboard, here, "People", Section::People, body).into_response()
}

fn alert(message: &str) -> Markup {
    html! { p.error-box role="alert" { (message) } }
}

/// The page's [`Here`] for the people `allowed` lets in; to everyone else
/// the page does not exist (the 404 page to answer with).
pub(super) async fn here_if(
    dashboard: &Dashboard,
    viewer: Viewer,
    headers: &HeaderMap,
    allowed: fn(&Person) -> bool,
) -> Result<Here, Response> {
    let here = Here::new(dashboard, viewer, headers).await;
    if !allowed(here.person()) {
        return Err(not_found(dashboard, &here));
    }
    Ok(here)
}

/// The page's [`Here`] for admins (see [`here_if`]).
async fn admin_here(
    dashboard: &Dashboard,
    viewer: Viewer,
    headers: &HeaderMap,
) -> Result<Here, Response> {
    here_if(dashboard, viewer, headers, Person::is_admin).await
}

/// `GET /people`.
pub async fn people(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
) -> Response {
    let here = &match admin_here(&dashboard, viewer, &headers).await {
        Ok(here) => here,
        Err(page) => return page,
    };
    people_page(&dashboard, here, None).await
}

/// The invitation form.
#[derive(Deserialize)]
pub struct InviteForm {
    email: String,
    role: String,
    #[serde(default)]
    teams: String,
}

/// `POST /people/invite`: makes an invitation link and shows it once.
pub async fn invite(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Form(form): Form<InviteForm>,
) -> Response {
    let here = &match admin_here(&dashboard, viewer, &headers).await {
        Ok(here) => here,
        Err(page) => return page,
    };
    let store = &dashboard.app.store;
    let role = match form.role.parse::<Role>() {
        Ok(role) => role,
        Err(e) => return people_page(&dashboard, here, Some(alert(&e.to_string()))).await,
    };
    if !plausible_email(&form.email) {
        return people_page(&dashboard, here, Some(alert("Enter an e-mail address."))).await;
    }
    match store.person_by_email(&form.email).await {
        Ok(Some(_)) => {
            let message = format!("There is already an account for {}.", form.email.trim());
            return people_page(&dashboard, here, Some(alert(&message))).await;
        }
        Ok(None) => {}
        Err(e) => return database_error(&dashboard, here, e),
    }
    let teams: Vec<String> = form
        .teams
        .split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if let Some(bad) = teams.iter().find(|t| !valid_team_slug(t)) {
        let message = format!("{bad:?} is not a team slug (a–z, 0–9, - and _).");
        return people_page(&dashboard, here, Some(alert(&message))).await;
    }
    let token = crate::keys::new_token(40);
    let invitation = Invitation {
        email: form.email.trim().to_owned(),
        role,
        teams,
        expires_at: crate::db::now_ms() + INVITATION_LIFETIME_MS,
    };
    if let Err(e) = store
        .invite(&token, &invitation, Some(&here.person().id))
        .await
    {
        return database_error(&dashboard, here, e);
    }
    store
        .audit(
            Some(&here.person().email),
            "person_invited",
            &format!("{} as {}", invitation.email, role.label()),
        )
        .await;
    let link = format!("{}/invite/{token}", dashboard.app.base_url());
    let notice = html! {
        section.notice role="status" aria-labelledby="invitation-link-title" {
            h2 #invitation-link-title { "Invitation link for " (invitation.email) }
            p { "Send this link to " (invitation.email) ". It works once, for 7 days, and is not shown again." }
            p { code #invitation-link { (link) } }
        }
    };
    people_page(&dashboard, here, Some(notice)).await
}

/// The role form.
#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

/// `POST /people/{id}/role`.
pub async fn set_role(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Response {
    let here = &match admin_here(&dashboard, viewer, &headers).await {
        Ok(here) => here,
        Err(page) => return page,
    };
    let store = &dashboard.app.store;
    let role = match form.role.parse::<Role>() {
        Ok(role) => role,
        Err(e) => return people_page(&dashboard, here, Some(alert(&e.to_string()))).await,
    };
    if id == here.person().id && role != Role::Admin {
        return people_page(
            &dashboard,
            here,
            Some(alert(
                "You cannot take away your own admin role; ask another admin.",
            )),
        )
        .await;
    }
    let person = match store.person(&id).await {
        Ok(Some(person)) => person,
        Ok(None) => return Redirect::to("/people").into_response(),
        Err(e) => return database_error(&dashboard, here, e),
    };
    if let Err(e) = store.set_role(&id, role).await {
        return database_error(&dashboard, here, e);
    }
    store
        .audit(
            Some(&here.person().email),
            "role_changed",
            &format!(
                "{}: {} → {}",
                person.email,
                person.role.label(),
                role.label()
            ),
        )
        .await;
    Redirect::to("/people").into_response()
}

/// `POST /people/{id}/remove`: the account goes, and its sessions.
pub async fn remove_person(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let here = &match admin_here(&dashboard, viewer, &headers).await {
        Ok(here) => here,
        Err(page) => return page,
    };
    let store = &dashboard.app.store;
    if id == here.person().id {
        return people_page(&dashboard, here, Some(alert("You cannot remove yourself."))).await;
    }
    let person = match store.person(&id).await {
        Ok(Some(person)) => person,
        Ok(None) => return Redirect::to("/people").into_response(),
        Err(e) => return database_error(&dashboard, here, e),
    };
    if let Err(e) = store.remove_person(&id).await {
        return database_error(&dashboard, here, e);
    }
    store
        .audit(Some(&here.person().email), "person_removed", &person.email)
        .await;
    Redirect::to("/people").into_response()
}

/// The new-team form.
#[derive(Deserialize)]
pub struct TeamForm {
    slug: String,
    #[serde(default)]
    name: String,
}

/// `POST /teams`.
pub async fn create_team(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Form(form): Form<TeamForm>,
) -> Response {
    let here = &match admin_here(&dashboard, viewer, &headers).await {
        Ok(here) => here,
        Err(page) => return page,
    };
    let slug = form.slug.trim();
    if !valid_team_slug(slug) {
        let message = format!("{slug:?} is not a team slug (a–z, 0–9, - and _).");
        return people_page(&dashboard, here, Some(alert(&message))).await;
    }
    let name = Some(form.name.trim())
        .filter(|n| !n.is_empty())
        .unwrap_or(slug);
    if let Err(e) = dashboard.app.store.put_team(slug, name).await {
        return database_error(&dashboard, here, e);
    }
    dashboard
        .app
        .store
        .audit(Some(&here.person().email), "team_created", slug)
        .await;
    Redirect::to("/people").into_response()
}

/// The add-member form.
#[derive(Deserialize)]
pub struct MemberForm {
    email: String,
}

/// `POST /teams/{slug}/members`.
pub async fn add_member(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<MemberForm>,
) -> Response {
    let here = &match admin_here(&dashboard, viewer, &headers).await {
        Ok(here) => here,
        Err(page) => return page,
    };
    let store = &dashboard.app.store;
    let person = match store.person_by_email(&form.email).await {
        Ok(Some((person, _))) => person,
        Ok(None) => {
            let message = format!("There is no account for {}.", form.email.trim());
            return people_page(&dashboard, here, Some(alert(&message))).await;
        }
        Err(e) => return database_error(&dashboard, here, e),
    };
    match store.team_exists(&slug).await {
        Ok(true) => {}
        Ok(false) => return not_found(&dashboard, here),
        Err(e) => return database_error(&dashboard, here, e),
    }
    if let Err(e) = store.join_team(&slug, &person.id).await {
        return database_error(&dashboard, here, e);
    }
    store
        .audit(
            Some(&here.person().email),
            "team_member_added",
            &format!("{} to {slug}", person.email),
        )
        .await;
    Redirect::to("/people").into_response()
}

/// `POST /teams/{slug}/members/{id}/remove`.
pub async fn remove_member(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let here = &match admin_here(&dashboard, viewer, &headers).await {
        Ok(here) => here,
        Err(page) => return page,
    };
    let store = &dashboard.app.store;
    if let Err(e) = store.leave_team(&slug, &id).await {
        return database_error(&dashboard, here, e);
    }
    let who = store
        .person(&id)
        .await
        .ok()
        .flatten()
        .map_or(id.clone(), |p| p.email);
    store
        .audit(
            Some(&here.person().email),
            "team_member_removed",
            &format!("{who} from {slug}"),
        )
        .await;
    Redirect::to("/people").into_response()
}

/// `GET /audit`: sign-ins, key changes, people changes and runs.
pub async fn audit(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
) -> Response {
    let here = &match admin_here(&dashboard, viewer, &headers).await {
        Ok(here) => here,
        Err(page) => return page,
    };
    let lines = match dashboard.app.store.audit_log(500).await {
        Ok(lines) => lines,
        Err(e) => return database_error(&dashboard, here, e),
    };
    let body = html! {
        header.view-head { h1 { "Audit log" } }
        @if lines.is_empty() { p.empty { "Nothing yet." } }
        @else {
            div.table-scroll {
                table {
                    thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Details" } } }
                    tbody {
                        @for line in &lines {
                            tr {
                                td { (time(line.at)) }
                                td { (line.actor.as_deref().unwrap_or("the server")) }
                                td { (line.event.replace('_', " ")) }
                                td { (line.detail) }
                            }
                        }
                    }
                }
            }
        }
    };
    shell(&dashboard, here, "Audit log", Section::Audit, body).into_response()
}
