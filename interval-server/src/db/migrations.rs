//! Schema migrations, applied on start (no external tool).

use rusqlite_migration::{Migrations, M};

/// Every migration, oldest first. Never edit a released one; add a new one.
pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            r#"
        CREATE TABLE api_keys (
            id          TEXT PRIMARY KEY,
            kind        TEXT NOT NULL CHECK (kind IN ('development', 'live')),
            -- development keys only; live keys are kept as a hash
            plain_key   TEXT UNIQUE,
            key_hash    TEXT,
            created_at  INTEGER NOT NULL
        );
        CREATE TABLE actions (
            slug        TEXT PRIMARY KEY,
            definition  TEXT NOT NULL,
            updated_at  INTEGER NOT NULL
        );
        CREATE TABLE pages (
            slug        TEXT PRIMARY KEY,
            definition  TEXT NOT NULL,
            updated_at  INTEGER NOT NULL
        );
        CREATE TABLE transactions (
            id               TEXT PRIMARY KEY,
            action_slug      TEXT NOT NULL,
            status           TEXT NOT NULL,
            result_status    TEXT,
            params           TEXT NOT NULL,
            params_meta      TEXT,
            result           TEXT,
            host_instance_id TEXT,
            runner_email     TEXT NOT NULL,
            created_at       INTEGER NOT NULL,
            completed_at     INTEGER
        );
        CREATE INDEX transactions_created ON transactions (created_at DESC);
        CREATE TABLE logs (
            transaction_id  TEXT NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
            idx             INTEGER NOT NULL,
            data            TEXT NOT NULL,
            created_at      INTEGER NOT NULL,
            PRIMARY KEY (transaction_id, idx)
        );
        CREATE TABLE queued_actions (
            id           TEXT PRIMARY KEY,
            action_slug  TEXT NOT NULL,
            assignee     TEXT,
            params       TEXT NOT NULL,
            params_meta  TEXT,
            created_at   INTEGER NOT NULL
        );
        CREATE TABLE notifications (
            id               TEXT PRIMARY KEY,
            message          TEXT NOT NULL,
            title            TEXT,
            transaction_id   TEXT,
            idempotency_key  TEXT UNIQUE,
            deliveries       TEXT NOT NULL,
            created_at       INTEGER NOT NULL
        );
        "#,
        ),
        // Host instance ids, bound to the API key that first used them (so
        // that a server restart does not free them for another key).
        M::up(
            r#"
        CREATE TABLE host_instances (
            instance_id  TEXT PRIMARY KEY,
            key_kind     TEXT NOT NULL,
            key_id       TEXT NOT NULL,
            created_at   INTEGER NOT NULL
        );
        "#,
        ),
        // People: accounts, teams, sessions kept across restarts,
        // invitations, an audit log; API keys get a name, an owner, a last
        // use and a revocation, and development keys are kept as a hash
        // (`dev_key_hash`; the plain keys of older databases are hashed at
        // start, see `Store::hash_plain_dev_keys`).
        M::up(
            r#"
        CREATE TABLE users (
            id             TEXT PRIMARY KEY,
            email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
            first_name     TEXT,
            last_name      TEXT,
            role           TEXT NOT NULL CHECK (role IN ('admin', 'developer', 'member', 'viewer')),
            -- argon2 PHC string; NULL: signs in through the proxy header only
            password_hash  TEXT,
            created_at     INTEGER NOT NULL
        );
        CREATE TABLE teams (
            slug        TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            created_at  INTEGER NOT NULL
        );
        CREATE TABLE team_members (
            team_slug  TEXT NOT NULL REFERENCES teams (slug) ON DELETE CASCADE,
            user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            PRIMARY KEY (team_slug, user_id)
        );
        CREATE TABLE sessions (
            -- BLAKE2b of the cookie's token: the database never holds a
            -- token that would sign anyone in
            token_hash        TEXT PRIMARY KEY,
            user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            created_at        INTEGER NOT NULL,
            last_seen_at      INTEGER NOT NULL,
            authenticated_at  INTEGER NOT NULL,
            expires_at        INTEGER NOT NULL
        );
        CREATE INDEX sessions_user ON sessions (user_id);
        CREATE TABLE invitations (
            token_hash  TEXT PRIMARY KEY,
            email       TEXT NOT NULL COLLATE NOCASE,
            role        TEXT NOT NULL,
            teams       TEXT NOT NULL,
            invited_by  TEXT,
            created_at  INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL
        );
        CREATE TABLE audit_log (
            id      INTEGER PRIMARY KEY AUTOINCREMENT,
            at      INTEGER NOT NULL,
            actor   TEXT,
            event   TEXT NOT NULL,
            detail  TEXT NOT NULL
        );
        CREATE INDEX audit_log_at ON audit_log (at DESC);
        ALTER TABLE api_keys ADD COLUMN name TEXT;
        ALTER TABLE api_keys ADD COLUMN owner_id TEXT;
        ALTER TABLE api_keys ADD COLUMN created_by TEXT;
        ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
        ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
        ALTER TABLE api_keys ADD COLUMN dev_key_hash TEXT;
        CREATE UNIQUE INDEX api_keys_dev_key_hash ON api_keys (dev_key_hash);
        ALTER TABLE transactions ADD COLUMN runner_id TEXT;
        ALTER TABLE transactions ADD COLUMN environment TEXT NOT NULL DEFAULT 'production';
        -- the person a notification is for in the dashboard (e-mail); NULL:
        -- admins'
        ALTER TABLE notifications ADD COLUMN recipient TEXT;
        -- where a queued action runs: production, or one developer's
        -- development environment
        ALTER TABLE queued_actions ADD COLUMN environment TEXT NOT NULL DEFAULT 'production';
        ALTER TABLE queued_actions ADD COLUMN developer_id TEXT;
        "#,
        ),
        // Deliveries of notifications (src/delivery): one row per
        // notification and delivery instruction, and the environment of the
        // key that sent each notification (only production ones are sent).
        M::up(
            r#"
        ALTER TABLE notifications ADD COLUMN environment TEXT;
        CREATE TABLE deliveries (
            id               INTEGER PRIMARY KEY,
            notification_id  TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
            method           TEXT NOT NULL CHECK (method IN ('EMAIL', 'SLACK')),
            recipient        TEXT NOT NULL,
            status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
            attempts         INTEGER NOT NULL DEFAULT 0,
            last_error       TEXT,
            next_attempt_at  INTEGER NOT NULL,
            updated_at       INTEGER NOT NULL
        );
        CREATE INDEX deliveries_of_notification ON deliveries (notification_id);
        CREATE INDEX deliveries_pending ON deliveries (next_attempt_at) WHERE status = 'pending';
        "#,
        ),
    ])
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::migrations().validate().is_ok());
    }
}
