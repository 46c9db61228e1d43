//! API keys: who owns them, when they were last used, revocation.
//!
//! Only hashes are stored. A live key (`live_<id>_<secret>`) is kept as a
//! salted argon2 hash found by its id; a development key (`dev_<48>`,
//! about 285 random bits) as its BLAKE2b hash ([`keys::token_hash`]), which
//! is enough for a secret that cannot be guessed, and is found by that hash.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{ctx, now_ms, DbError, Result, Store};
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
    pub fn add_dev_key(&self, key: &str, owner_id: Option<&str>, name: &str) -> Result<String> {
        let hash = keys::token_hash(key);
        let conn = self.conn();
        conn.execute(
            "INSERT OR IGNORE INTO api_keys (id, kind, dev_key_hash, name, owner_id, created_by, created_at)
             VALUES (?1, 'development', ?2, ?3, ?4, ?4, ?5)",
            params![
                interval_protocol::new_id().to_string(),
                hash,
                name,
                owner_id,
                now_ms()
            ],
        )
        .map_err(ctx("storing an API key"))?;
        conn.query_row(
            "SELECT id FROM api_keys WHERE dev_key_hash = ?1",
            [hash],
            |row| row.get(0),
        )
        .map_err(ctx("storing an API key"))
    }

    /// Creates a development key for account `owner_id`; returns it (only
    /// its hash is stored).
    pub fn create_dev_key(&self, owner_id: &str, name: &str) -> Result<String> {
        let key = keys::new_dev_key();
        self.add_dev_key(&key, Some(owner_id), name)?;
        Ok(key)
    }

    /// Creates a live key; returns it (only its hash is stored). Hashing is
    /// slow work: call it off the async workers.
    pub fn create_live_key(&self, name: &str, created_by: Option<&str>) -> Result<String> {
        let (key, id) = keys::new_live_key();
        let hash = keys::hash(&key).map_err(|e| DbError::Hash(e.to_string()))?;
        self.conn()
            .execute(
                "INSERT INTO api_keys (id, kind, key_hash, name, created_by, created_at) VALUES (?1, 'live', ?2, ?3, ?4, ?5)",
                params![id, hash, name, created_by, now_ms()],
            )
            .map_err(ctx("storing an API key"))?;
        Ok(key)
    }

    /// What the store knows of the key `presented`. A live key's secret is
    /// not checked here (see `AppState::check_api_key`): that is slow work.
    /// Revoked keys are unknown.
    pub fn look_up_key(&self, presented: &str) -> Result<StoredKey> {
        if let Some(id) = keys::live_key_id(presented) {
            let hash: Option<String> = self
                .conn()
                .query_row(
                    "SELECT key_hash FROM api_keys WHERE kind = 'live' AND id = ?1 AND revoked_at IS NULL",
                    [id],
                    |row| row.get(0),
                )
                .optional()
                .map_err(ctx("checking an API key"))?;
            return Ok(match hash {
                Some(hash) => StoredKey::Live {
                    id: id.to_owned(),
                    hash,
                },
                None => StoredKey::Unknown,
            });
        }
        let found: Option<(String, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT id, owner_id FROM api_keys WHERE kind = 'development' AND dev_key_hash = ?1 AND revoked_at IS NULL",
                [keys::token_hash(presented)],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(ctx("checking an API key"))?;
        Ok(match found {
            Some((id, owner_id)) => StoredKey::Development { id, owner_id },
            None => StoredKey::Unknown,
        })
    }

    /// Records a use of key `id`, to the minute: a key used all the time
    /// (every HTTP API call) is written at most once a minute.
    pub fn key_used(&self, id: &str) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE api_keys SET last_used_at = ?2
                 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at <= ?2 - 60000)",
                params![id, now_ms()],
            )
            .map_err(ctx("recording a key's use"))?;
        Ok(())
    }

    /// Whether an unrevoked live key exists.
    pub fn has_live_key(&self) -> Result<bool> {
        let found: Option<i64> = self
            .conn()
            .query_row(
                "SELECT 1 FROM api_keys WHERE kind = 'live' AND revoked_at IS NULL LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(ctx("reading API keys"))?;
        Ok(found.is_some())
    }

    /// Revokes key `id`; returns whether it was active.
    pub fn revoke_key(&self, id: &str) -> Result<bool> {
        let changed = self
            .conn()
            .execute(
                "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now_ms()],
            )
            .map_err(ctx("revoking a key"))?;
        Ok(changed > 0)
    }

    /// Key `id`, if it exists.
    pub fn key(&self, id: &str) -> Result<Option<KeyRecord>> {
        Ok(self.keys()?.into_iter().find(|k| k.id == id))
    }

    /// Every key, newest first.
    pub fn keys(&self) -> Result<Vec<KeyRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT k.id, k.kind, k.name, o.email, k.owner_id, c.email, k.created_at, k.last_used_at, k.revoked_at
                 FROM api_keys k
                 LEFT JOIN users o ON o.id = k.owner_id
                 LEFT JOIN users c ON c.id = k.created_by
                 ORDER BY k.created_at DESC, k.rowid DESC",
            )
            .map_err(ctx("reading API keys"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(KeyRecord {
                    id: row.get(0)?,
                    live: row.get::<_, String>(1)? == "live",
                    name: row.get(2)?,
                    owner: row.get(3)?,
                    owner_id: row.get(4)?,
                    created_by: row.get(5)?,
                    created_at: row.get(6)?,
                    last_used_at: row.get(7)?,
                    revoked_at: row.get(8)?,
                })
            })
            .map_err(ctx("reading API keys"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(ctx("reading API keys"))
    }

    /// Replaces the plain development keys of databases from before keys
    /// were hashed by their hashes, and gives keys without an owner to
    /// `owner_id` (the first admin). Returns how many keys were hashed.
    pub fn hash_plain_dev_keys(&self, owner_id: &str) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(ctx("hashing old keys"))?;
        let plain: Vec<(String, String)> = {
            let mut stmt = tx
                .prepare("SELECT id, plain_key FROM api_keys WHERE plain_key IS NOT NULL")
                .map_err(ctx("hashing old keys"))?;
            let rows = stmt
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .map_err(ctx("hashing old keys"))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(ctx("hashing old keys"))?
        };
        for (id, key) in &plain {
            tx.execute(
                "UPDATE api_keys SET dev_key_hash = ?2, plain_key = NULL WHERE id = ?1",
                params![id, keys::token_hash(key)],
            )
            .map_err(ctx("hashing old keys"))?;
        }
        tx.execute(
            "UPDATE api_keys SET owner_id = ?1 WHERE kind = 'development' AND owner_id IS NULL",
            [owner_id],
        )
        .map_err(ctx("hashing old keys"))?;
        tx.commit().map_err(ctx("hashing old keys"))?;
        Ok(plain.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stored_as_hashes_and_revocation_hides_them() {
        let store = Store::open(None).unwrap();
        let dev = store.create_dev_key("owner-1", "laptop").unwrap();
        let live = store.create_live_key("production", None).unwrap();
        let dump: String = store
            .conn()
            .query_row(
                "SELECT group_concat(coalesce(plain_key,'') || coalesce(key_hash,'') || coalesce(dev_key_hash,''), ' ') FROM api_keys",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert!(!dump.contains(&dev) && !dump.contains(&live));
        let StoredKey::Development { id, owner_id } = store.look_up_key(&dev).unwrap() else {
            panic!("the dev key is not found");
        };
        assert_eq!(owner_id.as_deref(), Some("owner-1"));
        assert!(matches!(
            store.look_up_key(&live).unwrap(),
            StoredKey::Live { .. }
        ));
        assert_eq!(store.look_up_key("dev_nope").unwrap(), StoredKey::Unknown);
        assert!(store.revoke_key(&id).unwrap());
        assert!(!store.revoke_key(&id).unwrap());
        assert_eq!(store.look_up_key(&dev).unwrap(), StoredKey::Unknown);
        let listed = store.keys().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|k| k.revoked_at.is_some()));
    }

    #[test]
    fn old_plain_keys_are_hashed_and_given_an_owner() {
        let store = Store::open(None).unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO api_keys (id, kind, plain_key, created_at) VALUES ('k', 'development', 'dev_old', 1)",
                [],
            )
            .unwrap();
        assert_eq!(store.hash_plain_dev_keys("owner").unwrap(), 1);
        assert_eq!(
            store.look_up_key("dev_old").unwrap(),
            StoredKey::Development {
                id: "k".into(),
                owner_id: Some("owner".into())
            }
        );
        assert_eq!(store.hash_plain_dev_keys("owner").unwrap(), 0);
    }
}
