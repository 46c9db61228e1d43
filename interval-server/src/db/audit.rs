//! The audit log: sign-ins, changes to people, teams and keys, and runs.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{ctx, now_ms, Result, Store};

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
    pub fn audit(&self, actor: Option<&str>, event: &str, detail: &str) {
        let written = self.conn().execute(
            "INSERT INTO audit_log (at, actor, event, detail) VALUES (?1, ?2, ?3, ?4)",
            params![now_ms(), actor, event, detail],
        );
        if let Err(e) = written {
            tracing::error!("could not write the audit log ({event}: {detail}): {e}");
        }
    }

    /// The most recent audit lines, newest first.
    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT at, actor, event, detail FROM audit_log ORDER BY at DESC, id DESC LIMIT ?1",
            )
            .map_err(ctx("reading the audit log"))?;
        let rows = stmt
            .query_map([limit], |row| {
                Ok(AuditRecord {
                    at: row.get(0)?,
                    actor: row.get(1)?,
                    event: row.get(2)?,
                    detail: row.get(3)?,
                })
            })
            .map_err(ctx("reading the audit log"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(ctx("reading the audit log"))
    }
}
