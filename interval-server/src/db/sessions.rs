//! Sessions kept across restarts, and invitation links. Both tokens are
//! kept as a hash ([`keys::token_hash`]): someone who reads the database
//! cannot sign in with what they read.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{ctx, now_ms, Result, Store};
use crate::keys;
use crate::people::Role;

/// A stored session: whose, and when it last authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The person.
    pub user_id: String,
    /// When the session was last used (ms).
    pub last_seen_at: i64,
    /// When it last authenticated: signed in, or confirmed its identity.
    pub authenticated_at: i64,
    /// When it expires whatever its use (ms).
    pub expires_at: i64,
}

/// A pending invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// Who is invited.
    pub email: String,
    /// Their role once they accept.
    pub role: Role,
    /// Their teams once they accept.
    pub teams: Vec<String>,
    /// When the link stops working (ms).
    pub expires_at: i64,
}

impl Store {
    // --- Sessions -------------------------------------------------------

    /// Opens a session for `user_id` with cookie token `token`, expiring at
    /// `expires_at` (ms).
    pub fn open_session(&self, token: &str, user_id: &str, expires_at: i64) -> Result<()> {
        let now = now_ms();
        self.conn()
            .execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, authenticated_at, expires_at)
                 VALUES (?1, ?2, ?3, ?3, ?3, ?4)",
                params![keys::token_hash(token), user_id, now, expires_at],
            )
            .map_err(ctx("opening a session"))?;
        Ok(())
    }

    /// The session of cookie token `token`, if it exists.
    pub fn session(&self, token: &str) -> Result<Option<SessionRecord>> {
        self.conn()
            .query_row(
                "SELECT user_id, last_seen_at, authenticated_at, expires_at FROM sessions WHERE token_hash = ?1",
                [keys::token_hash(token)],
                |row| {
                    Ok(SessionRecord {
                        user_id: row.get(0)?,
                        last_seen_at: row.get(1)?,
                        authenticated_at: row.get(2)?,
                        expires_at: row.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(ctx("reading a session"))
    }

    /// Records a use of session `token` at `at`.
    pub fn touch_session(&self, token: &str, at: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1",
                params![keys::token_hash(token), at],
            )
            .map_err(ctx("updating a session"))?;
        Ok(())
    }

    /// Records that session `token` authenticated again at `at`.
    pub fn reauthenticated(&self, token: &str, at: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE sessions SET authenticated_at = ?2, last_seen_at = ?2 WHERE token_hash = ?1",
                params![keys::token_hash(token), at],
            )
            .map_err(ctx("updating a session"))?;
        Ok(())
    }

    /// Ends session `token`.
    pub fn close_session(&self, token: &str) -> Result<()> {
        self.conn()
            .execute(
                "DELETE FROM sessions WHERE token_hash = ?1",
                [keys::token_hash(token)],
            )
            .map_err(ctx("closing a session"))?;
        Ok(())
    }

    /// Ends every session of account `user_id`; returns how many.
    pub fn close_sessions_of(&self, user_id: &str) -> Result<usize> {
        self.conn()
            .execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])
            .map_err(ctx("closing sessions"))
    }

    /// Forgets sessions that expired, or were idle since before
    /// `idle_before` (ms).
    pub fn prune_sessions(&self, idle_before: i64) -> Result<usize> {
        self.conn()
            .execute(
                "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at < ?2",
                params![now_ms(), idle_before],
            )
            .map_err(ctx("pruning sessions"))
    }

    // --- Invitations ----------------------------------------------------

    /// Stores an invitation reachable with `token`.
    pub fn invite(&self, token: &str, invitation: &Invitation, by: Option<&str>) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO invitations (token_hash, email, role, teams, invited_by, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    keys::token_hash(token),
                    invitation.email.trim(),
                    invitation.role.as_str(),
                    serde_json::to_string(&invitation.teams).unwrap_or_else(|_| "[]".into()),
                    by,
                    now_ms(),
                    invitation.expires_at
                ],
            )
            .map_err(ctx("storing an invitation"))?;
        Ok(())
    }

    /// The unexpired invitation of `token`.
    pub fn invitation(&self, token: &str) -> Result<Option<Invitation>> {
        let found = self
            .conn()
            .query_row(
                "SELECT email, role, teams, expires_at FROM invitations WHERE token_hash = ?1 AND expires_at > ?2",
                params![keys::token_hash(token), now_ms()],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(ctx("reading an invitation"))?;
        Ok(found.and_then(|(email, role, teams, expires_at)| {
            Some(Invitation {
                email,
                role: role.parse().ok()?,
                teams: serde_json::from_str(&teams).unwrap_or_default(),
                expires_at,
            })
        }))
    }

    /// Removes the invitation of `token` (accepted or withdrawn).
    pub fn remove_invitation(&self, token: &str) -> Result<()> {
        self.conn()
            .execute(
                "DELETE FROM invitations WHERE token_hash = ?1",
                [keys::token_hash(token)],
            )
            .map_err(ctx("removing an invitation"))?;
        Ok(())
    }

    /// Unexpired invitations, newest first.
    pub fn invitations(&self) -> Result<Vec<Invitation>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT email, role, teams, expires_at FROM invitations WHERE expires_at > ?1 ORDER BY created_at DESC",
            )
            .map_err(ctx("reading invitations"))?;
        let rows = stmt
            .query_map([now_ms()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })
            .map_err(ctx("reading invitations"))?;
        let mut invitations = Vec::new();
        for row in rows {
            let (email, role, teams, expires_at) = row.map_err(ctx("reading invitations"))?;
            if let Ok(role) = role.parse() {
                invitations.push(Invitation {
                    email,
                    role,
                    teams: serde_json::from_str(&teams).unwrap_or_default(),
                    expires_at,
                });
            }
        }
        Ok(invitations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::people::tests::new_person;

    #[test]
    fn sessions_are_found_by_token_and_stored_as_a_hash() {
        let store = Store::open(None).unwrap();
        let bob = store
            .add_person(&new_person("bob@example.com", Role::Member))
            .unwrap();
        store
            .open_session("secret-token", &bob.id, now_ms() + 60_000)
            .unwrap();
        assert_eq!(
            store.session("secret-token").unwrap().unwrap().user_id,
            bob.id
        );
        assert!(store.session("other").unwrap().is_none());
        let stored: String = store
            .conn()
            .query_row("SELECT token_hash FROM sessions", [], |row| row.get(0))
            .unwrap();
        assert!(!stored.contains("secret-token"));
        assert_eq!(store.close_sessions_of(&bob.id).unwrap(), 1);
        assert!(store.session("secret-token").unwrap().is_none());
    }

    #[test]
    fn invitations_expire() {
        let store = Store::open(None).unwrap();
        let invitation = Invitation {
            email: "new@example.com".into(),
            role: Role::Developer,
            teams: vec!["eng".into()],
            expires_at: now_ms() + 60_000,
        };
        store.invite("tok", &invitation, None).unwrap();
        assert_eq!(store.invitation("tok").unwrap(), Some(invitation.clone()));
        store
            .invite(
                "old",
                &Invitation {
                    expires_at: now_ms() - 1,
                    ..invitation
                },
                None,
            )
            .unwrap();
        assert_eq!(store.invitation("old").unwrap(), None);
        assert_eq!(store.invitations().unwrap().len(), 1);
    }
}
