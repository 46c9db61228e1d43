//! API keys: who owns them, when they were last used, revocation.
//!
//! Only hashes are stored. A live key (`live_<id>_<secret>`) is kept as a
//! salted argon2 hash found by its id; a development key (`dev_<48>`,
//! about 285 random bits) as its BLAKE2b hash ([`keys::token_hash`]), which
//! is enough for a secret that cannot be guessed, and is found by that hash.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sqlx::{Connection, Row};

use super::{ctx, decode_all, now_ms, DbError, Result, Store};
use crate::keys;

/// What the store knows of a presented API key ([`Store::look_up_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredKey {
    /// A development key.
    Development {
        /// The key's row id.
        id: String,
        /// The account it belongs to (its actions are that person's).
        owner_id: Option<String>,
    },
    /// A live key's id was found: the presented secret must match `hash`.
    Live {
        /// The key's lookup id.
        id: String,
        /// The argon2 hash of the whole key.
        hash: String,
    },
    /// No such key, or a revoked one.
    Unknown,
}

/// A key as the keys page lists it (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Its id.
    pub id: String,
    /// Development or live.
    pub live: bool,
    /// The name it was given.
    pub name: Option<String>,
    /// Owner of a development key (e-mail).
    pub owner: Option<String>,
    /// Owner's account id.
    pub owner_id: Option<String>,
    /// Who created it (e-mail).
    pub created_by: Option<String>,
    /// When (ms).
    pub created_at: i64,
    /// Last used by a host or the HTTP API (ms).
    pub last_used_at: Option<i64>,
    /// When it was revoked (ms).
    pub revoked_at: Option<i64>,
}

impl Store {
    /// Stores development key `key` for account `owner_id` (no-op if it is
    /// stored already); returns its id.
    pub async fn add_dev_key(
        &self,
        key: &str,
        owner_id: Option<&str>,
        name: &str,
    ) -> Result<String> {
        let hash = keys::token_hash(key);
        sqlx::query(
            "INSERT INTO api_keys (id, kind, dev_key_hash, name, owner_id, created_by, created_at)
             VALUES ($1, 'development', $2, $3, $4, $4, $5)
             ON CONFLICT DO NOTHING",
        )
        .bind(interval_protocol::new_id().to_string())
        .bind(&hash)
        .bind(name)
        .bind(owner_id)
        .bind(now_ms())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("storing an API key"))?;
        sqlx::query("SELECT id FROM api_keys WHERE dev_key_hash = $1")
            .bind(&hash)
            .fetch_one(&mut *self.conn().await?)
            .await
            .and_then(|row| row.try_get(0))
            .map_err(ctx("storing an API key"))
    }

    /// Creates a development key for account `owner_id`; returns it (only
    /// its hash is stored).
    pub async fn create_dev_key(&self, owner_id: &str, name: &str) -> Result<String> {
        let key = keys::new_dev_key();
        self.add_dev_key(&key, Some(owner_id), name).await?;
        Ok(key)
    }

    /// Creates a live key; returns it (only its hash is stored). The
    /// argon2 hashing runs on a blocking thread.
    pub async fn create_live_key(&self, name: &str, created_by: Option<&str>) -> Result<String> {
        let (key, id) = keys::new_live_key();
        let to_hash = key.clone();
        let hash = tokio::task::spawn_blocking(move || keys::hash(&to_hash))
            .await
            .map_err(|e| DbError::Hash(e.to_string()))?
            .map_err(|e| DbError::Hash(e.to_string()))?;
        sqlx::query(
            "INSERT INTO api_keys (id, kind, key_hash, name, created_by, created_at) VALUES ($1, 'live', $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(hash)
        .bind(name)
        .bind(created_by)
        .bind(now_ms())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("storing an API key"))?;
        Ok(key)
    }

    /// What the store knows of the key `presented`. A live key's secret is
    /// not checked here (see `AppState::check_api_key`): that is slow work.
    /// Revoked keys are unknown.
    pub async fn look_up_key(&self, presented: &str) -> Result<StoredKey> {
        if let Some(id) = keys::live_key_id(presented) {
            let row = sqlx::query(
                "SELECT key_hash FROM api_keys WHERE kind = 'live' AND id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(ctx("checking an API key"))?;
            return Ok(match row {
                Some(row) => StoredKey::Live {
                    id: id.to_owned(),
                    hash: row.try_get(0).map_err(ctx("checking an API key"))?,
                },
                None => StoredKey::Unknown,
            });
        }
        let row = sqlx::query(
            "SELECT id, owner_id FROM api_keys WHERE kind = 'development' AND dev_key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(keys::token_hash(presented))
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("checking an API key"))?;
        Ok(match row {
            Some(row) => StoredKey::Development {
                id: row.try_get(0).map_err(ctx("checking an API key"))?,
                owner_id: row.try_get(1).map_err(ctx("checking an API key"))?,
            },
            None => StoredKey::Unknown,
        })
    }

    /// Records a use of key `id`, to the minute: a key used all the time
    /// (every HTTP API call) is written at most once a minute.
    pub async fn key_used(&self, id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE api_keys SET last_used_at = $2
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $2 - 60000)",
        )
        .bind(id)
        .bind(now_ms())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("recording a key's use"))?;
        Ok(())
    }

    /// Whether an unrevoked live key exists.
    pub async fn has_live_key(&self) -> Result<bool> {
        let found = sqlx::query(
            "SELECT id FROM api_keys WHERE kind = 'live' AND revoked_at IS NULL LIMIT 1",
        )
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading API keys"))?;
        Ok(found.is_some())
    }

    /// Revokes key `id`; returns whether it was active.
    pub async fn revoke_key(&self, id: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .bind(now_ms())
                .execute(&mut *self.conn().await?)
                .await
                .map_err(ctx("revoking a key"))?;
        Ok(done.rows_affected() > 0)
    }

    /// Key `id`, if it exists.
    pub async fn key(&self, id: &str) -> Result<Option<KeyRecord>> {
        Ok(self.keys().await?.into_iter().find(|k| k.id == id))
    }

    /// Every key, newest first.
    pub async fn keys(&self) -> Result<Vec<KeyRecord>> {
        let rows = sqlx::query(
            "SELECT k.id, k.kind, k.name, o.email, k.owner_id, c.email, k.created_at, k.last_used_at, k.revoked_at
             FROM api_keys k
             LEFT JOIN users o ON o.id = k.owner_id
             LEFT JOIN users c ON c.id = k.created_by
             ORDER BY k.created_at DESC, k.rowid DESC",
        )
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading API keys"))?;
        decode_all(
            rows,
            |row| {
                Ok(KeyRecord {
                    id: row.try_get(0)?,
                    live: row.try_get::<String, _>(1)? == "live",
                    name: row.try_get(2)?,
                    owner: row.try_get(3)?,
                    owner_id: row.try_get(4)?,
                    created_by: row.try_get(5)?,
                    created_at: row.try_get(6)?,
                    last_used_at: row.try_get(7)?,
                    revoked_at: row.try_get(8)?,
                })
            },
            "reading API keys",
        )
    }

    /// Replaces the plain development keys of databases from before keys
    /// were hashed by their hashes, and gives keys without an owner to
    /// `owner_id` (the first admin). Returns how many keys were hashed.
    pub fn hash_plain_dev_keys<'a>(&'a self, owner_id: &'a str) -> BoxFuture<'a, Result<usize>> {
        Box::pin(async move {
            let mut conn = self.conn().await?;
            let mut tx = conn.begin().await.map_err(ctx("hashing old keys"))?;
            let rows =
                sqlx::query("SELECT id, plain_key FROM api_keys WHERE plain_key IS NOT NULL")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(ctx("hashing old keys"))?;
            let plain: Vec<(String, String)> = decode_all(
                rows,
                |row| Ok((row.try_get(0)?, row.try_get(1)?)),
                "hashing old keys",
            )?;
            for (id, key) in &plain {
                sqlx::query(
                    "UPDATE api_keys SET dev_key_hash = $2, plain_key = NULL WHERE id = $1",
                )
                .bind(id)
                .bind(keys::token_hash(key))
                .execute(&mut *tx)
                .await
                .map_err(ctx("hashing old keys"))?;
            }
            sqlx::query(
                "UPDATE api_keys SET owner_id = $1 WHERE kind = 'development' AND owner_id IS NULL",
            )
            .bind(owner_id)
            .execute(&mut *tx)
            .await
            .map_err(ctx("hashing old keys"))?;
            tx.commit().await.map_err(ctx("hashing old keys"))?;
            Ok(plain.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_stores;

    #[tokio::test]
    async fn keys_are_stored_as_hashes_and_revocation_hides_them() {
        for store in test_stores().await {
            let dev = store.create_dev_key("owner-1", "laptop").await.unwrap();
            let live = store.create_live_key("production", None).await.unwrap();
            let rows = sqlx::query("SELECT plain_key, key_hash, dev_key_hash FROM api_keys")
                .fetch_all(&mut *store.conn().await.unwrap())
                .await
                .unwrap();
            let mut dump = String::new();
            for row in rows {
                for i in 0..3 {
                    dump += &row
                        .try_get::<Option<String>, _>(i)
                        .unwrap()
                        .unwrap_or_default();
                    dump.push(' ');
                }
            }
            assert!(!dump.contains(&dev) && !dump.contains(&live));
            let StoredKey::Development { id, owner_id } = store.look_up_key(&dev).await.unwrap()
            else {
                panic!("the dev key is not found");
            };
            assert_eq!(owner_id.as_deref(), Some("owner-1"));
            assert!(matches!(
                store.look_up_key(&live).await.unwrap(),
                StoredKey::Live { .. }
            ));
            assert_eq!(
                store.look_up_key("dev_nope").await.unwrap(),
                StoredKey::Unknown
            );
            assert!(store.revoke_key(&id).await.unwrap());
            assert!(!store.revoke_key(&id).await.unwrap());
            assert_eq!(store.look_up_key(&dev).await.unwrap(), StoredKey::Unknown);
            let listed = store.keys().await.unwrap();
            assert_eq!(listed.len(), 2);
            assert!(listed.iter().any(|k| k.revoked_at.is_some()));
            assert!(store.has_live_key().await.unwrap());
        }
    }

    #[tokio::test]
    async fn old_plain_keys_are_hashed_and_given_an_owner() {
        for store in test_stores().await {
            sqlx::query(
                "INSERT INTO api_keys (id, kind, plain_key, created_at) VALUES ('k', 'development', 'dev_old', 1)",
            )
            .execute(&mut *store.conn().await.unwrap())
            .await
            .unwrap();
            assert_eq!(store.hash_plain_dev_keys("owner").await.unwrap(), 1);
            assert_eq!(
                store.look_up_key("dev_old").await.unwrap(),
                StoredKey::Development {
                    id: "k".into(),
                    owner_id: Some("owner".into())
                }
            );
            assert_eq!(store.hash_plain_dev_keys("owner").await.unwrap(), 0);
        }
    }
}
