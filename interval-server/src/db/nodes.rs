//! Server nodes sharing one database: each writes a heartbeat, and records
//! itself as the node of the transactions its hosts run. When a node goes
//! away (a crash, `kill -9`, a machine lost), its hosts reconnect to
//! another node, which takes its transactions over once its heartbeat is
//! stale; a node that stops on purpose removes its row, so that its
//! transactions are taken over at once.

use super::{ctx, now_ms, Result, Store};

impl Store {
    /// Records that node `id` is alive now (started at `started_at`, ms).
    pub async fn heartbeat(&self, id: &str, started_at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO nodes (id, started_at, seen_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(id)
        .bind(started_at)
        .bind(now_ms())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("recording a heartbeat"))?;
        Ok(())
    }

    /// Removes node `id` (it stops on purpose): its transactions may be
    /// taken over at once.
    pub async fn leave(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM nodes WHERE id = $1")
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("removing a node"))?;
        Ok(())
    }

    /// Makes node `node` the one of transaction `id`, which host instance
    /// `instance` runs, if that is the transaction's host and it is not
    /// completed, and its node is gone (none, or no heartbeat within
    /// `node_timeout_ms`), is `node` already, or gave it up
    /// (`HOST_CONNECTION_DROPPED`). Its status becomes `RUNNING`. Returns
    /// whether it is `node`'s now. Two nodes claiming at once cannot both
    /// succeed: the condition is checked again on the row it changes.
    pub async fn claim_transaction(
        &self,
        id: &str,
        instance: &str,
        node: &str,
        node_timeout_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE transactions SET node_id = $3, status = 'RUNNING'
             WHERE id = $1 AND host_instance_id = $2
               AND (status = 'HOST_CONNECTION_DROPPED'
                    OR (status IN ('PENDING', 'RUNNING', 'AWAITING_INPUT')
                        AND (node_id IS NULL OR node_id = $3
                             OR node_id NOT IN (SELECT id FROM nodes WHERE seen_at > $4))))",
        )
        .bind(id)
        .bind(instance)
        .bind(node)
        .bind(now_ms() - node_timeout_ms)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("taking a transaction over"))?;
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::db::{test_stores, TransactionRecord};

    fn running(id: &str, node: Option<&str>) -> TransactionRecord {
        TransactionRecord {
            id: id.into(),
            action_slug: "a".into(),
            status: "AWAITING_INPUT".into(),
            result_status: None,
            params: serde_json::json!({}),
            result: None,
            host_instance_id: Some("host-1".into()),
            runner_email: "a@example.com".into(),
            runner_id: None,
            environment: "production".into(),
            created_at: 1,
            completed_at: None,
            node_id: node.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn a_live_nodes_transactions_stay_its_own_and_a_gone_nodes_are_taken_over() {
        for store in test_stores().await {
            store.heartbeat("a", 1).await.unwrap();
            store.heartbeat("b", 1).await.unwrap();
            store
                .insert_transaction(&running("t1", Some("a")), None)
                .await
                .unwrap();
            store
                .insert_transaction(&running("t2", Some("gone")), None)
                .await
                .unwrap();
            store
                .insert_transaction(&running("t3", None), None)
                .await
                .unwrap();
            // At a start, only transactions of nodes that are gone are marked.
            assert_eq!(
                store
                    .interrupt_orphans("HOST_CONNECTION_DROPPED", 5_000)
                    .await
                    .unwrap(),
                2
            );
            assert_eq!(
                store.transaction("t1").await.unwrap().unwrap().status,
                "AWAITING_INPUT"
            );
            // B cannot take A's over while A is alive, nor with another host.
            assert!(!store
                .claim_transaction("t1", "host-1", "b", 5_000)
                .await
                .unwrap());
            assert!(!store
                .claim_transaction("t2", "host-2", "b", 5_000)
                .await
                .unwrap());
            assert!(store
                .claim_transaction("t2", "host-1", "b", 5_000)
                .await
                .unwrap());
            // A leaves (or its heartbeat goes stale): B takes it over.
            store.leave("a").await.unwrap();
            assert!(store
                .claim_transaction("t1", "host-1", "b", 5_000)
                .await
                .unwrap());
            let t1 = store.transaction("t1").await.unwrap().unwrap();
            assert_eq!(
                (t1.node_id.as_deref(), t1.status.as_str()),
                (Some("b"), "RUNNING")
            );
            // A completed transaction is nobody's to take.
            store.complete("t1", "SUCCESS", None).await.unwrap();
            assert!(!store
                .claim_transaction("t1", "host-1", "b", 5_000)
                .await
                .unwrap());
        }
    }
}
