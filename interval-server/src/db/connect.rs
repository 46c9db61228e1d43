//! Opening the store: which engine an address names, the connection pool,
//! and the migrations, applied once however many nodes start together.

use futures_util::future::BoxFuture;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Connection, Executor, Row};

use super::migrations::MIGRATIONS;
use super::{ctx, DbError, Result, Store};

/// The database engine behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite: one file (or memory), one server process.
    Sqlite,
    /// PostgreSQL: shared by any number of server nodes.
    Postgres,
}

impl Engine {
    /// The engine an address names: `postgres://` or `postgresql://`, or
    /// `sqlite:`.
    pub fn of_url(url: &str) -> Option<Engine> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else {
            None
        }
    }

    /// Its name, for logs and `/ready`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// How a [`Store`] connects, beyond its address.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections in the pool (PostgreSQL). SQLite always has one: its
    /// writes are serialized anyway, and one connection never meets
    /// `SQLITE_BUSY`.
    pub max_connections: u32,
    /// A PostgreSQL schema to keep the tables in (created if missing),
    /// instead of the role's default search path: several servers, or
    /// tests, in one database. Letters, digits and `_` only.
    pub schema: Option<String>,
    /// How long to wait for a free connection.
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 8,
            schema: None,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// A pooled PostgreSQL connection idle this long is pinged before use.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Only the first migration run of several nodes applies anything: the
/// others wait on this PostgreSQL advisory lock, then find nothing to do.
const MIGRATION_LOCK: i64 = 0x1e7e_57a1;

impl Store {
    /// Opens (or creates) the SQLite database at `path`, or an in-memory
    /// one, and applies the migrations.
    pub async fn open(path: Option<&Path>) -> Result<Store> {
        let url = match path {
            Some(path) => {
                crate::private_files::restrict_file(path).map_err(|e| {
                    DbError::Io(format!("could not create {}: {e}", path.display()))
                })?;
                sqlite_url(path)?
            }
            None => "sqlite::memory:".to_owned(),
        };
        Store::connect(&url, &StoreOptions::default()).await
    }

    /// Connects to the database at `url` (`postgres://…` or `sqlite:…`)
    /// and applies the migrations.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let engine = Engine::of_url(url).ok_or_else(|| {
            DbError::Io(format!(
                "{} is not a database address: give a SQLite file's path, or postgres://user:password@host/database",
                redact(url)
            ))
        })?;
        if engine == Engine::Postgres && !cfg!(feature = "postgres") {
            return Err(DbError::Io(
                "this build of interval-server has no PostgreSQL support (the `postgres` feature)"
                    .into(),
            ));
        }
        let schema = match &options.schema {
            Some(schema) if engine == Engine::Postgres => Some(checked_schema(schema)?),
            _ => None,
        };
        let connect_options =
            AnyConnectOptions::from_str(url).map_err(ctx("reading the address"))?;
        let pool = match engine {
            // Its one connection is detached and held by the store (an
            // in-memory database lives as long as its connection); the pool
            // opens no other.
            Engine::Sqlite => AnyPoolOptions::new()
                .max_connections(1)
                .min_connections(0)
                .idle_timeout(None)
                .max_lifetime(None)
                // A connection to a file in this process does not go stale.
                .test_before_acquire(false),
            // sqlx pings a connection at every acquire by default: a round
            // trip to the database before each query. Only one idle for a
            // while is pinged (one broken by a database restart meanwhile
            // is replaced); a busy one is used as it is.
            Engine::Postgres => AnyPoolOptions::new()
                .max_connections(options.max_connections)
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for < IDLE_BEFORE_PING {
                            return Ok(true);
                        }
                        Ok(conn.ping().await.is_ok())
                    })
                }),
        }
        .acquire_timeout(options.acquire_timeout)
        .after_connect(move |conn, _| {
            let schema = schema.clone();
            Box::pin(async move {
                match engine {
                    Engine::Sqlite => {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Engine::Postgres => {
                        if let Some(schema) = schema {
                            conn.execute(
                                // `IF NOT EXISTS` is not safe against a
                                // concurrent create: nodes take turns.
                                format!(
                                    "BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK});
                                     CREATE SCHEMA IF NOT EXISTS \"{schema}\"; COMMIT;
                                     SET search_path TO \"{schema}\";"
                                )
                                .as_str(),
                            )
                            .await?;
                        }
                    }
                }
                Ok(())
            })
        })
        .connect_with(connect_options)
        .await
        .map_err(ctx("connecting to the database"))?;
        // SQLite's one connection is taken from the pool once, for good.
        let held = match engine {
            Engine::Sqlite => Some(std::sync::Arc::new(tokio::sync::Mutex::new(
                pool.acquire()
                    .await
                    .map_err(ctx("connecting to the database"))?
                    .detach(),
            ))),
            Engine::Postgres => None,
        };
        let postgres = (engine == Engine::Postgres).then(|| {
            std::sync::Arc::new(super::PostgresTarget {
                url: url.to_owned(),
                schema: options.schema.clone(),
            })
        });
        let store = Store {
            pool,
            engine,
            held,
            postgres,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// The engine behind this store.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Where the PostgreSQL database is (`None` for SQLite).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn postgres(&self) -> Option<&super::PostgresTarget> {
        self.postgres.as_deref()
    }

    /// Applies the migrations this database lacks, each in a transaction
    /// with its new version. On PostgreSQL each transaction first takes an
    /// advisory lock, so that nodes starting together apply each migration
    /// once.
    fn migrate(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            loop {
                let mut conn = self.conn().await?;
                let mut tx = conn.begin().await.map_err(ctx("starting a migration"))?;
                let version: i64 = match self.engine {
                    Engine::Sqlite => sqlx::query("PRAGMA user_version")
                        .fetch_one(&mut *tx)
                        .await
                        .and_then(|row| row.try_get(0)),
                    Engine::Postgres => {
                        sqlx::query("SELECT pg_advisory_xact_lock($1)")
                            .bind(MIGRATION_LOCK)
                            .execute(&mut *tx)
                            .await
                            .map_err(ctx("waiting for another node's migrations"))?;
                        (&mut *tx).execute(sqlx::raw_sql(
                            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);
                             INSERT INTO schema_version (version)
                                SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version);",
                        ))
                        .await
                        .map_err(ctx("reading the schema version"))?;
                        sqlx::query("SELECT version FROM schema_version")
                            .fetch_one(&mut *tx)
                            .await
                            .and_then(|row| row.try_get(0))
                    }
                }
                .map_err(ctx("reading the schema version"))?;
                let version = usize::try_from(version).unwrap_or(0);
                let Some(migration) = MIGRATIONS.get(version) else {
                    tx.commit()
                        .await
                        .map_err(ctx("reading the schema version"))?;
                    if version > MIGRATIONS.len() {
                        return Err(DbError::Migration(format!(
                            "the database is at version {version}, newer than this server \
                             knows ({}); upgrade interval-server",
                            MIGRATIONS.len()
                        )));
                    }
                    return Ok(());
                };
                let next = version + 1;
                let sql = match self.engine {
                    Engine::Sqlite => migration.sqlite,
                    Engine::Postgres => migration.postgres,
                };
                (&mut *tx)
                    .execute(sqlx::raw_sql(sql))
                    .await
                    .map_err(|e| DbError::Migration(format!("migration {next}: {e}")))?;
                match self.engine {
                    Engine::Sqlite => {
                        (&mut *tx)
                            .execute(sqlx::raw_sql(&format!("PRAGMA user_version = {next}")))
                            .await
                    }
                    Engine::Postgres => {
                        sqlx::query("UPDATE schema_version SET version = $1")
                            .bind(next as i64)
                            .execute(&mut *tx)
                            .await
                    }
                }
                .map_err(ctx("recording a migration"))?;
                tx.commit().await.map_err(ctx("committing a migration"))?;
            }
        })
    }
}

/// The `sqlite:` address of a file, with the characters a URL would take
/// for its own escaped, created when missing.
fn sqlite_url(path: &Path) -> Result<String> {
    let path = path
        .to_str()
        .ok_or_else(|| DbError::Io(format!("{} is not a UTF-8 path", path.display())))?;
    let mut escaped = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' | '?' | '#' => escaped.push_str(&format!("%{:02X}", c as u32)),
            c => escaped.push(c),
        }
    }
    Ok(format!("sqlite://{escaped}?mode=rwc"))
}

/// A schema name safe to put in SQL unquoted by us (it is quoted too).
fn checked_schema(schema: &str) -> Result<String> {
    let valid = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(schema.to_owned())
    } else {
        Err(DbError::Io(format!(
            "{schema:?} is not a schema name this server uses: letters, digits and _ only"
        )))
    }
}

/// `url` without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_name_their_engine() {
        assert_eq!(Engine::of_url("postgres://u@h/db"), Some(Engine::Postgres));
        assert_eq!(
            Engine::of_url("postgresql://u@h/db"),
            Some(Engine::Postgres)
        );
        assert_eq!(Engine::of_url("sqlite::memory:"), Some(Engine::Sqlite));
        assert_eq!(Engine::of_url("/var/lib/interval.db"), None);
    }

    #[test]
    fn file_paths_are_escaped_in_their_address() {
        assert_eq!(
            sqlite_url(Path::new("/tmp/a?b#c%d.db")).unwrap(),
            "sqlite:///tmp/a%3Fb%23c%25d.db?mode=rwc"
        );
    }

    #[test]
    fn schema_names_cannot_carry_sql() {
        assert!(checked_schema("test_1").is_ok());
        assert!(checked_schema("x\"; DROP TABLE users; --").is_err());
        assert!(checked_schema("").is_err());
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://interval:secret@127.0.0.1:5432/db"),
            "postgres://interval:***@127.0.0.1:5432/db"
        );
    }

    #[tokio::test]
    async fn a_database_newer_than_the_server_is_refused() {
        let store = Store::open(None).await.unwrap();
        sqlx::raw_sql("PRAGMA user_version = 999")
            .execute(&mut *store.conn().await.unwrap())
            .await
            .unwrap();
        let error = store.migrate().await.unwrap_err();
        assert!(error.to_string().contains("newer than this server knows"));
    }
}
