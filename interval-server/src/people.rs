//! The people of the organization: their roles and teams, as Interval has
//! them. Who may do what with a route is decided in the server's `access` module.

use std::fmt;
use std::str::FromStr;

use interval_protocol::types::{User, UserRole};
use serde::{Deserialize, Serialize};

/// A person's role in the organization (Interval's four).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs every action, manages people, teams and live keys.
    Admin,
    /// Runs the actions their teams may run, and has development keys and a
    /// development environment of their own.
    Developer,
    /// Runs the actions their teams may run ("action runner").
    Member,
    /// Reads history; runs nothing.
    Viewer,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Developer, Role::Member, Role::Viewer];

    /// The name stored in the database and used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Developer => "developer",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    /// The name a person reads in the dashboard.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Developer => "Developer",
            Role::Member => "Action runner",
            Role::Viewer => "Viewer",
        }
    }

    /// The role sent to hosts in `ctx.user` (`START_TRANSACTION.user`), for
    /// those who may run anything. Viewers run nothing.
    pub fn user_role(self) -> Option<UserRole> {
        match self {
            Role::Admin => Some(UserRole::Admin),
            Role::Developer => Some(UserRole::Developer),
            Role::Member => Some(UserRole::Member),
            Role::Viewer => None,
        }
    }

    /// Whether this role may run actions and open pages.
    pub fn runs_actions(self) -> bool {
        self != Role::Viewer
    }

    /// Whether this role may have development keys.
    pub fn develops(self) -> bool {
        matches!(self, Role::Admin | Role::Developer)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: use admin, developer, member or viewer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "developer" => Ok(Role::Developer),
            "member" | "action runner" | "action_runner" | "runner" => Ok(Role::Member),
            "viewer" => Ok(Role::Viewer),
            _ => Err(UnknownRole(s.to_owned())),
        }
    }
}

/// A person with an account: who is signed in, who ran a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The account's id.
    pub id: String,
    /// E-mail address (unique, compared without case).
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Role.
    pub role: Role,
    /// Slugs of the person's teams.
    pub teams: Vec<String>,
}

impl Person {
    /// The name to show: first and last name, or the e-mail address.
    pub fn display_name(&self) -> String {
        let name = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|part| !part.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() {
            self.email.clone()
        } else {
            name
        }
    }

    /// Whether the person is an admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The person as hosts see them in `ctx.user`; `None` for viewers, who
    /// run nothing.
    pub fn user(&self) -> Option<User> {
        Some(User {
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            role: self.role.user_role()?,
            teams: self.teams.clone(),
        })
    }
}

/// Whether `email` looks like an address (one `@` with something on each
/// side, no spaces): enough to catch a typo, not a validation of mail.
pub fn plausible_email(email: &str) -> bool {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
                && email.len() <= 254
        }
        None => false,
    }
}

/// Whether `slug` is a valid team slug: 1–64 of `a–z 0–9 - _`.
pub fn valid_team_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_map_to_what_hosts_see() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("Action runner".parse::<Role>(), Ok(Role::Member));
        assert!("owner".parse::<Role>().is_err());
        assert_eq!(Role::Member.user_role(), Some(UserRole::Member));
        assert_eq!(Role::Viewer.user_role(), None);
        assert!(!Role::Viewer.runs_actions());
        assert!(Role::Developer.develops() && !Role::Member.develops());
    }

    #[test]
    fn names_fall_back_to_the_address() {
        let mut person = Person {
            id: "1".into(),
            email: "ada@example.com".into(),
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            role: Role::Member,
            teams: vec!["support".into()],
        };
        assert_eq!(person.display_name(), "Ada Lovelace");
        person.first_name = None;
        person.last_name = Some(" ".into());
        assert_eq!(person.display_name(), "ada@example.com");
        let user = person.user().unwrap();
        assert_eq!(user.teams, vec!["support".to_owned()]);
    }

    #[test]
    fn addresses_and_slugs_are_checked() {
        assert!(plausible_email("a@b.c"));
        assert!(!plausible_email("a b@c.d"));
        assert!(!plausible_email("@c.d"));
        assert!(!plausible_email("a@"));
        assert!(!plausible_email("a@b@c"));
        assert!(valid_team_slug("support-2"));
        assert!(!valid_team_slug("Support"));
        assert!(!valid_team_slug(""));
    }
}
