//! What a person may read: history, a transaction, the queue, the
//! notifications (what they may run is decided in [`crate::access`]).
//!
//! * A transaction: the person who ran it; and, in production, admins and
//!   everyone the action's `access` (as last declared) lets run it.
//!   Development transactions are their developer's only.
//! * A queued action: its assignee; unassigned, everyone who may run it.
//! * A notification: the person who ran its transaction, the person it was
//!   addressed to in the dashboard, and admins.

use std::collections::HashMap;

use interval_protocol::types::AccessControl;
use serde_json::Value;

use crate::access;
use crate::db::{DbError, NotificationRecord, QueuedRecord, Store, TransactionRecord};
use crate::keys::KeyKind;
use crate::people::Person;
use crate::state::AppState;

/// The access of every declared action and page, as last declared.
struct Declared {
    actions: HashMap<String, (Option<AccessControl>, Option<String>)>,
    pages: HashMap<String, Option<AccessControl>>,
}

impl Declared {
    async fn load(store: &Store) -> Result<Declared, DbError> {
        let access = |definition: &Value| {
            definition
                .get("access")
                .and_then(|a| serde_json::from_value::<AccessControl>(a.clone()).ok())
        };
        let actions = store
            .definitions("actions")
            .await?
            .into_iter()
            .map(|(slug, d)| {
                let group = d
                    .get("groupSlug")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                (slug, (access(&d), group))
            })
            .collect();
        let pages = store
            .definitions("pages")
            .await?
            .into_iter()
            .map(|(slug, d)| (slug, access(&d)))
            .collect();
        Ok(Declared { actions, pages })
    }

    /// Whether `person` may run production action `slug` as declared.
    fn allows(&self, person: &Person, slug: &str) -> bool {
        if person.is_admin() {
            return true;
        }
        let Some((own, group)) = self.actions.get(slug) else {
            // Never declared: nothing says who may.
            return false;
        };
        let parent = group.clone().or_else(|| access::parent_slug(slug));
        let effective = access::effective(own.as_ref(), parent, |page| {
            self.pages
                .get(page)
                .map(|a| (a.as_ref(), access::parent_slug(page)))
        });
        access::allows(effective, person)
    }

    fn sees(&self, person: &Person, record: &TransactionRecord) -> bool {
        record.runner_id.as_deref() == Some(person.id.as_str())
            || (record.environment == KeyKind::Live.environment()
                && self.allows(person, &record.action_slug))
    }
}

/// The most recent transactions `person` may read, newest first.
pub async fn history(
    store: &Store,
    person: &Person,
    limit: u32,
) -> Result<Vec<TransactionRecord>, DbError> {
    let declared = Declared::load(store).await?;
    // Read more than asked: some are filtered out.
    let mut visible: Vec<TransactionRecord> = store
        .history(limit.saturating_mul(4).max(limit))
        .await?
        .into_iter()
        .filter(|t| declared.sees(person, t))
        .collect();
    visible.truncate(limit as usize);
    Ok(visible)
}

/// Transaction `id`, if `person` may read it.
pub async fn transaction(
    store: &Store,
    person: &Person,
    id: &str,
) -> Result<Option<TransactionRecord>, DbError> {
    let Some(record) = store.transaction(id).await? else {
        return Ok(None);
    };
    let declared = Declared::load(store).await?;
    Ok(declared.sees(person, &record).then_some(record))
}

/// The queued actions `person` may run in `environment` (production, or
/// their own development environment): theirs, and the unassigned ones of
/// actions they see.
pub async fn queue(
    state: &AppState,
    person: &Person,
    environment: KeyKind,
) -> Result<Vec<QueuedRecord>, DbError> {
    let visible = match crate::dashboard_api::routes(state, person, environment) {
        crate::api::Reply::Routes { actions, .. } => actions
            .into_iter()
            .map(|a| a.slug)
            .collect::<std::collections::HashSet<_>>(),
        _ => Default::default(),
    };
    Ok(state
        .store
        .queue()
        .await?
        .into_iter()
        .filter(|q| {
            q.environment == environment.environment()
                && (environment == KeyKind::Live
                    || q.developer_id.as_deref() == Some(person.id.as_str()))
        })
        .filter(|q| match &q.assignee {
            Some(assignee) => assignee.eq_ignore_ascii_case(&person.email),
            None => visible.contains(&q.action_slug),
        })
        .collect())
}

/// The most recent notifications for `person`, newest first.
pub async fn notifications(
    store: &Store,
    person: &Person,
    limit: u32,
) -> Result<Vec<NotificationRecord>, DbError> {
    store.notifications_for(person, limit).await
}

/// `text`, cut to a length fit for a log line.
pub fn short(text: &str) -> String {
    const MAX: usize = 2_000;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::NewPerson;
    use crate::people::Role;
    use serde_json::json;

    fn record(id: &str, slug: &str, runner: &str, environment: &str) -> TransactionRecord {
        TransactionRecord {
            id: id.into(),
            action_slug: slug.into(),
            status: "COMPLETED".into(),
            result_status: None,
            params: json!({}),
            result: None,
            host_instance_id: None,
            runner_email: format!("{runner}@example.com"),
            runner_id: Some(runner.into()),
            environment: environment.into(),
            created_at: 1,
            completed_at: None,
            node_id: None,
        }
    }

    async fn add(store: &Store, email: &str, role: Role) -> Person {
        store
            .add_person(&NewPerson {
                email,
                first_name: None,
                last_name: None,
                role,
                password_hash: None,
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn history_follows_access_and_environments() {
        let store = Store::open(None).await.unwrap();
        let mut support = add(&store, "s@example.com", Role::Member).await;
        let other = add(&store, "o@example.com", Role::Member).await;
        let admin = add(&store, "a@example.com", Role::Admin).await;
        support.teams = vec!["support".into()];
        store
            .save_definitions(
                &[
                    (
                        "refund".into(),
                        json!({"slug": "refund", "access": {"teams": ["support"]}}),
                    ),
                    (
                        "users/ban".into(),
                        json!({"slug": "ban", "groupSlug": "users"}),
                    ),
                ],
                &[(
                    "users".into(),
                    json!({"slug": "users", "name": "Users", "access": {"teams": []}}),
                )],
            )
            .await
            .unwrap();
        for r in [
            record("1", "refund", &other.id, "production"),
            record("2", "users/ban", &support.id, "production"),
            record("3", "users/ban", &other.id, "production"),
            record("4", "refund", &other.id, "development"),
        ] {
            store.insert_transaction(&r, None).await.unwrap();
        }
        let ids = |p: Person| {
            let store = store.clone();
            async move {
                let mut ids: Vec<String> = history(&store, &p, 50)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|t| t.id)
                    .collect();
                ids.sort();
                ids
            }
        };
        // Support may run refunds; users/* is admins only, but one's own
        // runs stay readable.
        assert_eq!(ids(support.clone()).await, ["1", "2"]);
        assert_eq!(ids(other.clone()).await, ["1", "3", "4"]);
        // Admins see production, not others' development runs.
        assert_eq!(ids(admin.clone()).await, ["1", "2", "3"]);
        assert!(transaction(&store, &support, "3").await.unwrap().is_none());
        assert!(transaction(&store, &support, "4").await.unwrap().is_none());
    }

    #[test]
    fn short_cuts_long_text() {
        assert_eq!(short("abc"), "abc");
        assert_eq!(short(&"é".repeat(3_000)).chars().count(), 2_001);
    }
}
