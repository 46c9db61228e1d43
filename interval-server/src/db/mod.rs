//! State kept in SQLite: API keys, declared routes, transactions with their
//! logs and results, queued actions and notifications.

mod api_keys;
mod audit;
mod deliveries;
mod migrations;
mod people;
mod sessions;

pub use api_keys::{KeyRecord, StoredKey};
pub use audit::AuditRecord;
pub use people::{NewPerson, Team};
pub use sessions::{Invitation, SessionRecord};

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use deliveries::{DeliveryRecord, DeliveryStatus, DueDelivery, NewDelivery};

/// A database error, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite failed.
    #[error("database error while {doing}: {source}")]
    Sqlite {
        /// What the server was doing.
        doing: &'static str,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// Migrations failed.
    #[error("could not migrate the database: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// A key could not be hashed.
    #[error("could not hash an API key: {0}")]
    Hash(String),
    /// A row that would clash with another (an e-mail address in use).
    #[error("{0}")]
    Conflict(String),
    /// The database file could not be created or protected.
    #[error("{0}")]
    Io(String),
}

type Result<T> = std::result::Result<T, DbError>;

fn ctx(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> DbError {
    move |source| DbError::Sqlite { doing, source }
}

/// One stored transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionRecord {
    /// The transaction id.
    pub id: String,
    /// Full slug of the action.
    pub action_slug: String,
    /// PENDING, RUNNING, AWAITING_INPUT, COMPLETED, HOST_CONNECTION_DROPPED, ...
    pub status: String,
    /// SUCCESS, FAILURE, CANCELED, REDIRECTED once known.
    pub result_status: Option<String>,
    /// The params (superjson `json`).
    pub params: Value,
    /// The result (an `ActionResult` object) once completed.
    pub result: Option<Value>,
    /// The host that ran it.
    pub host_instance_id: Option<String>,
    /// Who ran it.
    pub runner_email: String,
    /// Their account.
    #[serde(default)]
    pub runner_id: Option<String>,
    /// `production` or `development`.
    #[serde(default = "production")]
    pub environment: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Milliseconds since the epoch.
    pub completed_at: Option<i64>,
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Position from 0.
    pub index: i64,
    /// The text.
    pub data: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// An action waiting in someone's queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedRecord {
    /// Its id.
    pub id: String,
    /// Full slug of the action.
    pub action_slug: String,
    /// The assignee's e-mail.
    pub assignee: Option<String>,
    /// Params (superjson `json`).
    pub params: Value,
    /// superjson meta of the params.
    pub params_meta: Option<Value>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// `production` or `development`: the environment of the key that
    /// queued it, where it runs.
    #[serde(default = "production")]
    pub environment: String,
    /// For a development one, whose environment (account id).
    #[serde(default)]
    pub developer_id: Option<String>,
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationRecord {
    /// Its id.
    pub id: String,
    /// The message.
    pub message: String,
    /// Its title.
    pub title: Option<String>,
    /// The transaction it belongs to.
    pub transaction_id: Option<String>,
    /// Delivery instructions as given.
    pub deliveries: Value,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// The database. Calls are short and synchronous; one connection behind a
/// mutex is plenty for one server.
pub struct Store {
    conn: Mutex<Connection>,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn production() -> String {
    "production".into()
}

fn json_text(value: &Value) -> String {
    value.to_string()
}

fn parse_json(text: Option<String>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

impl Store {
    /// Opens (or creates) the database at `path`, or an in-memory one, and
    /// applies the migrations.
    pub fn open(path: Option<&Path>) -> Result<Store> {
        let mut conn = match path {
            Some(path) => {
                crate::private_files::restrict_file(path).map_err(|e| {
                    DbError::Io(format!("could not create {}: {e}", path.display()))
                })?;
                Connection::open(path).map_err(ctx("opening the database"))?
            }
            None => Connection::open_in_memory().map_err(ctx("opening the database"))?,
        };
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(ctx("enabling WAL"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(ctx("setting synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(ctx("enabling foreign keys"))?;
        migrations::migrations().to_latest(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Binds host `instance_id` to the key (`kind`, `key_id`) the first
    /// time it is used; returns whether it is bound to that key.
    pub fn bind_instance(&self, instance_id: &str, kind: &str, key_id: &str) -> Result<bool> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR IGNORE INTO host_instances (instance_id, key_kind, key_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![instance_id, kind, key_id, now_ms()],
        )
        .map_err(ctx("binding a host instance"))?;
        let (bound_kind, bound_id): (String, String) = conn
            .query_row(
                "SELECT key_kind, key_id FROM host_instances WHERE instance_id = ?1",
                [instance_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(ctx("binding a host instance"))?;
        Ok(bound_kind == kind && bound_id == key_id)
    }

    // --- Route definitions ---------------------------------------------

    /// Remembers declared actions and pages (for names in the history).
    pub fn save_definitions(
        &self,
        actions: &[(String, Value)],
        pages: &[(String, Value)],
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(ctx("saving definitions"))?;
        let now = now_ms();
        for (table, rows) in [("actions", actions), ("pages", pages)] {
            let sql = format!(
                "INSERT INTO {table} (slug, definition, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (slug) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at"
            );
            for (slug, definition) in rows {
                tx.execute(&sql, params![slug, json_text(definition), now])
                    .map_err(ctx("saving definitions"))?;
            }
        }
        tx.commit().map_err(ctx("saving definitions"))
    }

    /// The names of every action ever declared (by full slug), from their
    /// stored definitions: history names actions no host serves any more.
    pub fn action_names(&self) -> Result<HashMap<String, String>> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("SELECT slug, definition FROM actions")
            .map_err(ctx("reading actions"))?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(ctx("reading actions"))?;
        let mut names = HashMap::new();
        for row in rows {
            let (slug, definition) = row.map_err(ctx("reading actions"))?;
            let name = serde_json::from_str::<Value>(&definition)
                .ok()
                .and_then(|d| d.get("name").and_then(Value::as_str).map(str::to_owned));
            if let Some(name) = name {
                names.insert(slug, name);
            }
        }
        Ok(names)
    }

    /// Whether an action with this full slug was ever declared.
    pub fn action_exists(&self, slug: &str) -> Result<bool> {
        let found: Option<i64> = self
            .conn()
            .query_row("SELECT 1 FROM actions WHERE slug = ?1", [slug], |row| {
                row.get(0)
            })
            .optional()
            .map_err(ctx("reading actions"))?;
        Ok(found.is_some())
    }

    // --- Transactions ---------------------------------------------------

    /// Records a new transaction.
    pub fn insert_transaction(
        &self,
        record: &TransactionRecord,
        params_meta: Option<&Value>,
    ) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO transactions (id, action_slug, status, params, params_meta, host_instance_id, runner_email, created_at, runner_id, environment)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    record.id,
                    record.action_slug,
                    record.status,
                    json_text(&record.params),
                    params_meta.map(json_text),
                    record.host_instance_id,
                    record.runner_email,
                    record.created_at,
                    record.runner_id,
                    record.environment,
                ],
            )
            .map_err(ctx("recording a transaction"))?;
        Ok(())
    }

    /// Updates a transaction's status (and host) unless it is completed.
    pub fn set_status(&self, id: &str, status: &str, host: Option<&str>) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE transactions SET status = ?2, host_instance_id = COALESCE(?3, host_instance_id)
                 WHERE id = ?1 AND status != 'COMPLETED'",
                params![id, status, host],
            )
            .map_err(ctx("updating a transaction"))?;
        Ok(())
    }

    /// Sets the result status without completing (e.g. REDIRECTED).
    pub fn set_result_status(&self, id: &str, result_status: &str) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE transactions SET result_status = ?2 WHERE id = ?1",
                params![id, result_status],
            )
            .map_err(ctx("updating a transaction"))?;
        Ok(())
    }

    /// Completes a transaction; a result status already set (CANCELED,
    /// REDIRECTED) is kept. Returns false if it was already completed.
    pub fn complete(&self, id: &str, result_status: &str, result: Option<&Value>) -> Result<bool> {
        let changed = self
            .conn()
            .execute(
                "UPDATE transactions SET status = 'COMPLETED',
                    result_status = COALESCE(result_status, ?2), result = ?3, completed_at = ?4
                 WHERE id = ?1 AND status != 'COMPLETED'",
                params![id, result_status, result.map(json_text), now_ms()],
            )
            .map_err(ctx("completing a transaction"))?;
        Ok(changed > 0)
    }

    fn transaction_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TransactionRecord> {
        Ok(TransactionRecord {
            id: row.get(0)?,
            action_slug: row.get(1)?,
            status: row.get(2)?,
            result_status: row.get(3)?,
            params: parse_json(row.get(4)?).unwrap_or(Value::Null),
            result: parse_json(row.get(5)?),
            host_instance_id: row.get(6)?,
            runner_email: row.get(7)?,
            created_at: row.get(8)?,
            completed_at: row.get(9)?,
            runner_id: row.get(10)?,
            environment: row.get(11)?,
        })
    }

    const TRANSACTION_COLUMNS: &'static str = "id, action_slug, status, result_status, params, result, host_instance_id, runner_email, created_at, completed_at, runner_id, environment";

    /// One transaction.
    pub fn transaction(&self, id: &str) -> Result<Option<TransactionRecord>> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {} FROM transactions WHERE id = ?1",
                    Self::TRANSACTION_COLUMNS
                ),
                [id],
                Self::transaction_from_row,
            )
            .optional()
            .map_err(ctx("reading a transaction"))
    }

    /// The most recent transactions, newest first.
    pub fn history(&self, limit: u32) -> Result<Vec<TransactionRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {} FROM transactions ORDER BY created_at DESC, rowid DESC LIMIT ?1",
                Self::TRANSACTION_COLUMNS
            ))
            .map_err(ctx("reading the history"))?;
        let rows = stmt
            .query_map([limit], Self::transaction_from_row)
            .map_err(ctx("reading the history"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(ctx("reading the history"))
    }

    /// Marks every unfinished transaction with `status` (after a restart);
    /// returns them.
    pub fn interrupt_unfinished(&self, status: &str) -> Result<Vec<TransactionRecord>> {
        let unfinished: Vec<TransactionRecord> = {
            let conn = self.conn();
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {} FROM transactions WHERE status IN ('PENDING', 'RUNNING', 'AWAITING_INPUT')",
                    Self::TRANSACTION_COLUMNS
                ))
                .map_err(ctx("reading unfinished transactions"))?;
            let rows = stmt
                .query_map([], Self::transaction_from_row)
                .map_err(ctx("reading unfinished transactions"))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(ctx("reading unfinished transactions"))?
        };
        for record in &unfinished {
            self.set_status(&record.id, status, None)?;
        }
        Ok(unfinished)
    }

    // --- Logs -----------------------------------------------------------

    /// Appends a log line; a retried line (same index) is stored once.
    /// Returns the index used.
    pub fn add_log(
        &self,
        transaction_id: &str,
        index: Option<i64>,
        data: &str,
        at: i64,
    ) -> Result<(i64, bool)> {
        let conn = self.conn();
        let index = match index {
            Some(index) => index,
            None => conn
                .query_row(
                    "SELECT COUNT(*) FROM logs WHERE transaction_id = ?1",
                    [transaction_id],
                    |row| row.get(0),
                )
                .map_err(ctx("counting logs"))?,
        };
        let inserted = conn
            .execute(
                "INSERT OR IGNORE INTO logs (transaction_id, idx, data, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![transaction_id, index, data, at],
            )
            .map_err(ctx("storing a log line"))?;
        Ok((index, inserted > 0))
    }

    /// The logs of a transaction, in order.
    pub fn logs(&self, transaction_id: &str) -> Result<Vec<LogRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT idx, data, created_at FROM logs WHERE transaction_id = ?1 ORDER BY idx, created_at")
            .map_err(ctx("reading logs"))?;
        let rows = stmt
            .query_map([transaction_id], |row| {
                Ok(LogRecord {
                    index: row.get(0)?,
                    data: row.get(1)?,
                    created_at: row.get(2)?,
                })
            })
            .map_err(ctx("reading logs"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(ctx("reading logs"))
    }

    // --- Queued actions -------------------------------------------------

    /// Queues an action.
    pub fn enqueue(&self, record: &QueuedRecord) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO queued_actions (id, action_slug, assignee, params, params_meta, created_at, environment, developer_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    record.id,
                    record.action_slug,
                    record.assignee,
                    json_text(&record.params),
                    record.params_meta.as_ref().map(json_text),
                    record.created_at,
                    record.environment,
                    record.developer_id
                ],
            )
            .map_err(ctx("queuing an action"))?;
        Ok(())
    }

    /// A queued action, left in the queue.
    pub fn queued(&self, id: &str) -> Result<Option<QueuedRecord>> {
        self.conn()
            .query_row(
                "SELECT id, action_slug, assignee, params, params_meta, created_at, environment, developer_id FROM queued_actions WHERE id = ?1",
                [id],
                Self::queued_from_row,
            )
            .optional()
            .map_err(ctx("reading a queued action"))
    }

    /// Removes a queued action and returns it.
    pub fn dequeue(&self, id: &str) -> Result<Option<QueuedRecord>> {
        let conn = self.conn();
        let record = conn
            .query_row(
                "SELECT id, action_slug, assignee, params, params_meta, created_at, environment, developer_id FROM queued_actions WHERE id = ?1",
                [id],
                Self::queued_from_row,
            )
            .optional()
            .map_err(ctx("reading a queued action"))?;
        if record.is_some() {
            conn.execute("DELETE FROM queued_actions WHERE id = ?1", [id])
                .map_err(ctx("removing a queued action"))?;
        }
        Ok(record)
    }

    fn queued_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<QueuedRecord> {
        Ok(QueuedRecord {
            id: row.get(0)?,
            action_slug: row.get(1)?,
            assignee: row.get(2)?,
            params: parse_json(row.get(3)?).unwrap_or(Value::Null),
            params_meta: parse_json(row.get(4)?),
            created_at: row.get(5)?,
            environment: row.get(6)?,
            developer_id: row.get(7)?,
        })
    }

    /// Every queued action, oldest first.
    pub fn queue(&self) -> Result<Vec<QueuedRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, action_slug, assignee, params, params_meta, created_at, environment, developer_id FROM queued_actions ORDER BY created_at, rowid")
            .map_err(ctx("reading the queue"))?;
        let rows = stmt
            .query_map([], Self::queued_from_row)
            .map_err(ctx("reading the queue"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(ctx("reading the queue"))
    }

    // --- Notifications --------------------------------------------------

    /// The most recent notifications, newest first.
    pub fn notifications(&self, limit: u32) -> Result<Vec<NotificationRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, message, title, transaction_id, deliveries, created_at FROM notifications ORDER BY created_at DESC, rowid DESC LIMIT ?1")
            .map_err(ctx("reading notifications"))?;
        let rows = stmt
            .query_map([limit], |row| {
                Ok(NotificationRecord {
                    id: row.get(0)?,
                    message: row.get(1)?,
                    title: row.get(2)?,
                    transaction_id: row.get(3)?,
                    deliveries: parse_json(row.get(4)?).unwrap_or(Value::Null),
                    created_at: row.get(5)?,
                })
            })
            .map_err(ctx("reading notifications"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(ctx("reading notifications"))
    }
}
