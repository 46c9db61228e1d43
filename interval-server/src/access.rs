//! Who may see and run what, as Interval decides it.
//!
//! * **Environments.** Production holds what hosts with live keys serve.
//!   Each developer has a development environment of their own: what hosts
//!   with *their* development keys serve, invisible to everyone else.
//! * **Access** (production only, as Interval): an action's or page's
//!   `access` from code. `"entire-organization"` or none: everyone; `{teams:
//!   [...]}`: members of those teams; `{teams: []}`: admins only. An action
//!   or page without its own `access` takes the nearest enclosing page's.
//!   Admins may run everything.
//! * **Roles.** Viewers run nothing; they read history.
//!
//! A person without access is told there is no such action, exactly as
//! for one that does not exist.

use interval_protocol::types::AccessControl;

use crate::keys::{ApiKey, KeyKind};
use crate::people::Person;

/// The message for a route a person may not use, the same as for one that
/// does not exist: access says nothing about what exists.
pub fn no_such_action(slug: &str) -> String {
    format!("There is no action \"{slug}\".")
}

/// The message for a page a person may not open (see [`no_such_action`]).
pub fn no_such_page(slug: &str) -> String {
    format!("There is no page \"{slug}\".")
}

/// Whether a host of environment `host_kind`, whose development key
/// belongs to `host_owner`, serves `person` in `environment`: production
/// hosts serve everyone in production; development hosts serve their
/// key's owner in development (a key without an owner, from before
/// accounts, serves admins).
pub fn host_serves(
    host_kind: KeyKind,
    host_owner: Option<&str>,
    person: &Person,
    environment: KeyKind,
) -> bool {
    if host_kind != environment {
        return false;
    }
    match environment {
        KeyKind::Live => true,
        KeyKind::Development => match host_owner {
            Some(owner) => owner == person.id,
            None => person.is_admin(),
        },
    }
}

/// Whether what lives in `environment` (`production` or `development`),
/// and for development in `developer`'s environment, is within reach of
/// API key `key`: a live key reaches production, a development key its
/// owner's development environment. (A queued action, a transaction a
/// notification is about.)
pub fn key_reaches(environment: &str, developer: Option<&str>, key: &ApiKey) -> bool {
    environment == key.kind.environment()
        && match key.kind {
            KeyKind::Live => true,
            KeyKind::Development => developer.is_some() && developer == key.owner.as_deref(),
        }
}

/// Whether `access` (already resolved by [`effective`]) lets `person` use a
/// production route.
pub fn allows(access: Option<&AccessControl>, person: &Person) -> bool {
    if person.is_admin() {
        return true;
    }
    match access {
        None | Some(AccessControl::EntireOrganization(_)) => true,
        Some(AccessControl::Teams { teams }) => teams
            .iter()
            .flatten()
            .any(|team| person.teams.iter().any(|mine| mine == team)),
    }
}

/// The access that applies to a route: its own, else that of the nearest
/// enclosing page that has one. `own` is the route's `access`, `parent`
/// the slug of the page it sits in, and `page_access` looks up a page's own
/// `access` and parent by slug.
pub fn effective<'a, F>(
    own: Option<&'a AccessControl>,
    mut parent: Option<String>,
    page_access: F,
) -> Option<&'a AccessControl>
where
    F: Fn(&str) -> Option<(Option<&'a AccessControl>, Option<String>)>,
{
    if own.is_some() {
        return own;
    }
    // Bounded by the depth of the tree (a slug has finitely many parents);
    // the guard is against a host that declares a cycle.
    for _ in 0..64 {
        let slug = parent?;
        let (access, next) = page_access(&slug)?;
        if access.is_some() {
            return access;
        }
        parent = next;
    }
    None
}

/// The slug of the page above `slug` (`a/b/c` → `a/b`), if any.
pub fn parent_slug(slug: &str) -> Option<String> {
    slug.rsplit_once('/').map(|(parent, _)| parent.to_owned())
}

/// Team slugs named in `access` definitions that `known` does not know, in
/// order, once each (for the warning of `INITIALIZE_HOST`).
pub fn unknown_teams<'a>(
    accesses: impl IntoIterator<Item = &'a AccessControl>,
    known: &[String],
) -> Vec<String> {
    let mut unknown: Vec<String> = Vec::new();
    for access in accesses {
        if let AccessControl::Teams { teams: Some(teams) } = access {
            for team in teams {
                if !known.contains(team) && !unknown.contains(team) {
                    unknown.push(team.clone());
                }
            }
        }
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::Role;

    fn person(role: Role, teams: &[&str]) -> Person {
        Person {
            id: "p".into(),
            email: "p@example.com".into(),
            first_name: None,
            last_name: None,
            role,
            teams: teams.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn teams_decide_and_admins_pass() {
        let support = AccessControl::teams(["support"]);
        let nobody = AccessControl::teams(Vec::<String>::new());
        let everyone = AccessControl::entire_organization();
        let member = person(Role::Member, &["support"]);
        let outsider = person(Role::Member, &["finance"]);
        let admin = person(Role::Admin, &[]);
        assert!(allows(Some(&support), &member));
        assert!(!allows(Some(&support), &outsider));
        assert!(allows(Some(&support), &admin));
        assert!(!allows(Some(&nobody), &member));
        assert!(allows(Some(&nobody), &admin));
        assert!(allows(Some(&everyone), &outsider));
        assert!(allows(None, &outsider));
        assert!(!allows(
            Some(&AccessControl::Teams { teams: None }),
            &member
        ));
    }

    #[test]
    fn development_hosts_serve_their_owner_only() {
        let mut dev = person(Role::Developer, &[]);
        dev.id = "dev-1".into();
        let mut other = person(Role::Admin, &[]);
        other.id = "admin-1".into();
        let d = KeyKind::Development;
        assert!(host_serves(d, Some("dev-1"), &dev, d));
        assert!(!host_serves(d, Some("dev-1"), &other, d));
        assert!(!host_serves(d, Some("dev-1"), &dev, KeyKind::Live));
        assert!(host_serves(KeyKind::Live, None, &dev, KeyKind::Live));
        assert!(host_serves(d, None, &other, d));
        assert!(!host_serves(d, None, &dev, d));
    }

    #[test]
    fn access_is_inherited_from_the_nearest_page() {
        let support = AccessControl::teams(["support"]);
        let everyone = AccessControl::entire_organization();
        let pages = |slug: &str| match slug {
            "users" => Some((Some(&support), None)),
            "users/admin" => Some((None, Some("users".to_owned()))),
            "open" => Some((Some(&everyone), None)),
            _ => None,
        };
        assert_eq!(
            effective(None, Some("users/admin".into()), pages),
            Some(&support)
        );
        assert_eq!(effective(None, Some("open".into()), pages), Some(&everyone));
        assert_eq!(
            effective(Some(&everyone), Some("users".into()), pages),
            Some(&everyone)
        );
        assert_eq!(effective(None, None, pages), None);
        // A cycle ends.
        let cycle = |_: &str| Some((None, Some("x".to_owned())));
        assert_eq!(effective(None, Some("x".into()), cycle), None);
        assert_eq!(parent_slug("a/b/c").as_deref(), Some("a/b"));
        assert_eq!(parent_slug("a"), None);
    }

    #[test]
    fn keys_reach_their_own_environment_only() {
        let live = ApiKey {
            kind: KeyKind::Live,
            id: "l".into(),
            owner: None,
        };
        let dev = ApiKey {
            kind: KeyKind::Development,
            id: "d".into(),
            owner: Some("dev-1".into()),
        };
        assert!(key_reaches("production", None, &live));
        assert!(!key_reaches("development", Some("dev-1"), &live));
        assert!(key_reaches("development", Some("dev-1"), &dev));
        assert!(!key_reaches("development", Some("dev-2"), &dev));
        assert!(!key_reaches("development", None, &dev));
        assert!(!key_reaches("production", None, &dev));
    }

    #[test]
    fn unknown_teams_are_listed_once() {
        let accesses = [
            AccessControl::teams(["support", "ghosts"]),
            AccessControl::teams(["ghosts", "finance"]),
            AccessControl::entire_organization(),
        ];
        assert_eq!(
            unknown_teams(&accesses, &["support".to_owned()]),
            ["ghosts", "finance"]
        );
    }
}
