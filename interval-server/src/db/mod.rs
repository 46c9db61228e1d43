//! State kept in SQLite or PostgreSQL: API keys, declared routes, transactions with their
//! logs and results, queued actions and notifications.

mod api_keys;
mod audit;
mod connect;
mod deliveries;
mod hosts;
mod migrations;
mod nodes;
mod people;
mod sessions;
mod transactions;

pub use api_keys::{KeyRecord, StoredKey};
pub use audit::AuditRecord;
pub use connect::{Engine, StoreOptions};
pub use hosts::HostRecord;
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
    /// A stored value that cannot be read back (or written) as JSON.
    #[error("{what} could not be read: {detail}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// The decoder's message.
        detail: String,
    },
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

/// One step of a finished append-UI run, as its page showed it: what the
/// host rendered last for the input group, and what was answered to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The group's last render (an `IoRender` object).
    pub render: Value,
    /// The values answered, one per component; none for a display step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers: Option<Vec<Value>>,
    /// The value of the button it was answered with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
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
    /// Detached from the pool: a pooled connection's drop needs a Tokio
    /// runtime, and a store may be dropped after its runtime.
    held: Option<std::sync::Arc<tokio::sync::Mutex<AnyConnection>>>,
    /// PostgreSQL's address and schema, for the connection that listens
    /// to the other nodes (see `cluster::bus`).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    postgres: Option<std::sync::Arc<PostgresTarget>>,
}

/// Where a PostgreSQL store is: its address, and the schema it uses.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
#[derive(Debug)]
pub(crate) struct PostgresTarget {
    /// The `postgres://` address.
    pub url: String,
    /// The schema, when not the default.
    pub schema: Option<String>,
}

/// A connection for one query or transaction: SQLite's held one, or one
/// from the PostgreSQL pool.
pub(crate) enum Conn<'a> {
    Held(tokio::sync::MutexGuard<'a, AnyConnection>),
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
