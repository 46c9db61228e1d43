//! The pages of signing in: the sign-in form, the first-run page and
//! invitations. They stand alone (no navigation: nobody is signed in yet).

use axum::response::Html;
use maud::{html, Markup, DOCTYPE};

use crate::auth::MIN_PASSWORD_LENGTH;
use crate::db::Invitation;

fn page(title: &str, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · Interval" }
                    link rel="stylesheet" href="/assets/dashboard.css";
                    link rel="icon" type="image/svg+xml" href="/assets/favicon.svg";
                }
                body { main.narrow { h1 { (title) } (body) } }
            }
        }
        .into_string(),
    )
}

fn error(message: Option<&str>) -> Markup {
    html! { @if let Some(message) = message { p.error role="alert" { (message) } } }
}

fn password_field(autocomplete: &str) -> Markup {
    html! {
        div.field {
            label for="password" { "Password" }
            input #password name="password" type="password" autocomplete=(autocomplete) required
                minlength=[(autocomplete == "new-password").then_some(MIN_PASSWORD_LENGTH)];
            @if autocomplete == "new-password" {
                p.hint { "At least " (MIN_PASSWORD_LENGTH) " characters." }
            }
        }
    }
}

fn name_fields() -> Markup {
    html! {
        div.field {
            label for="first_name" { "First name" }
            input #first_name name="first_name" type="text" autocomplete="given-name";
        }
        div.field {
            label for="last_name" { "Last name" }
            input #last_name name="last_name" type="text" autocomplete="family-name";
        }
    }
}

/// The sign-in form, with `email` filled in.
pub fn login(message: Option<&str>, email: &str) -> Html<String> {
    page(
        "Sign in",
        html! {
            (error(message))
            form method="post" action="/login" {
                div.field {
                    label for="email" { "Email" }
                    input #email name="email" type="email" autocomplete="username" required autofocus value=(email);
                }
                (password_field("current-password"))
                div.buttons { button.button.primary type="submit" { "Sign in" } }
            }
        },
    )
}

/// The first-run page: the owner's account.
pub fn setup(message: Option<&str>) -> Html<String> {
    page(
        "Set up your account",
        html! {
            p { "You are the owner of this server. Once your account has a password, everyone signs in, and you can invite your team." }
            (error(message))
            form method="post" action="/setup" {
                div.field {
                    label for="email" { "Email" }
                    input #email name="email" type="email" autocomplete="username" required autofocus;
                }
                (name_fields())
                (password_field("new-password"))
                div.buttons { button.button.primary type="submit" { "Create account" } }
            }
        },
    )
}

/// The page of an invitation link.
pub fn invitation(invitation: &Invitation, message: Option<&str>) -> Html<String> {
    page(
        "Join your team",
        html! {
            p { "You are invited as " strong { (invitation.email) } " (" (invitation.role.label()) ")." }
            (error(message))
            form method="post" {
                (name_fields())
                (password_field("new-password"))
                div.buttons { button.button.primary type="submit" { "Create account" } }
            }
        },
    )
}

/// An invitation link that expired, was used, or never existed.
pub fn invitation_gone() -> Html<String> {
    page(
        "Invitation not found",
        html! {
            p { "This invitation link has expired or was already used. Ask an admin for a new one." }
            p { a href="/login" { "Sign in" } }
        },
    )
}

/// A person the trusted proxy signed in, who has no account here.
pub fn no_account(email: &str) -> Html<String> {
    page(
        "No account",
        html! {
            p { "There is no account for " strong { (email) } " on this server. Ask an admin to invite you." }
        },
    )
}
