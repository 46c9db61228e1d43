//! State kept in SQLite or PostgreSQL: API keys, declared routes, transactions with their
//! logs and results, queued actions and notifications.

mod api_keys;
mod audit;
mod connect;
mod deliveries;
mod migrations;
mod nodes;
mod people;
mod sessions;

pub use api_keys::{KeyRecord, StoredKey};
pub use audit::AuditRecord;
pub use connect::{Engine, StoreOptions};
pub use people::{NewPerson, Team};
pub use sessions::{Invitation, SessionRecord};

use futures_util::future::BoxFuture;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Row};

pub use deliveries::{DeliveryRecord, DeliveryStatus, DueDelivery, NewDelivery};

/// A database error, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database failed.
    #[error("database error while {doing}: {source}")]
    Sql {
        /// What the server was doing.
        doing: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// Migrations failed.
    #[error("could not migrate the database: {0}")]
    Migration(String),
    /// A key could not be hashed.
    #[error("could not hash an API key: {0}")]
    Hash(String),
    /// A row that would clash with another (an e-mail address in use).
    #[error("{0}")]
    Conflict(String),
    /// The database file could not be created or protected, or the
    /// database's address is not one this build can open.
    #[error("{0}")]
    Io(String),
}

type Result<T> = std::result::Result<T, DbError>;

fn ctx(doing: &'static str) -> impl FnOnce(sqlx::Error) -> DbError {
    move |source| DbError::Sql { doing, source }
}

/// Whether `error` is a unique constraint refusing a row (an e-mail address
/// or a key already in use).
fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
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
    /// The server node whose host runs it (see [`Store::heartbeat`]).
    #[serde(default)]
    pub node_id: Option<String>,
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

/// The database: SQLite or PostgreSQL behind one interface. Every method
/// is async and runs its SQL on the driver's side (SQLite on its own
/// thread), never blocking the async workers. Cloning shares the pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    /// SQLite's one connection, held for good: taking a connection from
    /// sqlx's pool and giving it back costs more than a query (about
    /// 110 µs against 23 µs for an update, measured on 2 CPUs).
    held: Option<std::sync::Arc<tokio::sync::Mutex<PoolConnection<Any>>>>,
}

/// A connection for one query or transaction: SQLite's held one, or one
/// from the PostgreSQL pool.
pub(crate) enum Conn<'a> {
    Held(tokio::sync::MutexGuard<'a, PoolConnection<Any>>),
    Pooled(PoolConnection<Any>),
}

impl std::ops::Deref for Conn<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            Conn::Held(conn) => conn,
            Conn::Pooled(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Conn::Held(conn) => conn,
            Conn::Pooled(conn) => conn,
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("engine", &self.engine)
            .finish()
    }
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

/// Decodes every row with `decode`.
fn decode_all<T>(
    rows: Vec<AnyRow>,
    decode: impl Fn(&AnyRow) -> sqlx::Result<T>,
    doing: &'static str,
) -> Result<Vec<T>> {
    rows.iter()
        .map(decode)
        .collect::<sqlx::Result<_>>()
        .map_err(ctx(doing))
}

const TRANSACTION_COLUMNS: &str = "id, action_slug, status, result_status, params, result, host_instance_id, runner_email, created_at, completed_at, runner_id, environment, node_id";

fn transaction_from_row(row: &AnyRow) -> sqlx::Result<TransactionRecord> {
    Ok(TransactionRecord {
        id: row.try_get(0)?,
        action_slug: row.try_get(1)?,
        status: row.try_get(2)?,
        result_status: row.try_get(3)?,
        params: parse_json(row.try_get(4)?).unwrap_or(Value::Null),
        result: parse_json(row.try_get(5)?),
        host_instance_id: row.try_get(6)?,
        runner_email: row.try_get(7)?,
        created_at: row.try_get(8)?,
        completed_at: row.try_get(9)?,
        runner_id: row.try_get(10)?,
        environment: row.try_get(11)?,
        node_id: row.try_get(12)?,
    })
}

const QUEUED_COLUMNS: &str =
    "id, action_slug, assignee, params, params_meta, created_at, environment, developer_id";

fn queued_from_row(row: &AnyRow) -> sqlx::Result<QueuedRecord> {
    Ok(QueuedRecord {
        id: row.try_get(0)?,
        action_slug: row.try_get(1)?,
        assignee: row.try_get(2)?,
        params: parse_json(row.try_get(3)?).unwrap_or(Value::Null),
        params_meta: parse_json(row.try_get(4)?),
        created_at: row.try_get(5)?,
        environment: row.try_get(6)?,
        developer_id: row.try_get(7)?,
    })
}

impl Store {
    /// A connection for one query or transaction.
    pub(crate) async fn conn(&self) -> Result<Conn<'_>> {
        match &self.held {
            Some(held) => Ok(Conn::Held(held.lock().await)),
            None => self
                .pool
                .acquire()
                .await
                .map(Conn::Pooled)
                .map_err(ctx("reaching the database")),
        }
    }

    /// Binds host `instance_id` to the key (`kind`, `key_id`) the first
    /// time it is used; returns whether it is bound to that key.
    pub async fn bind_instance(&self, instance_id: &str, kind: &str, key_id: &str) -> Result<bool> {
        sqlx::query(
            "INSERT INTO host_instances (instance_id, key_kind, key_id, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(instance_id)
        .bind(kind)
        .bind(key_id)
        .bind(now_ms())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("binding a host instance"))?;
        let row = sqlx::query("SELECT key_kind, key_id FROM host_instances WHERE instance_id = $1")
            .bind(instance_id)
            .fetch_one(&mut *self.conn().await?)
            .await
            .map_err(ctx("binding a host instance"))?;
        let bound_kind: String = row.try_get(0).map_err(ctx("binding a host instance"))?;
        let bound_id: String = row.try_get(1).map_err(ctx("binding a host instance"))?;
        Ok(bound_kind == kind && bound_id == key_id)
    }

    // --- Route definitions ---------------------------------------------

    /// Remembers declared actions and pages (for names in the history).
    pub fn save_definitions<'a>(
        &'a self,
        actions: &'a [(String, Value)],
        pages: &'a [(String, Value)],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut conn = self.conn().await?;
            let mut tx = conn.begin().await.map_err(ctx("saving definitions"))?;
            let now = now_ms();
            for (table, rows) in [("actions", actions), ("pages", pages)] {
                let sql = format!(
                    "INSERT INTO {table} (slug, definition, updated_at) VALUES ($1, $2, $3)
                     ON CONFLICT (slug) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at"
                );
                for (slug, definition) in rows {
                    sqlx::query(&sql)
                        .bind(slug)
                        .bind(json_text(definition))
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(ctx("saving definitions"))?;
                }
            }
            tx.commit().await.map_err(ctx("saving definitions"))
        })
    }

    /// The names of every action ever declared (by full slug), from their
    /// stored definitions: history names actions no host serves any more.
    pub async fn action_names(&self) -> Result<HashMap<String, String>> {
        let rows = sqlx::query("SELECT slug, definition FROM actions")
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(ctx("reading actions"))?;
        let mut names = HashMap::new();
        for row in rows {
            let slug: String = row.try_get(0).map_err(ctx("reading actions"))?;
            let definition: String = row.try_get(1).map_err(ctx("reading actions"))?;
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
    pub async fn action_exists(&self, slug: &str) -> Result<bool> {
        let found = sqlx::query("SELECT slug FROM actions WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(ctx("reading actions"))?;
        Ok(found.is_some())
    }

    // --- Transactions ---------------------------------------------------

    /// Records a new transaction.
    pub async fn insert_transaction(
        &self,
        record: &TransactionRecord,
        params_meta: Option<&Value>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO transactions (id, action_slug, status, params, params_meta, host_instance_id, runner_email, created_at, runner_id, environment, node_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&record.id)
        .bind(&record.action_slug)
        .bind(&record.status)
        .bind(json_text(&record.params))
        .bind(params_meta.map(json_text))
        .bind(&record.host_instance_id)
        .bind(&record.runner_email)
        .bind(record.created_at)
        .bind(&record.runner_id)
        .bind(&record.environment)
        .bind(&record.node_id)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("recording a transaction"))?;
        Ok(())
    }

    /// Updates a transaction's status (and host) unless it is completed.
    pub async fn set_status(&self, id: &str, status: &str, host: Option<&str>) -> Result<()> {
        sqlx::query(
            "UPDATE transactions SET status = $2, host_instance_id = COALESCE($3, host_instance_id)
             WHERE id = $1 AND status != 'COMPLETED'",
        )
        .bind(id)
        .bind(status)
        .bind(host)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("updating a transaction"))?;
        Ok(())
    }

    /// Marks a transaction its host took as running, unless it is past
    /// that already (its host's first question may be recorded first).
    pub async fn mark_started(&self, id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE transactions SET status = 'RUNNING' WHERE id = $1 AND status = 'PENDING'",
        )
        .bind(id)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("updating a transaction"))?;
        Ok(())
    }

    /// Sets the result status without completing (e.g. REDIRECTED).
    pub async fn set_result_status(&self, id: &str, result_status: &str) -> Result<()> {
        sqlx::query("UPDATE transactions SET result_status = $2 WHERE id = $1")
            .bind(id)
            .bind(result_status)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("updating a transaction"))?;
        Ok(())
    }

    /// Completes a transaction; a result status already set (CANCELED,
    /// REDIRECTED) is kept. Returns the result status stored, or `None` if
    /// it was already completed.
    pub async fn complete(
        &self,
        id: &str,
        result_status: &str,
        result: Option<&Value>,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "UPDATE transactions SET status = 'COMPLETED',
                result_status = COALESCE(result_status, $2), result = $3, completed_at = $4
             WHERE id = $1 AND status != 'COMPLETED'
             RETURNING result_status",
        )
        .bind(id)
        .bind(result_status)
        .bind(result.map(json_text))
        .bind(now_ms())
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("completing a transaction"))?;
        row.map(|row| row.try_get(0))
            .transpose()
            .map_err(ctx("completing a transaction"))
    }

    /// One transaction.
    pub async fn transaction(&self, id: &str) -> Result<Option<TransactionRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {TRANSACTION_COLUMNS} FROM transactions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading a transaction"))?;
        row.as_ref()
            .map(transaction_from_row)
            .transpose()
            .map_err(ctx("reading a transaction"))
    }

    /// The most recent transactions, newest first.
    pub async fn history(&self, limit: u32) -> Result<Vec<TransactionRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {TRANSACTION_COLUMNS} FROM transactions ORDER BY created_at DESC, rowid DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading the history"))?;
        decode_all(rows, transaction_from_row, "reading the history")
    }

    /// Marks with `status` every unfinished transaction whose node is
    /// gone: none recorded, or one whose heartbeat is older than
    /// `node_timeout_ms` (at the start of a server, its predecessor's, or
    /// those of a node that died); returns how many.
    pub async fn interrupt_orphans(&self, status: &str, node_timeout_ms: i64) -> Result<usize> {
        let done = sqlx::query(
            "UPDATE transactions SET status = $1
             WHERE status IN ('PENDING', 'RUNNING', 'AWAITING_INPUT')
               AND (node_id IS NULL
                    OR node_id NOT IN (SELECT id FROM nodes WHERE seen_at > $2))",
        )
        .bind(status)
        .bind(now_ms() - node_timeout_ms)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("marking interrupted transactions"))?;
        Ok(done.rows_affected() as usize)
    }

    // --- Logs -----------------------------------------------------------

    /// Appends a log line; a retried line (same index) is stored once.
    /// Returns the index used.
    pub async fn add_log(
        &self,
        transaction_id: &str,
        index: Option<i64>,
        data: &str,
        at: i64,
    ) -> Result<(i64, bool)> {
        let index = match index {
            Some(index) => index,
            None => sqlx::query("SELECT COUNT(*) FROM logs WHERE transaction_id = $1")
                .bind(transaction_id)
                .fetch_one(&mut *self.conn().await?)
                .await
                .and_then(|row| row.try_get(0))
                .map_err(ctx("counting logs"))?,
        };
        let inserted = sqlx::query(
            "INSERT INTO logs (transaction_id, idx, data, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(transaction_id)
        .bind(index)
        .bind(data)
        .bind(at)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("storing a log line"))?;
        Ok((index, inserted.rows_affected() > 0))
    }

    /// The logs of a transaction, in order.
    pub async fn logs(&self, transaction_id: &str) -> Result<Vec<LogRecord>> {
        let rows = sqlx::query(
            "SELECT idx, data, created_at FROM logs WHERE transaction_id = $1 ORDER BY idx, created_at",
        )
        .bind(transaction_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading logs"))?;
        decode_all(
            rows,
            |row| {
                Ok(LogRecord {
                    index: row.try_get(0)?,
                    data: row.try_get(1)?,
                    created_at: row.try_get(2)?,
                })
            },
            "reading logs",
        )
    }

    // --- Queued actions -------------------------------------------------

    /// Queues an action.
    pub async fn enqueue(&self, record: &QueuedRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO queued_actions ({QUEUED_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&record.id)
        .bind(&record.action_slug)
        .bind(&record.assignee)
        .bind(json_text(&record.params))
        .bind(record.params_meta.as_ref().map(json_text))
        .bind(record.created_at)
        .bind(&record.environment)
        .bind(&record.developer_id)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("queuing an action"))?;
        Ok(())
    }

    /// A queued action, left in the queue.
    pub async fn queued(&self, id: &str) -> Result<Option<QueuedRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {QUEUED_COLUMNS} FROM queued_actions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading a queued action"))?;
        row.as_ref()
            .map(queued_from_row)
            .transpose()
            .map_err(ctx("reading a queued action"))
    }

    /// Removes a queued action and returns it; `None` when it was not
    /// there (or another node took it first).
    pub async fn dequeue(&self, id: &str) -> Result<Option<QueuedRecord>> {
        let row = sqlx::query(&format!(
            "DELETE FROM queued_actions WHERE id = $1 RETURNING {QUEUED_COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("removing a queued action"))?;
        row.as_ref()
            .map(queued_from_row)
            .transpose()
            .map_err(ctx("removing a queued action"))
    }

    /// Every queued action, oldest first.
    pub async fn queue(&self) -> Result<Vec<QueuedRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {QUEUED_COLUMNS} FROM queued_actions ORDER BY created_at, rowid"
        ))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading the queue"))?;
        decode_all(rows, queued_from_row, "reading the queue")
    }

    // --- Notifications --------------------------------------------------

    /// The most recent notifications, newest first.
    pub async fn notifications(&self, limit: u32) -> Result<Vec<NotificationRecord>> {
        let rows = sqlx::query(
            "SELECT id, message, title, transaction_id, deliveries, created_at FROM notifications
             ORDER BY created_at DESC, rowid DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading notifications"))?;
        decode_all(rows, notification_from_row, "reading notifications")
    }
}

fn notification_from_row(row: &AnyRow) -> sqlx::Result<NotificationRecord> {
    Ok(NotificationRecord {
        id: row.try_get(0)?,
        message: row.try_get(1)?,
        title: row.try_get(2)?,
        transaction_id: row.try_get(3)?,
        deliveries: parse_json(row.try_get(4)?).unwrap_or(Value::Null),
        created_at: row.try_get(5)?,
    })
}

/// The stores the store tests run against: an in-memory SQLite one, and a
/// PostgreSQL one in a schema of its own when `INTERVAL_TEST_POSTGRES_URL`
/// names a database (`.ci/run` starts one).
#[cfg(test)]
pub(crate) async fn test_stores() -> Vec<Store> {
    let mut stores = vec![Store::open(None).await.expect("an in-memory SQLite store")];
    if let Ok(url) = std::env::var("INTERVAL_TEST_POSTGRES_URL") {
        let options = StoreOptions {
            max_connections: 2,
            schema: Some(format!("test_{}", interval_protocol::new_id().simple())),
            ..StoreOptions::default()
        };
        let store = Store::connect(&url, &options)
            .await
            .expect("INTERVAL_TEST_POSTGRES_URL names a PostgreSQL database the tests can use");
        stores.push(store);
    }
    stores
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_start_recorded_late_does_not_hide_the_first_question() {
        for store in test_stores().await {
            let record = TransactionRecord {
                id: "t".into(),
                action_slug: "a".into(),
                status: "PENDING".into(),
                result_status: None,
                params: Value::Null,
                result: None,
                host_instance_id: None,
                runner_email: "a@example.com".into(),
                runner_id: None,
                environment: "production".into(),
                created_at: 1,
                completed_at: None,
                node_id: None,
            };
            store.insert_transaction(&record, None).await.unwrap();
            store.mark_started("t").await.unwrap();
            assert_eq!(
                store.transaction("t").await.unwrap().unwrap().status,
                "RUNNING"
            );
            // The host's question was recorded before its start was.
            store.set_status("t", "AWAITING_INPUT", None).await.unwrap();
            store.mark_started("t").await.unwrap();
            assert_eq!(
                store.transaction("t").await.unwrap().unwrap().status,
                "AWAITING_INPUT"
            );
        }
    }
}
