//! Accounts and teams, and what a person may read of notifications.
//!
//! Sessions and invitations are in [`super::sessions`], the audit log in
//! [`super::audit`].

use rusqlite::{params, OptionalExtension};

use super::{ctx, now_ms, DbError, Result, Store};
use crate::people::{Person, Role};

/// A new account.
#[derive(Debug, Clone)]
pub struct NewPerson<'a> {
    /// E-mail address.
    pub email: &'a str,
    /// First name.
    pub first_name: Option<&'a str>,
    /// Last name.
    pub last_name: Option<&'a str>,
    /// Role.
    pub role: Role,
    /// argon2 hash of the password, if the person signs in with one.
    pub password_hash: Option<String>,
}

/// A team and its members' addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Slug (what `access` names).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Members' e-mail addresses.
    pub members: Vec<String>,
}

fn person_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Person, Option<String>)> {
    let role: String = row.get(4)?;
    let role = role.parse::<Role>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok((
        Person {
            id: row.get(0)?,
            email: row.get(1)?,
            first_name: row.get(2)?,
            last_name: row.get(3)?,
            role,
            teams: Vec::new(),
        },
        row.get(5)?,
    ))
}

const PERSON_COLUMNS: &str = "id, email, first_name, last_name, role, password_hash";

impl Store {
    // --- Accounts -------------------------------------------------------

    /// Creates an account; fails with [`DbError::Conflict`] when the address
    /// is taken.
    pub fn add_person(&self, new: &NewPerson<'_>) -> Result<Person> {
        let id = interval_protocol::new_id().to_string();
        let email = new.email.trim();
        let inserted = self
            .conn()
            .execute(
                "INSERT OR IGNORE INTO users (id, email, first_name, last_name, role, password_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    email,
                    new.first_name,
                    new.last_name,
                    new.role.as_str(),
                    new.password_hash,
                    now_ms()
                ],
            )
            .map_err(ctx("adding a person"))?;
        if inserted == 0 {
            return Err(DbError::Conflict(format!(
                "there is already an account for {email}"
            )));
        }
        Ok(Person {
            id,
            email: email.to_owned(),
            first_name: new.first_name.map(str::to_owned),
            last_name: new.last_name.map(str::to_owned),
            role: new.role,
            teams: Vec::new(),
        })
    }

    /// How many accounts exist.
    pub fn people_count(&self) -> Result<i64> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))
            .map_err(ctx("counting people"))
    }

    /// Whether any account can sign in with a password.
    pub fn anyone_has_password(&self) -> Result<bool> {
        let found: Option<i64> = self
            .conn()
            .query_row(
                "SELECT 1 FROM users WHERE password_hash IS NOT NULL LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(ctx("reading people"))?;
        Ok(found.is_some())
    }

    fn with_teams(&self, mut person: Person) -> Result<Person> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT team_slug FROM team_members WHERE user_id = ?1 ORDER BY team_slug")
            .map_err(ctx("reading teams"))?;
        person.teams = stmt
            .query_map([&person.id], |row| row.get(0))
            .map_err(ctx("reading teams"))?
            .collect::<rusqlite::Result<_>>()
            .map_err(ctx("reading teams"))?;
        Ok(person)
    }

    /// The account with this id, with its teams.
    pub fn person(&self, id: &str) -> Result<Option<Person>> {
        let found = self
            .conn()
            .query_row(
                &format!("SELECT {PERSON_COLUMNS} FROM users WHERE id = ?1"),
                [id],
                person_from_row,
            )
            .optional()
            .map_err(ctx("reading a person"))?;
        found.map(|(p, _)| self.with_teams(p)).transpose()
    }

    /// The account with this e-mail address (any case), with its teams and
    /// its password hash.
    pub fn person_by_email(&self, email: &str) -> Result<Option<(Person, Option<String>)>> {
        let found = self
            .conn()
            .query_row(
                &format!("SELECT {PERSON_COLUMNS} FROM users WHERE email = ?1"),
                [email.trim()],
                person_from_row,
            )
            .optional()
            .map_err(ctx("reading a person"))?;
        match found {
            Some((person, hash)) => Ok(Some((self.with_teams(person)?, hash))),
            None => Ok(None),
        }
    }

    /// The password hash of account `id`.
    pub fn password_hash(&self, id: &str) -> Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT password_hash FROM users WHERE id = ?1",
                [id],
                |row| row.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(ctx("reading a person"))
    }

    /// Every account, by e-mail, with their teams.
    pub fn people(&self) -> Result<Vec<Person>> {
        let people: Vec<Person> = {
            let conn = self.conn();
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {PERSON_COLUMNS} FROM users ORDER BY email"
                ))
                .map_err(ctx("reading people"))?;
            let rows = stmt
                .query_map([], person_from_row)
                .map_err(ctx("reading people"))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(ctx("reading people"))?;
            rows.into_iter().map(|(p, _)| p).collect()
        };
        people.into_iter().map(|p| self.with_teams(p)).collect()
    }

    /// The first admin (the owner): the oldest admin account.
    pub fn owner(&self) -> Result<Option<Person>> {
        let found = self
            .conn()
            .query_row(
                &format!(
                    "SELECT {PERSON_COLUMNS} FROM users WHERE role = 'admin' ORDER BY created_at, rowid LIMIT 1"
                ),
                [],
                person_from_row,
            )
            .optional()
            .map_err(ctx("reading people"))?;
        found.map(|(p, _)| self.with_teams(p)).transpose()
    }

    /// Sets account `id`'s password hash.
    pub fn set_password_hash(&self, id: &str, hash: &str) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![id, hash],
            )
            .map_err(ctx("setting a password"))?;
        Ok(())
    }

    /// Updates account `id`'s address and names.
    pub fn update_person(
        &self,
        id: &str,
        email: &str,
        first_name: Option<&str>,
        last_name: Option<&str>,
    ) -> Result<()> {
        let changed = self
            .conn()
            .execute(
                "UPDATE OR IGNORE users SET email = ?2, first_name = ?3, last_name = ?4 WHERE id = ?1",
                params![id, email.trim(), first_name, last_name],
            )
            .map_err(ctx("updating a person"))?;
        if changed == 0 {
            return Err(DbError::Conflict(format!(
                "there is already an account for {email}"
            )));
        }
        Ok(())
    }

    /// Changes account `id`'s role.
    pub fn set_role(&self, id: &str, role: Role) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE users SET role = ?2 WHERE id = ?1",
                params![id, role.as_str()],
            )
            .map_err(ctx("changing a role"))?;
        Ok(())
    }

    /// Removes account `id` (its sessions and memberships go with it).
    pub fn remove_person(&self, id: &str) -> Result<bool> {
        let removed = self
            .conn()
            .execute("DELETE FROM users WHERE id = ?1", [id])
            .map_err(ctx("removing a person"))?;
        Ok(removed > 0)
    }

    // --- Teams ----------------------------------------------------------

    /// Creates team `slug` (or renames it).
    pub fn put_team(&self, slug: &str, name: &str) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO teams (slug, name, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (slug) DO UPDATE SET name = excluded.name",
                params![slug, name, now_ms()],
            )
            .map_err(ctx("saving a team"))?;
        Ok(())
    }

    /// Removes team `slug`.
    pub fn remove_team(&self, slug: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM teams WHERE slug = ?1", [slug])
            .map_err(ctx("removing a team"))?;
        Ok(())
    }

    /// Makes account `user_id` a member of `team` (created when missing,
    /// named after its slug).
    pub fn join_team(&self, team: &str, user_id: &str) -> Result<()> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR IGNORE INTO teams (slug, name, created_at) VALUES (?1, ?1, ?2)",
            params![team, now_ms()],
        )
        .map_err(ctx("saving a team"))?;
        conn.execute(
            "INSERT OR IGNORE INTO team_members (team_slug, user_id) VALUES (?1, ?2)",
            params![team, user_id],
        )
        .map_err(ctx("adding a team member"))?;
        Ok(())
    }

    /// Takes account `user_id` out of `team`.
    pub fn leave_team(&self, team: &str, user_id: &str) -> Result<()> {
        self.conn()
            .execute(
                "DELETE FROM team_members WHERE team_slug = ?1 AND user_id = ?2",
                params![team, user_id],
            )
            .map_err(ctx("removing a team member"))?;
        Ok(())
    }

    /// Every team with its members, by slug.
    pub fn teams(&self) -> Result<Vec<Team>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT t.slug, t.name, u.email FROM teams t
                 LEFT JOIN team_members m ON m.team_slug = t.slug
                 LEFT JOIN users u ON u.id = m.user_id
                 ORDER BY t.slug, u.email",
            )
            .map_err(ctx("reading teams"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                ))
            })
            .map_err(ctx("reading teams"))?;
        let mut teams: Vec<Team> = Vec::new();
        for row in rows {
            let (slug, name, member) = row.map_err(ctx("reading teams"))?;
            if teams.last().map(|t| &t.slug) != Some(&slug) {
                teams.push(Team {
                    slug,
                    name,
                    members: Vec::new(),
                });
            }
            if let (Some(team), Some(member)) = (teams.last_mut(), member) {
                team.members.push(member);
            }
        }
        Ok(teams)
    }

    /// Whether team `slug` exists.
    pub fn team_exists(&self, slug: &str) -> Result<bool> {
        let found: Option<i64> = self
            .conn()
            .query_row("SELECT 1 FROM teams WHERE slug = ?1", [slug], |row| {
                row.get(0)
            })
            .optional()
            .map_err(ctx("reading teams"))?;
        Ok(found.is_some())
    }

    // --- Per-person reads -----------------------------------------------

    /// The stored definitions of `table` (`actions` or `pages`), by slug.
    pub fn definitions(&self, table: &str) -> Result<Vec<(String, serde_json::Value)>> {
        let table = match table {
            "actions" => "actions",
            _ => "pages",
        };
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("SELECT slug, definition FROM {table}"))
            .map_err(ctx("reading definitions"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(ctx("reading definitions"))?;
        let mut definitions = Vec::new();
        for row in rows {
            let (slug, text) = row.map_err(ctx("reading definitions"))?;
            if let Ok(definition) = serde_json::from_str(&text) {
                definitions.push((slug, definition));
            }
        }
        Ok(definitions)
    }

    /// The most recent notifications for `person`, newest first: those of
    /// the transactions they ran, those addressed to them, and for admins
    /// every other one too.
    pub fn notifications_for(
        &self,
        person: &Person,
        limit: u32,
    ) -> Result<Vec<super::NotificationRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT n.id, n.message, n.title, n.transaction_id, n.deliveries, n.created_at
                 FROM notifications n LEFT JOIN transactions t ON t.id = n.transaction_id
                 WHERE t.runner_id = ?1 OR n.recipient = ?2 COLLATE NOCASE
                    OR (?3 AND n.recipient IS NULL AND (t.runner_id IS NULL OR t.environment = 'production'))
                 ORDER BY n.created_at DESC, n.rowid DESC LIMIT ?4",
            )
            .map_err(ctx("reading notifications"))?;
        let rows = stmt
            .query_map(
                params![person.id, person.email, person.is_admin(), limit],
                |row| {
                    Ok(super::NotificationRecord {
                        id: row.get(0)?,
                        message: row.get(1)?,
                        title: row.get(2)?,
                        transaction_id: row.get(3)?,
                        deliveries: super::parse_json(row.get(4)?)
                            .unwrap_or(serde_json::Value::Null),
                        created_at: row.get(5)?,
                    })
                },
            )
            .map_err(ctx("reading notifications"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(ctx("reading notifications"))
    }

    /// Stores a notification for `recipient` (an e-mail address) in the
    /// dashboard, e.g. that an action was queued for them.
    pub fn notify_person(&self, recipient: &str, title: &str, message: &str) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO notifications (id, message, title, transaction_id, idempotency_key, deliveries, created_at, recipient)
                 VALUES (?1, ?2, ?3, NULL, NULL, '[]', ?4, ?5)",
                params![
                    interval_protocol::new_id().to_string(),
                    message,
                    title,
                    now_ms(),
                    recipient
                ],
            )
            .map_err(ctx("storing a notification"))?;
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::db) fn new_person(email: &str, role: Role) -> NewPerson<'_> {
        NewPerson {
            email,
            first_name: None,
            last_name: None,
            role,
            password_hash: None,
        }
    }

    #[test]
    fn accounts_are_unique_by_address_in_any_case() {
        let store = Store::open(None).unwrap();
        let ada = store
            .add_person(&new_person("Ada@Example.com", Role::Admin))
            .unwrap();
        assert!(matches!(
            store.add_person(&new_person("ada@example.COM", Role::Member)),
            Err(DbError::Conflict(_))
        ));
        let (found, hash) = store.person_by_email("ada@example.com").unwrap().unwrap();
        assert_eq!(found.id, ada.id);
        assert_eq!(hash, None);
        assert_eq!(store.owner().unwrap().unwrap().id, ada.id);
    }

    #[test]
    fn teams_and_members() {
        let store = Store::open(None).unwrap();
        let bob = store
            .add_person(&new_person("bob@example.com", Role::Member))
            .unwrap();
        store.join_team("support", &bob.id).unwrap();
        store.put_team("support", "Support").unwrap();
        store.put_team("finance", "Finance").unwrap();
        assert_eq!(store.person(&bob.id).unwrap().unwrap().teams, ["support"]);
        let teams = store.teams().unwrap();
        assert_eq!(teams.len(), 2);
        assert_eq!(teams[1].name, "Support");
        assert_eq!(teams[1].members, ["bob@example.com"]);
        assert!(teams[0].members.is_empty());
        store.leave_team("support", &bob.id).unwrap();
        assert!(store.person(&bob.id).unwrap().unwrap().teams.is_empty());
    }
}
