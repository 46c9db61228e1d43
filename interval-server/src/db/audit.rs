//! The audit log: sign-ins, changes to people, teams and keys, and runs.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{ctx, decode_all, now_ms, Result, Store};

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When (ms).
    pub at: i64,
    /// Who, by e-mail (none for the server itself or an API key).
    pub actor: Option<String>,
    /// What happened, e.g. `signed_in`, `key_revoked`, `action_run`.
    pub event: String,
    /// Details, for a person to read.
    pub detail: String,
}

impl Store {
    // --- Audit log ------------------------------------------------------

    /// Appends to the audit log. A failure is logged, never fatal: the
    /// action it records has happened.
    pub async fn audit(&self, actor: Option<&str>, event: &str, detail: &str) {
        let written = async {
            sqlx::query("INSERT INTO audit_log (at, actor, event, detail) VALUES ($1, $2, $3, $4)")
                .bind(now_ms())
                .bind(actor)
                .bind(event)
                .bind(detail)
                .execute(&mut *self.conn().await?)
                .await
                .map_err(ctx("writing the audit log"))
        };
        if let Err(e) = written.await {
            tracing::error!("could not write the audit log ({event}: {detail}): {e}");
        }
    }

    /// The most recent audit lines, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT at, actor, event, detail FROM audit_log ORDER BY at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading the audit log"))?;
        decode_all(
            rows,
            |row| {
                Ok(AuditRecord {
                    at: row.try_get(0)?,
                    actor: row.try_get(1)?,
                    event: row.try_get(2)?,
                    detail: row.try_get(3)?,
                })
            },
            "reading the audit log",
        )
    }
}
