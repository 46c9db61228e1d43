//! What several active nodes share about their hosts: each connected host
//! with its node and what it declared, so that every node lists it and
//! forwards runs to its node; and the bodies of messages between nodes too
//! large for a PostgreSQL notification (see `cluster::bus`).

use serde_json::Value;
use sqlx::Row;

use super::{ctx, decode_all, now_ms, Result, Store};

/// A host connected to some node, as recorded in the database.
#[derive(Debug, Clone, PartialEq)]
pub struct HostRecord {
    /// The host's instance id.
    pub instance_id: String,
    /// The node it is connected to.
    pub node_id: String,
    /// `development` or `production`.
    pub key_kind: String,
    /// The owner of its development key.
    pub owner_id: Option<String>,
    /// Its action definitions (a JSON array).
    pub actions: Value,
    /// Its page definitions (a JSON array).
    pub pages: Value,
}

impl Store {
    /// Records that `host` is connected to its node and ready, with what it
    /// declared (replacing what another node recorded for the same
    /// instance: it moved).
    pub async fn host_up(&self, host: &HostRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO hosts (instance_id, node_id, key_kind, owner_id, actions, pages, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (instance_id) DO UPDATE SET node_id = excluded.node_id,
               key_kind = excluded.key_kind, owner_id = excluded.owner_id,
               actions = excluded.actions, pages = excluded.pages, updated_at = excluded.updated_at",
        )
        .bind(&host.instance_id)
        .bind(&host.node_id)
        .bind(&host.key_kind)
        .bind(host.owner_id.as_deref())
        .bind(host.actions.to_string())
        .bind(host.pages.to_string())
        .bind(now_ms())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("recording a host"))?;
        Ok(())
    }

    /// Forgets host `instance` on node `node` (it disconnected); a record
    /// of the same instance on another node (it moved) stays.
    pub async fn host_down(&self, instance: &str, node: &str) -> Result<()> {
        sqlx::query("DELETE FROM hosts WHERE instance_id = $1 AND node_id = $2")
            .bind(instance)
            .bind(node)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("forgetting a host"))?;
        Ok(())
    }

    /// The hosts of live nodes other than `node` (a heartbeat within
    /// `node_timeout_ms`), and those nodes.
    pub async fn hosts_elsewhere(
        &self,
        node: &str,
        node_timeout_ms: i64,
    ) -> Result<(Vec<HostRecord>, Vec<String>)> {
        let since = now_ms() - node_timeout_ms;
        let mut conn = self.conn().await?;
        let rows = sqlx::query(
            "SELECT instance_id, node_id, key_kind, owner_id, actions, pages FROM hosts
             WHERE node_id <> $1 AND node_id IN (SELECT id FROM nodes WHERE seen_at > $2)
             ORDER BY instance_id",
        )
        .bind(node)
        .bind(since)
        .fetch_all(&mut *conn)
        .await
        .map_err(ctx("reading hosts"))?;
        let hosts = decode_all(
            rows,
            |row| {
                let json = |i: usize| -> sqlx::Result<Value> {
                    let text: String = row.try_get(i)?;
                    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
                };
                Ok(HostRecord {
                    instance_id: row.try_get(0)?,
                    node_id: row.try_get(1)?,
                    key_kind: row.try_get(2)?,
                    owner_id: row.try_get(3)?,
                    actions: json(4)?,
                    pages: json(5)?,
                })
            },
            "reading hosts",
        )?;
        let rows = sqlx::query("SELECT id FROM nodes WHERE id <> $1 AND seen_at > $2 ORDER BY id")
            .bind(node)
            .bind(since)
            .fetch_all(&mut *conn)
            .await
            .map_err(ctx("reading nodes"))?;
        let nodes = decode_all(rows, |row| row.try_get(0), "reading nodes")?;
        Ok((hosts, nodes))
    }

    /// Forgets every host recorded for node `node` (it stops, or starts
    /// again after a crash).
    pub async fn hosts_of_node_down(&self, node: &str) -> Result<()> {
        sqlx::query("DELETE FROM hosts WHERE node_id = $1")
            .bind(node)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("forgetting a node's hosts"))?;
        Ok(())
    }

    /// Records that a dashboard on node `node` follows transaction `id`,
    /// which runs on another node.
    pub async fn set_browser_node(&self, id: &str, node: &str) -> Result<()> {
        sqlx::query("UPDATE transactions SET browser_node_id = $2 WHERE id = $1")
            .bind(id)
            .bind(node)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("recording where a dashboard is"))?;
        Ok(())
    }

    /// The node of a dashboard following transaction `id` from another
    /// node, as last recorded.
    pub async fn browser_node(&self, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT browser_node_id FROM transactions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(ctx("reading where a dashboard is"))?;
        Ok(row
            .map(|row| row.try_get::<Option<String>, _>(0))
            .transpose()
            .map_err(ctx("reading where a dashboard is"))?
            .flatten())
    }

    /// Keeps `body` for a message between nodes, under `id`.
    pub async fn put_bus_message(&self, id: &str, body: &str) -> Result<()> {
        sqlx::query("INSERT INTO bus_messages (id, body, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(body)
            .bind(now_ms())
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("keeping a message between nodes"))?;
        Ok(())
    }

    /// Takes (reads and deletes) the body kept under `id`.
    pub async fn take_bus_message(&self, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("DELETE FROM bus_messages WHERE id = $1 RETURNING body")
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(ctx("taking a message between nodes"))?;
        row.map(|row| row.try_get(0))
            .transpose()
            .map_err(ctx("taking a message between nodes"))
    }

    /// Sends a PostgreSQL notification with `payload` on `channel`.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        sqlx::query("SELECT 1 FROM (SELECT pg_notify($1, $2)) AS sent")
            .bind(channel)
            .bind(payload)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("notifying another node"))?;
        Ok(())
    }

    /// Deletes bodies older than `age_ms` (their receiver went away).
    pub async fn sweep_bus_messages(&self, age_ms: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM bus_messages WHERE created_at < $1")
            .bind(now_ms() - age_ms)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("sweeping messages between nodes"))?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::HostRecord;
    use crate::db::test_stores;
    use serde_json::json;

    fn host(instance: &str, node: &str) -> HostRecord {
        HostRecord {
            instance_id: instance.into(),
            node_id: node.into(),
            key_kind: "production".into(),
            owner_id: None,
            actions: json!([{"slug": "hello"}]),
            pages: json!([]),
        }
    }

    #[tokio::test]
    async fn hosts_of_other_live_nodes_are_listed_and_a_moved_host_stays() {
        for store in test_stores().await {
            store.heartbeat("a", 1).await.unwrap();
            store.heartbeat("b", 1).await.unwrap();
            store.host_up(&host("h1", "a")).await.unwrap();
            store.host_up(&host("h2", "b")).await.unwrap();
            store.host_up(&host("h3", "gone")).await.unwrap();
            let (hosts, nodes) = store.hosts_elsewhere("b", 5_000).await.unwrap();
            assert_eq!(hosts, vec![host("h1", "a")]);
            assert_eq!(nodes, vec!["a".to_owned()]);
            // h1 moves to b; a's late "down" leaves b's record.
            store.host_up(&host("h1", "b")).await.unwrap();
            store.host_down("h1", "a").await.unwrap();
            let (hosts, _) = store.hosts_elsewhere("a", 5_000).await.unwrap();
            assert_eq!(hosts.len(), 2);
            store.hosts_of_node_down("b").await.unwrap();
            assert!(store
                .hosts_elsewhere("a", 5_000)
                .await
                .unwrap()
                .0
                .is_empty());
        }
    }

    #[tokio::test]
    async fn a_message_body_is_taken_once() {
        for store in test_stores().await {
            store.put_bus_message("m1", "{\"big\":1}").await.unwrap();
            assert_eq!(
                store.take_bus_message("m1").await.unwrap().as_deref(),
                Some("{\"big\":1}")
            );
            assert_eq!(store.take_bus_message("m1").await.unwrap(), None);
            store.put_bus_message("m2", "x").await.unwrap();
            assert_eq!(store.sweep_bus_messages(-60_000).await.unwrap(), 1);
        }
    }
}
