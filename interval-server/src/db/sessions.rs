//! Sessions kept across restarts, and invitation links. Both tokens are
//! kept as a hash ([`keys::token_hash`]): someone who reads the database
//! cannot sign in with what they read.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{ctx, decode_all, now_ms, Result, Store};
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

fn invitation_from_row(row: &AnyRow) -> sqlx::Result<(String, String, String, i64)> {
    Ok((
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
    ))
}

fn invitation_of(email: String, role: &str, teams: &str, expires_at: i64) -> Option<Invitation> {
    Some(Invitation {
        email,
        role: role.parse().ok()?,
        teams: serde_json::from_str(teams).unwrap_or_default(),
        expires_at,
    })
}

impl Store {
    // --- Sessions -------------------------------------------------------

    /// Opens a session for `user_id` with cookie token `token`, expiring at
    /// `expires_at` (ms).
    pub async fn open_session(&self, token: &str, user_id: &str, expires_at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, authenticated_at, expires_at)
             VALUES ($1, $2, $3, $3, $3, $4)",
        )
        .bind(keys::token_hash(token))
        .bind(user_id)
        .bind(now_ms())
        .bind(expires_at)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("opening a session"))?;
        Ok(())
    }

    /// The session of cookie token `token`, if it exists.
    pub async fn session(&self, token: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT user_id, last_seen_at, authenticated_at, expires_at FROM sessions WHERE token_hash = $1",
        )
        .bind(keys::token_hash(token))
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading a session"))?;
        row.map(|row| {
            Ok(SessionRecord {
                user_id: row.try_get(0)?,
                last_seen_at: row.try_get(1)?,
                authenticated_at: row.try_get(2)?,
                expires_at: row.try_get(3)?,
            })
        })
        .transpose()
        .map_err(ctx("reading a session"))
    }

    /// Records a use of session `token` at `at`.
    pub async fn touch_session(&self, token: &str, at: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(keys::token_hash(token))
            .bind(at)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("updating a session"))?;
        Ok(())
    }

    /// Records that session `token` authenticated again at `at`.
    pub async fn reauthenticated(&self, token: &str, at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET authenticated_at = $2, last_seen_at = $2 WHERE token_hash = $1",
        )
        .bind(keys::token_hash(token))
        .bind(at)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("updating a session"))?;
        Ok(())
    }

    /// Ends session `token`.
    pub async fn close_session(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(keys::token_hash(token))
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("closing a session"))?;
        Ok(())
    }

    /// Ends every session of account `user_id`; returns how many.
    pub async fn close_sessions_of(&self, user_id: &str) -> Result<usize> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("closing sessions"))?;
        Ok(done.rows_affected() as usize)
    }

    /// Forgets sessions that expired, or were idle since before
    /// `idle_before` (ms).
    pub async fn prune_sessions(&self, idle_before: i64) -> Result<usize> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
            .bind(now_ms())
            .bind(idle_before)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("pruning sessions"))?;
        Ok(done.rows_affected() as usize)
    }

    // --- Invitations ----------------------------------------------------

    /// Stores an invitation reachable with `token`.
    pub async fn invite(
        &self,
        token: &str,
        invitation: &Invitation,
        by: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO invitations (token_hash, email, role, teams, invited_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(keys::token_hash(token))
        .bind(invitation.email.trim())
        .bind(invitation.role.as_str())
        .bind(serde_json::to_string(&invitation.teams).unwrap_or_else(|_| "[]".into()))
        .bind(by)
        .bind(now_ms())
        .bind(invitation.expires_at)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("storing an invitation"))?;
        Ok(())
    }

    /// The unexpired invitation of `token`.
    pub async fn invitation(&self, token: &str) -> Result<Option<Invitation>> {
        let row = sqlx::query(
            "SELECT email, role, teams, expires_at FROM invitations WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(keys::token_hash(token))
        .bind(now_ms())
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading an invitation"))?;
        let found = row
            .as_ref()
            .map(invitation_from_row)
            .transpose()
            .map_err(ctx("reading an invitation"))?;
        Ok(found.and_then(|(email, role, teams, expires_at)| {
            invitation_of(email, &role, &teams, expires_at)
        }))
    }

    /// Removes the invitation of `token` (accepted or withdrawn).
    pub async fn remove_invitation(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM invitations WHERE token_hash = $1")
            .bind(keys::token_hash(token))
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("removing an invitation"))?;
        Ok(())
    }

    /// Unexpired invitations, newest first.
    pub async fn invitations(&self) -> Result<Vec<Invitation>> {
        let rows = sqlx::query(
            "SELECT email, role, teams, expires_at FROM invitations WHERE expires_at > $1 ORDER BY created_at DESC",
        )
        .bind(now_ms())
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading invitations"))?;
        let rows = decode_all(rows, invitation_from_row, "reading invitations")?;
        Ok(rows
            .into_iter()
            .filter_map(|(email, role, teams, expires_at)| {
                invitation_of(email, &role, &teams, expires_at)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::people::tests::new_person;
    use crate::db::test_stores;

    #[tokio::test]
    async fn sessions_are_found_by_token_and_stored_as_a_hash() {
        for store in test_stores().await {
            let bob = store
                .add_person(&new_person("bob@example.com", Role::Member))
                .await
                .unwrap();
            store
                .open_session("secret-token", &bob.id, now_ms() + 60_000)
                .await
                .unwrap();
            assert_eq!(
                store
                    .session("secret-token")
                    .await
                    .unwrap()
                    .unwrap()
                    .user_id,
                bob.id
            );
            assert!(store.session("other").await.unwrap().is_none());
            let stored: String = sqlx::query("SELECT token_hash FROM sessions")
                .fetch_one(&mut *store.conn().await.unwrap())
                .await
                .and_then(|row| row.try_get(0))
                .unwrap();
            assert!(!stored.contains("secret-token"));
            assert_eq!(store.close_sessions_of(&bob.id).await.unwrap(), 1);
            assert!(store.session("secret-token").await.unwrap().is_none());
        }
    }

    #[tokio::test]
    async fn invitations_expire() {
        for store in test_stores().await {
            let invitation = Invitation {
                email: "new@example.com".into(),
                role: Role::Developer,
                teams: vec!["eng".into()],
                expires_at: now_ms() + 60_000,
            };
            store.invite("tok", &invitation, None).await.unwrap();
            assert_eq!(
                store.invitation("tok").await.unwrap(),
                Some(invitation.clone())
            );
            store
                .invite(
                    "old",
                    &Invitation {
                        expires_at: now_ms() - 1,
                        ..invitation
                    },
                    None,
                )
                .await
                .unwrap();
            assert_eq!(store.invitation("old").await.unwrap(), None);
            assert_eq!(store.invitations().await.unwrap().len(), 1);
        }
    }
}
