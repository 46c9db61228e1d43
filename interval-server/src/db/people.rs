//! Accounts and teams, and what a person may read of notifications.
//!
//! Sessions and invitations are in [`super::sessions`], the audit log in
//! [`super::audit`].

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{ctx, decode_all, now_ms, DbError, Result, Store};
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

fn person_from_row(row: &AnyRow) -> sqlx::Result<(Person, Option<String>)> {
    let role: String = row.try_get(4)?;
    let role = role
        .parse::<Role>()
        .map_err(|e| sqlx::Error::ColumnDecode {
            index: "role".into(),
            source: Box::new(e),
        })?;
    Ok((
        Person {
            id: row.try_get(0)?,
            email: row.try_get(1)?,
            first_name: row.try_get(2)?,
            last_name: row.try_get(3)?,
            role,
            teams: Vec::new(),
        },
        row.try_get(5)?,
    ))
}

const PERSON_COLUMNS: &str = "id, email, first_name, last_name, role, password_hash";

impl Store {
    // --- Accounts -------------------------------------------------------

    /// Creates an account; fails with [`DbError::Conflict`] when the address
    /// is taken.
    pub async fn add_person(&self, new: &NewPerson<'_>) -> Result<Person> {
        let id = interval_protocol::new_id().to_string();
        let email = new.email.trim();
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, first_name, last_name, role, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(email)
        .bind(new.first_name)
        .bind(new.last_name)
        .bind(new.role.as_str())
        .bind(&new.password_hash)
        .bind(now_ms())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("adding a person"))?;
        if inserted.rows_affected() == 0 {
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
    pub async fn people_count(&self) -> Result<i64> {
        sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *self.conn().await?)
            .await
            .and_then(|row| row.try_get(0))
            .map_err(ctx("counting people"))
    }

    /// Whether any account can sign in with a password.
    pub async fn anyone_has_password(&self) -> Result<bool> {
        let found = sqlx::query("SELECT id FROM users WHERE password_hash IS NOT NULL LIMIT 1")
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(ctx("reading people"))?;
        Ok(found.is_some())
    }

    async fn with_teams(&self, mut person: Person) -> Result<Person> {
        let rows =
            sqlx::query("SELECT team_slug FROM team_members WHERE user_id = $1 ORDER BY team_slug")
                .bind(&person.id)
                .fetch_all(&mut *self.conn().await?)
                .await
                .map_err(ctx("reading teams"))?;
        person.teams = decode_all(rows, |row| row.try_get(0), "reading teams")?;
        Ok(person)
    }

    async fn one_person(
        &self,
        sql: &str,
        value: &str,
        doing: &'static str,
    ) -> Result<Option<(Person, Option<String>)>> {
        let row = sqlx::query(sql)
            .bind(value)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(ctx(doing))?;
        let Some((person, hash)) = row
            .as_ref()
            .map(person_from_row)
            .transpose()
            .map_err(ctx(doing))?
        else {
            return Ok(None);
        };
        Ok(Some((self.with_teams(person).await?, hash)))
    }

    /// The account with this id, with its teams.
    pub async fn person(&self, id: &str) -> Result<Option<Person>> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM users WHERE id = $1");
        Ok(self
            .one_person(&sql, id, "reading a person")
            .await?
            .map(|(person, _)| person))
    }

    /// The account with this e-mail address (any case), with its teams and
    /// its password hash.
    pub async fn person_by_email(&self, email: &str) -> Result<Option<(Person, Option<String>)>> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM users WHERE lower(email) = lower($1)");
        self.one_person(&sql, email.trim(), "reading a person")
            .await
    }

    /// The password hash of account `id`.
    pub async fn password_hash(&self, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(ctx("reading a person"))?;
        match row {
            Some(row) => row.try_get(0).map_err(ctx("reading a person")),
            None => Ok(None),
        }
    }

    /// Every account, by e-mail, with their teams.
    pub async fn people(&self) -> Result<Vec<Person>> {
        let rows = sqlx::query(&format!(
            "SELECT {PERSON_COLUMNS} FROM users ORDER BY lower(email)"
        ))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading people"))?;
        let mut people = Vec::with_capacity(rows.len());
        for (person, _) in decode_all(rows, person_from_row, "reading people")? {
            people.push(self.with_teams(person).await?);
        }
        Ok(people)
    }

    /// The first admin (the owner): the oldest admin account.
    pub async fn owner(&self) -> Result<Option<Person>> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM users WHERE role = $1 ORDER BY created_at, rowid LIMIT 1"
        );
        Ok(self
            .one_person(&sql, Role::Admin.as_str(), "reading people")
            .await?
            .map(|(person, _)| person))
    }

    /// Sets account `id`'s password hash.
    pub async fn set_password_hash(&self, id: &str, hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(id)
            .bind(hash)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("setting a password"))?;
        Ok(())
    }

    /// Updates account `id`'s address and names; fails with
    /// [`DbError::Conflict`] when the address is another account's.
    pub async fn update_person(
        &self,
        id: &str,
        email: &str,
        first_name: Option<&str>,
        last_name: Option<&str>,
    ) -> Result<()> {
        let changed = sqlx::query(
            "UPDATE users SET email = $2, first_name = $3, last_name = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(email.trim())
        .bind(first_name)
        .bind(last_name)
        .execute(&mut *self.conn().await?)
        .await;
        match changed {
            Ok(done) if done.rows_affected() > 0 => Ok(()),
            Err(e) if !super::is_unique_violation(&e) => Err(ctx("updating a person")(e)),
            _ => Err(DbError::Conflict(format!(
                "there is already an account for {email}"
            ))),
        }
    }

    /// Changes account `id`'s role.
    pub async fn set_role(&self, id: &str, role: Role) -> Result<()> {
        sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
            .bind(id)
            .bind(role.as_str())
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("changing a role"))?;
        Ok(())
    }

    /// Removes account `id` (its sessions and memberships go with it).
    pub async fn remove_person(&self, id: &str) -> Result<bool> {
        let removed = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("removing a person"))?;
        Ok(removed.rows_affected() > 0)
    }

    // --- Teams ----------------------------------------------------------

    /// Creates team `slug` (or renames it).
    pub async fn put_team(&self, slug: &str, name: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO teams (slug, name, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (slug) DO UPDATE SET name = excluded.name",
        )
        .bind(slug)
        .bind(name)
        .bind(now_ms())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("saving a team"))?;
        Ok(())
    }

    /// Removes team `slug`.
    pub async fn remove_team(&self, slug: &str) -> Result<()> {
        sqlx::query("DELETE FROM teams WHERE slug = $1")
            .bind(slug)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("removing a team"))?;
        Ok(())
    }

    /// Makes account `user_id` a member of `team` (created when missing,
    /// named after its slug).
    pub async fn join_team(&self, team: &str, user_id: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO teams (slug, name, created_at) VALUES ($1, $1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(team)
        .bind(now_ms())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("saving a team"))?;
        sqlx::query(
            "INSERT INTO team_members (team_slug, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(team)
        .bind(user_id)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("adding a team member"))?;
        Ok(())
    }

    /// Takes account `user_id` out of `team`.
    pub async fn leave_team(&self, team: &str, user_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM team_members WHERE team_slug = $1 AND user_id = $2")
            .bind(team)
            .bind(user_id)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("removing a team member"))?;
        Ok(())
    }

    /// Every team with its members, by slug.
    pub async fn teams(&self) -> Result<Vec<Team>> {
        let rows = sqlx::query(
            "SELECT t.slug, t.name, u.email FROM teams t
             LEFT JOIN team_members m ON m.team_slug = t.slug
             LEFT JOIN users u ON u.id = m.user_id
             ORDER BY t.slug, lower(u.email)",
        )
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading teams"))?;
        let rows: Vec<(String, String, Option<String>)> = decode_all(
            rows,
            |row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)),
            "reading teams",
        )?;
        let mut teams: Vec<Team> = Vec::new();
        for (slug, name, member) in rows {
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
    pub async fn team_exists(&self, slug: &str) -> Result<bool> {
        let found = sqlx::query("SELECT slug FROM teams WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(ctx("reading teams"))?;
        Ok(found.is_some())
    }

    // --- Per-person reads -----------------------------------------------

    /// The stored definitions of `table` (`actions` or `pages`), by slug.
    pub async fn definitions(&self, table: &str) -> Result<Vec<(String, serde_json::Value)>> {
        let table = match table {
            "actions" => "actions",
            _ => "pages",
        };
        let rows = sqlx::query(&format!("SELECT slug, definition FROM {table}"))
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(ctx("reading definitions"))?;
        let rows: Vec<(String, String)> = decode_all(
            rows,
            |row| Ok((row.try_get(0)?, row.try_get(1)?)),
            "reading definitions",
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|(slug, text)| Some((slug, serde_json::from_str(&text).ok()?)))
            .collect())
    }

    /// The most recent notifications for `person`, newest first: those of
    /// the transactions they ran, those addressed to them, and for admins
    /// every other one too.
    pub async fn notifications_for(
        &self,
        person: &Person,
        limit: u32,
    ) -> Result<Vec<super::NotificationRecord>> {
        let rows = sqlx::query(
            "SELECT n.id, n.message, n.title, n.transaction_id, n.deliveries, n.created_at
             FROM notifications n LEFT JOIN transactions t ON t.id = n.transaction_id
             WHERE t.runner_id = $1 OR lower(n.recipient) = lower($2)
                OR ($3 AND n.recipient IS NULL AND (t.runner_id IS NULL OR t.environment = 'production'))
             ORDER BY n.created_at DESC, n.rowid DESC LIMIT $4",
        )
        .bind(&person.id)
        .bind(&person.email)
        .bind(person.is_admin())
        .bind(i64::from(limit))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading notifications"))?;
        decode_all(
            rows,
            super::transactions::notification_from_row,
            "reading notifications",
        )
    }

    /// Stores a notification for `recipient` (an e-mail address) in the
    /// dashboard, e.g. that an action was queued for them.
    pub async fn notify_person(&self, recipient: &str, title: &str, message: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO notifications (id, message, title, transaction_id, idempotency_key, deliveries, created_at, recipient)
             VALUES ($1, $2, $3, NULL, NULL, '[]', $4, $5)",
        )
        .bind(interval_protocol::new_id().to_string())
        .bind(message)
        .bind(title)
        .bind(now_ms())
        .bind(recipient)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("storing a notification"))?;
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::db::test_stores;

    pub(in crate::db) fn new_person(email: &str, role: Role) -> NewPerson<'_> {
        NewPerson {
            email,
            first_name: None,
            last_name: None,
            role,
            password_hash: None,
        }
    }

    #[tokio::test]
    async fn accounts_are_unique_by_address_in_any_case() {
        for store in test_stores().await {
            let ada = store
                .add_person(&new_person("Ada@Example.com", Role::Admin))
                .await
                .unwrap();
            assert!(matches!(
                store
                    .add_person(&new_person("ada@example.COM", Role::Member))
                    .await,
                Err(DbError::Conflict(_))
            ));
            let (found, hash) = store
                .person_by_email("ada@example.com")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(found.id, ada.id);
            assert_eq!(hash, None);
            assert_eq!(store.owner().await.unwrap().unwrap().id, ada.id);
            let bob = store
                .add_person(&new_person("bob@example.com", Role::Member))
                .await
                .unwrap();
            assert!(matches!(
                store
                    .update_person(&bob.id, "ADA@example.com", None, None)
                    .await,
                Err(DbError::Conflict(_))
            ));
            store
                .update_person(&bob.id, "robert@example.com", Some("Robert"), None)
                .await
                .unwrap();
            let people = store.people().await.unwrap();
            assert_eq!(
                people.iter().map(|p| p.email.as_str()).collect::<Vec<_>>(),
                ["Ada@Example.com", "robert@example.com"]
            );
        }
    }

    #[tokio::test]
    async fn teams_and_members() {
        for store in test_stores().await {
            let bob = store
                .add_person(&new_person("bob@example.com", Role::Member))
                .await
                .unwrap();
            store.join_team("support", &bob.id).await.unwrap();
            store.put_team("support", "Support").await.unwrap();
            store.put_team("finance", "Finance").await.unwrap();
            assert_eq!(
                store.person(&bob.id).await.unwrap().unwrap().teams,
                ["support"]
            );
            let teams = store.teams().await.unwrap();
            assert_eq!(teams.len(), 2);
            assert_eq!(teams[1].name, "Support");
            assert_eq!(teams[1].members, ["bob@example.com"]);
            assert!(teams[0].members.is_empty());
            store.leave_team("support", &bob.id).await.unwrap();
            assert!(store
                .person(&bob.id)
                .await
                .unwrap()
                .unwrap()
                .teams
                .is_empty());
        }
    }
}
