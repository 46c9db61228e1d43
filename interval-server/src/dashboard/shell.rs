//! The frame of every dashboard page: the top bar with its sections, who
//! is signed in, the environment they work in, and the page's body.

use axum::http::HeaderMap;
use axum::response::Html;
use maud::{html, Markup, DOCTYPE};

use super::environment;
use super::routes::RouteTree;
use super::Dashboard;
use crate::auth::{SignedInVia, Viewer};
use crate::keys::KeyKind;
use crate::people::Person;

/// The sections of the top bar.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The route tree.
    Dashboard,
    /// Transactions.
    History,
    /// Queued actions.
    Queue,
    /// Notifications.
    Notifications,
    /// People and teams (admins).
    People,
    /// API keys (developers and admins).
    Keys,
    /// The audit log (admins).
    Audit,
}

/// Who is looking, and in which environment.
pub struct Here {
    /// The person.
    pub viewer: Viewer,
    /// Their environment.
    pub environment: KeyKind,
}

impl Here {
    /// `viewer` on a request with `headers`.
    pub async fn new(dashboard: &Dashboard, viewer: Viewer, headers: &HeaderMap) -> Here {
        let environment = environment::chosen(&dashboard.app, headers, &viewer.person).await;
        Here {
            viewer,
            environment,
        }
    }

    /// The person.
    pub fn person(&self) -> &Person {
        &self.viewer.person
    }

    /// The routes they see.
    pub fn tree(&self, dashboard: &Dashboard) -> RouteTree {
        RouteTree::load(&dashboard.app, self.person(), self.environment)
    }
}

fn user_menu(here: &Here) -> Markup {
    let person = here.person();
    let open = here.viewer.via == SignedInVia::Open;
    html! {
        div.user-menu {
            @if person.role.develops() {
                form.environment-switch method="post" action="/environment" {
                    @match here.environment {
                        KeyKind::Development => {
                            input type="hidden" name="environment" value="production";
                            button.button.secondary type="submit" { "Switch to production" }
                        }
                        KeyKind::Live => {
                            input type="hidden" name="environment" value="development";
                            button.button.secondary type="submit" { "Switch to development" }
                        }
                    }
                }
            }
            @if open {
                // Anyone on this machine is the owner until they set up an account.
                a.button.secondary href="/setup" { "Set up sign-in" }
            } @else {
                span.signed-in { "Signed in as " strong { (person.display_name()) } " (" (person.role.label()) ")" }
                // POSTs (same-origin checked): a link elsewhere cannot sign anyone out.
                form.logout method="post" action="/logout" {
                    button.button type="submit" { "Log out" }
                }
                @if here.viewer.session.is_some() {
                    form.logout method="post" action="/logout/everywhere" {
                        button.button type="submit" { "Log out everywhere" }
                    }
                }
            }
        }
    }
}

/// A whole page: `body` in the frame, `section` current.
pub fn shell(
    dashboard: &Dashboard,
    here: &Here,
    title: &str,
    section: Section,
    body: Markup,
) -> Html<String> {
    let organization = &dashboard.app.organization.name;
    let person = here.person();
    let current = |s: Section| if s == section { Some("page") } else { None };
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · " (organization) }
                    link rel="stylesheet" href="/assets/dashboard.css";
                    link rel="icon" type="image/svg+xml" href="/assets/favicon.svg";
                    script src="/assets/dashboard.js" defer {}
                    script src="/assets/combobox.js" defer {}
                    script src="/assets/sheet.js" defer {}
                    script src="/assets/uploads.js" defer {}
                }
                body {
                    a.skip href="#main" { "Skip to content" }
                    header.topbar {
                        a.brand href="/" { (organization) }
                        nav aria-label="Sections" {
                            a href="/" aria-current=[current(Section::Dashboard)] { "Dashboard" }
                            a href="/history" aria-current=[current(Section::History)] { "History" }
                            a href="/queue" aria-current=[current(Section::Queue)] { "Queue" }
                            a href="/notifications" aria-current=[current(Section::Notifications)] { "Notifications" }
                            @if person.role.develops() {
                                a href="/keys" aria-current=[current(Section::Keys)] { "API keys" }
                            }
                            @if person.is_admin() {
                                a href="/people" aria-current=[current(Section::People)] { "People" }
                                a href="/audit" aria-current=[current(Section::Audit)] { "Audit log" }
                            }
                        }
                        // The dashboard has its own search box.
                        @if section != Section::Dashboard {
                            form.topsearch role="search" method="get" action="/" {
                                label.visually-hidden for="search" { "Search actions" }
                                input #search type="search" name="q" placeholder="Search actions";
                            }
                        }
                        (user_menu(here))
                    }
                    @if here.environment == KeyKind::Development {
                        // A landmark of its own: every part of the page is in one.
                        section aria-label="Environment" {
                            div.environment-banner role="note" {
                                strong { "Development" }
                                " — your development environment: the actions of hosts using your development keys, visible only to you."
                            }
                        }
                    }
                    main #main { (body) }
                    // Notifications of the running action (`ctx.notify`).
                    div #toasts .toasts aria-live="polite" {}
                }
            }
        }
        .into_string(),
    )
}
