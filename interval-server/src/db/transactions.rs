//! Transactions with their logs, queued actions and notifications.

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{
    ctx, decode_all, json_text, now_ms, parse_json, LogRecord, NotificationRecord, QueuedRecord,
    Result, StepRecord, Store, TransactionRecord,
};

const TRANSACTION_COLUMNS: &str = "id, action_slug, status, result_status, params, result, host_instance_id, runner_email, created_at, completed_at, runner_id, environment, node_id";

fn transaction_from_row(row: &AnyRow) -> sqlx::Result<TransactionRecord> {
    Ok(TransactionRecord {
        id: row.try_get(0)?,
        action_slug: row.try_get(1)?,
        status: row.try_get(2)?,
        result_status: row.try_get(3)?,
        params: parse_json(row.try_get(4)?).unwrap_or(Value::Null),
        result: parse_json(row.try_get(5)?),
        host_instance_id: row.try_get(6)?,
        runner_email: row.try_get(7)?,
        created_at: row.try_get(8)?,
        completed_at: row.try_get(9)?,
        runner_id: row.try_get(10)?,
        environment: row.try_get(11)?,
        node_id: row.try_get(12)?,
    })
}

const QUEUED_COLUMNS: &str =
    "id, action_slug, assignee, params, params_meta, created_at, environment, developer_id";

fn queued_from_row(row: &AnyRow) -> sqlx::Result<QueuedRecord> {
    Ok(QueuedRecord {
        id: row.try_get(0)?,
        action_slug: row.try_get(1)?,
        assignee: row.try_get(2)?,
        params: parse_json(row.try_get(3)?).unwrap_or(Value::Null),
        params_meta: parse_json(row.try_get(4)?),
        created_at: row.try_get(5)?,
        environment: row.try_get(6)?,
        developer_id: row.try_get(7)?,
    })
}

pub(super) fn notification_from_row(row: &AnyRow) -> sqlx::Result<NotificationRecord> {
    Ok(NotificationRecord {
        id: row.try_get(0)?,
        message: row.try_get(1)?,
        title: row.try_get(2)?,
        transaction_id: row.try_get(3)?,
        deliveries: parse_json(row.try_get(4)?).unwrap_or(Value::Null),
        created_at: row.try_get(5)?,
    })
}

impl Store {
    // --- Transactions ---------------------------------------------------

    /// Records a new transaction.
    pub async fn insert_transaction(
        &self,
        record: &TransactionRecord,
        params_meta: Option<&Value>,
    ) -> Result<()> {
        self.insert_transaction_for(record, params_meta, None).await
    }

    /// Records a new transaction whose dashboard is on node `browser_node`
    /// (another node than the transaction's; see
    /// [`Store::set_browser_node`]).
    pub async fn insert_transaction_for(
        &self,
        record: &TransactionRecord,
        params_meta: Option<&Value>,
        browser_node: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO transactions (id, action_slug, status, params, params_meta, host_instance_id, runner_email, created_at, runner_id, environment, node_id, browser_node_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&record.id)
        .bind(&record.action_slug)
        .bind(&record.status)
        .bind(json_text(&record.params))
        .bind(params_meta.map(json_text))
        .bind(&record.host_instance_id)
        .bind(&record.runner_email)
        .bind(record.created_at)
        .bind(&record.runner_id)
        .bind(&record.environment)
        .bind(&record.node_id)
        .bind(browser_node)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("recording a transaction"))?;
        Ok(())
    }

    /// Updates a transaction's status (and host) unless it is completed.
    pub async fn set_status(&self, id: &str, status: &str, host: Option<&str>) -> Result<()> {
        sqlx::query(
            "UPDATE transactions SET status = $2, host_instance_id = COALESCE($3, host_instance_id)
             WHERE id = $1 AND status != 'COMPLETED'",
        )
        .bind(id)
        .bind(status)
        .bind(host)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("updating a transaction"))?;
        Ok(())
    }

    /// Marks a transaction its host took as running, unless it is past
    /// that already (its host's first question may be recorded first).
    pub async fn mark_started(&self, id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE transactions SET status = 'RUNNING' WHERE id = $1 AND status = 'PENDING'",
        )
        .bind(id)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("updating a transaction"))?;
        Ok(())
    }

    /// Sets the result status without completing (e.g. REDIRECTED).
    pub async fn set_result_status(&self, id: &str, result_status: &str) -> Result<()> {
        sqlx::query("UPDATE transactions SET result_status = $2 WHERE id = $1")
            .bind(id)
            .bind(result_status)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(ctx("updating a transaction"))?;
        Ok(())
    }

    /// Completes a transaction; a result status already set (CANCELED,
    /// REDIRECTED) is kept. Returns the result status stored, or `None` if
    /// it was already completed.
    pub async fn complete(
        &self,
        id: &str,
        result_status: &str,
        result: Option<&Value>,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "UPDATE transactions SET status = 'COMPLETED',
                result_status = COALESCE(result_status, $2), result = $3, completed_at = $4
             WHERE id = $1 AND status != 'COMPLETED'
             RETURNING result_status",
        )
        .bind(id)
        .bind(result_status)
        .bind(result.map(json_text))
        .bind(now_ms())
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("completing a transaction"))?;
        row.map(|row| row.try_get(0))
            .transpose()
            .map_err(ctx("completing a transaction"))
    }

    /// Keeps the steps of finished transaction `id` (once: a retried
    /// completion keeps the first).
    pub async fn save_steps(&self, id: &str, steps: &[StepRecord]) -> Result<()> {
        let text = serde_json::to_string(steps).map_err(|e| super::DbError::Corrupt {
            what: "the steps of a transaction",
            detail: e.to_string(),
        })?;
        sqlx::query(
            "INSERT INTO transaction_steps (transaction_id, steps, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (transaction_id) DO NOTHING",
        )
        .bind(id)
        .bind(text)
        .bind(now_ms())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("keeping the steps of a transaction"))?;
        Ok(())
    }

    /// The steps kept for finished transaction `id` (none if it had none,
    /// or ran before they were kept).
    pub async fn steps(&self, id: &str) -> Result<Vec<StepRecord>> {
        let row = sqlx::query("SELECT steps FROM transaction_steps WHERE transaction_id = $1")
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(ctx("reading the steps of a transaction"))?;
        let Some(row) = row else {
            return Ok(Vec::new());
        };
        let text: String = row
            .try_get(0)
            .map_err(ctx("reading the steps of a transaction"))?;
        serde_json::from_str(&text).map_err(|e| super::DbError::Corrupt {
            what: "the steps of a transaction",
            detail: e.to_string(),
        })
    }

    /// One transaction.
    pub async fn transaction(&self, id: &str) -> Result<Option<TransactionRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {TRANSACTION_COLUMNS} FROM transactions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading a transaction"))?;
        row.as_ref()
            .map(transaction_from_row)
            .transpose()
            .map_err(ctx("reading a transaction"))
    }

    /// The most recent transactions, newest first.
    pub async fn history(&self, limit: u32) -> Result<Vec<TransactionRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {TRANSACTION_COLUMNS} FROM transactions ORDER BY created_at DESC, rowid DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading the history"))?;
        decode_all(rows, transaction_from_row, "reading the history")
    }

    /// Marks with `status` every unfinished transaction whose node is
    /// gone: none recorded, or one whose heartbeat is older than
    /// `node_timeout_ms` (at the start of a server, its predecessor's, or
    /// those of a node that died); returns how many.
    pub async fn interrupt_orphans(&self, status: &str, node_timeout_ms: i64) -> Result<usize> {
        let done = sqlx::query(
            "UPDATE transactions SET status = $1
             WHERE status IN ('PENDING', 'RUNNING', 'AWAITING_INPUT')
               AND (node_id IS NULL
                    OR node_id NOT IN (SELECT id FROM nodes WHERE seen_at > $2))",
        )
        .bind(status)
        .bind(now_ms() - node_timeout_ms)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("marking interrupted transactions"))?;
        Ok(done.rows_affected() as usize)
    }

    // --- Logs -----------------------------------------------------------

    /// Appends a log line; a retried line (same index) is stored once.
    /// Returns the index used.
    pub async fn add_log(
        &self,
        transaction_id: &str,
        index: Option<i64>,
        data: &str,
        at: i64,
    ) -> Result<(i64, bool)> {
        let index = match index {
            Some(index) => index,
            None => sqlx::query("SELECT COUNT(*) FROM logs WHERE transaction_id = $1")
                .bind(transaction_id)
                .fetch_one(&mut *self.conn().await?)
                .await
                .and_then(|row| row.try_get(0))
                .map_err(ctx("counting logs"))?,
        };
        let inserted = sqlx::query(
            "INSERT INTO logs (transaction_id, idx, data, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(transaction_id)
        .bind(index)
        .bind(data)
        .bind(at)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("storing a log line"))?;
        Ok((index, inserted.rows_affected() > 0))
    }

    /// The logs of a transaction, in order.
    pub async fn logs(&self, transaction_id: &str) -> Result<Vec<LogRecord>> {
        let rows = sqlx::query(
            "SELECT idx, data, created_at FROM logs WHERE transaction_id = $1 ORDER BY idx, created_at",
        )
        .bind(transaction_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading logs"))?;
        decode_all(
            rows,
            |row| {
                Ok(LogRecord {
                    index: row.try_get(0)?,
                    data: row.try_get(1)?,
                    created_at: row.try_get(2)?,
                })
            },
            "reading logs",
        )
    }

    // --- Queued actions -------------------------------------------------

    /// Queues an action.
    pub async fn enqueue(&self, record: &QueuedRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO queued_actions ({QUEUED_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&record.id)
        .bind(&record.action_slug)
        .bind(&record.assignee)
        .bind(json_text(&record.params))
        .bind(record.params_meta.as_ref().map(json_text))
        .bind(record.created_at)
        .bind(&record.environment)
        .bind(&record.developer_id)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("queuing an action"))?;
        Ok(())
    }

    /// A queued action, left in the queue.
    pub async fn queued(&self, id: &str) -> Result<Option<QueuedRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {QUEUED_COLUMNS} FROM queued_actions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading a queued action"))?;
        row.as_ref()
            .map(queued_from_row)
            .transpose()
            .map_err(ctx("reading a queued action"))
    }

    /// Removes a queued action and returns it; `None` when it was not
    /// there (or another node took it first).
    pub async fn dequeue(&self, id: &str) -> Result<Option<QueuedRecord>> {
        let row = sqlx::query(&format!(
            "DELETE FROM queued_actions WHERE id = $1 RETURNING {QUEUED_COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("removing a queued action"))?;
        row.as_ref()
            .map(queued_from_row)
            .transpose()
            .map_err(ctx("removing a queued action"))
    }

    /// Every queued action, oldest first.
    pub async fn queue(&self) -> Result<Vec<QueuedRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {QUEUED_COLUMNS} FROM queued_actions ORDER BY created_at, rowid"
        ))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading the queue"))?;
        decode_all(rows, queued_from_row, "reading the queue")
    }

    // --- Notifications --------------------------------------------------

    /// The most recent notifications, newest first.
    pub async fn notifications(&self, limit: u32) -> Result<Vec<NotificationRecord>> {
        let rows = sqlx::query(
            "SELECT id, message, title, transaction_id, deliveries, created_at FROM notifications
             ORDER BY created_at DESC, rowid DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading notifications"))?;
        decode_all(rows, notification_from_row, "reading notifications")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_stores;

    #[tokio::test]
    async fn a_start_recorded_late_does_not_hide_the_first_question() {
        for store in test_stores().await {
            let record = TransactionRecord {
                id: "t".into(),
                action_slug: "a".into(),
                status: "PENDING".into(),
                result_status: None,
                params: Value::Null,
                result: None,
                host_instance_id: None,
                runner_email: "a@example.com".into(),
                runner_id: None,
                environment: "production".into(),
                created_at: 1,
                completed_at: None,
                node_id: None,
            };
            store.insert_transaction(&record, None).await.unwrap();
            store.mark_started("t").await.unwrap();
            assert_eq!(
                store.transaction("t").await.unwrap().unwrap().status,
                "RUNNING"
            );
            // The host's question was recorded before its start was.
            store.set_status("t", "AWAITING_INPUT", None).await.unwrap();
            store.mark_started("t").await.unwrap();
            assert_eq!(
                store.transaction("t").await.unwrap().unwrap().status,
                "AWAITING_INPUT"
            );
        }
    }

    #[tokio::test]
    async fn the_steps_of_a_finished_run_are_kept_once() {
        for store in test_stores().await {
            assert_eq!(store.steps("t").await.unwrap(), Vec::new());
            let first = vec![
                StepRecord {
                    render: serde_json::json!({"inputGroupKey": "a"}),
                    answers: None,
                    choice: None,
                },
                StepRecord {
                    render: serde_json::json!({"inputGroupKey": "b"}),
                    answers: Some(vec![Value::from("Ada")]),
                    choice: Some("Continue".into()),
                },
            ];
            store.save_steps("t", &first).await.unwrap();
            // A retried completion keeps what the first one kept.
            store.save_steps("t", &first[..1]).await.unwrap();
            assert_eq!(store.steps("t").await.unwrap(), first);
        }
    }
}
