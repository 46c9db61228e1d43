//! API keys: development keys kept as they are, live keys kept only as a
//! salted argon2 hash.
//!
//! Keys look like Interval's: `dev_<48 alphanumerics>` and
//! `live_<id>_<secret>`, where the id finds the stored hash without trying
//! every row.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::distr::Alphanumeric;
use rand::Rng;

/// Which environment a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// Development: actions are private to the key's user.
    Development,
    /// Production.
    Live,
}

impl KeyKind {
    /// The environment slug hosts get for this key.
    pub fn environment(self) -> &'static str {
        match self {
            KeyKind::Development => "development",
            KeyKind::Live => "production",
        }
    }
}

/// A key that passed its check: its environment and which key it is (so
/// that what one key's hosts opened stays theirs), and for a development
/// key, whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Its environment.
    pub kind: KeyKind,
    /// Its id in the store.
    pub id: String,
    /// The account a development key belongs to.
    pub owner: Option<String>,
}

fn random(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A new development key.
pub fn new_dev_key() -> String {
    format!("dev_{}", random(48))
}

/// A new live key and its lookup id.
pub fn new_live_key() -> (String, String) {
    let id = random(12);
    (format!("live_{id}_{}", random(36)), id)
}

/// The lookup id of a live key, if `key` has the shape of one.
pub fn live_key_id(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("live_")?;
    let (id, secret) = rest.split_once('_')?;
    (!id.is_empty() && !secret.is_empty()).then_some(id)
}

/// The BLAKE2b hash (hex) of a high-entropy secret: a session or
/// invitation token, a development key. Such a secret cannot be guessed,
/// so a fast hash is enough (passwords and live keys get argon2).
pub fn token_hash(token: &str) -> String {
    use blake2::{Blake2b512, Digest};
    let digest = Blake2b512::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A random token of `len` alphanumerics (sessions, invitations).
pub fn new_token(len: usize) -> String {
    random(len)
}

/// Hashes a live key (salted argon2id, PHC string).
pub fn hash(key: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Ok(Argon2::default()
        .hash_password(key.as_bytes(), &salt)?
        .to_string())
}

/// Whether `key` matches the stored `hash`.
pub fn verify(key: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(key.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_keys_verify_against_their_hash_only() {
        let (key, id) = new_live_key();
        assert_eq!(live_key_id(&key), Some(id.as_str()));
        let stored = hash(&key).unwrap();
        assert!(!stored.contains(&key));
        assert!(verify(&key, &stored));
        assert!(!verify(&format!("{key}x"), &stored));
        assert!(!verify(&key, "not a hash"));
        assert!(new_dev_key().starts_with("dev_"));
        assert_eq!(live_key_id("dev_abc"), None);
    }
}
