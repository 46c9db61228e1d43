//! Deliveries of notifications: one row per notification and delivery
//! instruction, with its status, attempts and last error. The delivery
//! worker (`crate::delivery`) claims the pending ones that are due, sends
//! them and records the outcome; rows still pending when the server stops
//! are resumed when it starts again.

use futures_util::future::BoxFuture;
use std::collections::HashMap;

use interval_protocol::types::DeliveryMethod;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Connection, Row};

use super::{ctx, decode_all, json_text, parse_json, NotificationRecord, Result, Store};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not sent yet: waiting for its first attempt, or for a retry.
    Pending,
    /// Handed to the SMTP server, or accepted by Slack.
    Sent,
    /// Given up on; `last_error` says why.
    Failed,
    /// Not to be sent (a development key's notification); `last_error`
    /// says why.
    Skipped,
}

impl DeliveryStatus {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Skipped => "skipped",
        }
    }

    fn parse(text: &str) -> DeliveryStatus {
        match text {
            "sent" => DeliveryStatus::Sent,
            "failed" => DeliveryStatus::Failed,
            "skipped" => DeliveryStatus::Skipped,
            _ => DeliveryStatus::Pending,
        }
    }
}

fn method_str(method: DeliveryMethod) -> &'static str {
    match method {
        DeliveryMethod::Email => "EMAIL",
        DeliveryMethod::Slack => "SLACK",
    }
}

fn parse_method(text: &str) -> DeliveryMethod {
    match text {
        "SLACK" => DeliveryMethod::Slack,
        _ => DeliveryMethod::Email,
    }
}

/// A delivery to store with a new notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// E-mail or Slack (resolved when the instruction had no method).
    pub method: DeliveryMethod,
    /// The address, channel or user.
    pub to: String,
    /// `Pending` to send it; `Failed` or `Skipped` when it is known at once
    /// that it will not be sent.
    pub status: DeliveryStatus,
    /// Why it is failed or skipped.
    pub error: Option<String>,
}

/// One stored delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// Its id.
    pub id: i64,
    /// The notification it delivers.
    pub notification_id: String,
    /// E-mail or Slack.
    pub method: DeliveryMethod,
    /// The address, channel or user.
    pub to: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// The error of the last failed attempt (or why it was skipped).
    pub last_error: Option<String>,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
}

/// A delivery claimed by the worker, with its notification.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    /// The delivery.
    pub delivery: DeliveryRecord,
    /// What it delivers.
    pub notification: NotificationRecord,
}

const DELIVERY_COLUMNS: &str =
    "d.id, d.notification_id, d.method, d.recipient, d.status, d.attempts, d.last_error, d.updated_at";

fn delivery_from_row(row: &AnyRow) -> sqlx::Result<DeliveryRecord> {
    Ok(DeliveryRecord {
        id: row.try_get(0)?,
        notification_id: row.try_get(1)?,
        method: parse_method(&row.try_get::<String, _>(2)?),
        to: row.try_get(3)?,
        status: DeliveryStatus::parse(&row.try_get::<String, _>(4)?),
        attempts: u32::try_from(row.try_get::<i64, _>(5)?).unwrap_or(u32::MAX),
        last_error: row.try_get(6)?,
        updated_at: row.try_get(7)?,
    })
}

fn due_from_row(row: &AnyRow) -> sqlx::Result<DueDelivery> {
    let delivery = delivery_from_row(row)?;
    Ok(DueDelivery {
        notification: NotificationRecord {
            id: delivery.notification_id.clone(),
            message: row.try_get(8)?,
            title: row.try_get(9)?,
            transaction_id: row.try_get(10)?,
            deliveries: parse_json(row.try_get(11)?).unwrap_or(Value::Null),
            created_at: row.try_get(12)?,
        },
        delivery,
    })
}

impl Store {
    /// Stores a notification sent with a key of `environment`
    /// (`development` or `production`) and its deliveries, in one
    /// transaction. An idempotency key already used makes it a no-op:
    /// returns false, and stores neither a notification nor a delivery.
    pub fn notify_with_deliveries<'a>(
        &'a self,
        record: &'a NotificationRecord,
        idempotency_key: Option<&'a str>,
        environment: &'a str,
        deliveries: &'a [NewDelivery],
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let doing = "storing a notification";
            let mut conn = self.conn().await?;
            let mut tx = conn.begin().await.map_err(ctx(doing))?;
            let inserted = sqlx::query(
                "INSERT INTO notifications (id, message, title, transaction_id, idempotency_key, deliveries, created_at, environment)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&record.id)
            .bind(&record.message)
            .bind(&record.title)
            .bind(&record.transaction_id)
            .bind(idempotency_key)
            .bind(json_text(&record.deliveries))
            .bind(record.created_at)
            .bind(environment)
            .execute(&mut *tx)
            .await
            .map_err(ctx(doing))?;
            if inserted.rows_affected() == 0 {
                return Ok(false);
            }
            let now = super::now_ms();
            for delivery in deliveries {
                sqlx::query(
                    "INSERT INTO deliveries (notification_id, method, recipient, status, last_error, next_attempt_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(&record.id)
                .bind(method_str(delivery.method))
                .bind(&delivery.to)
                .bind(delivery.status.as_str())
                .bind(&delivery.error)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(ctx(doing))?;
            }
            tx.commit().await.map_err(ctx(doing))?;
            Ok(true)
        })
    }

    /// Makes every pending delivery due now (those claimed by a worker that
    /// stopped with the server included); returns how many there are.
    pub async fn resume_pending_deliveries(&self) -> Result<usize> {
        let done =
            sqlx::query("UPDATE deliveries SET next_attempt_at = $1 WHERE status = 'pending'")
                .bind(super::now_ms())
                .execute(&mut *self.conn().await?)
                .await
                .map_err(ctx("resuming deliveries"))?;
        Ok(done.rows_affected() as usize)
    }

    /// Claims up to `limit` pending deliveries due at `now`, oldest first:
    /// they are not due again before `lease_until` (unless
    /// [`Store::resume_pending_deliveries`] runs), so that one attempt at a
    /// time is made of each. The claim is one `UPDATE` whose condition is
    /// checked again on each row it changes: two nodes claiming at once
    /// never both get a delivery.
    pub fn claim_due_deliveries<'a>(
        &'a self,
        now: i64,
        lease_until: i64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<DueDelivery>>> {
        Box::pin(async move {
            let doing = "claiming deliveries";
            let mut conn = self.conn().await?;
            let mut tx = conn.begin().await.map_err(ctx(doing))?;
            let claimed = sqlx::query(
                "UPDATE deliveries SET next_attempt_at = $2
                 WHERE status = 'pending' AND next_attempt_at <= $1 AND id IN (
                    SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1
                    ORDER BY next_attempt_at, id LIMIT $3)
                 RETURNING id",
            )
            .bind(now)
            .bind(lease_until)
            .bind(limit as i64)
            .fetch_all(&mut *tx)
            .await
            .map_err(ctx(doing))?;
            let mut ids: Vec<i64> = decode_all(claimed, |row| row.try_get(0), doing)?;
            ids.sort_unstable();
            let mut due = Vec::with_capacity(ids.len());
            for id in ids {
                let row = sqlx::query(&format!(
                    "SELECT {DELIVERY_COLUMNS}, n.message, n.title, n.transaction_id, n.deliveries, n.created_at
                     FROM deliveries d JOIN notifications n ON n.id = d.notification_id
                     WHERE d.id = $1"
                ))
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(ctx(doing))?;
                due.push(due_from_row(&row).map_err(ctx(doing))?);
            }
            tx.commit().await.map_err(ctx(doing))?;
            Ok(due)
        })
    }

    /// When the next pending delivery is due (milliseconds since the
    /// epoch), if any is pending.
    pub async fn next_delivery_due(&self) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT next_attempt_at FROM deliveries WHERE status = 'pending'
             ORDER BY next_attempt_at LIMIT 1",
        )
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(ctx("reading deliveries"))?;
        row.map(|row| row.try_get(0))
            .transpose()
            .map_err(ctx("reading deliveries"))
    }

    /// Records an attempt at delivery `id`: its outcome `status` (`Sent`,
    /// `Failed`, or `Pending` to try again at `retry_at`), the number of
    /// attempts so far and the error of this one.
    pub async fn record_delivery_attempt(
        &self,
        id: i64,
        status: DeliveryStatus,
        attempts: u32,
        error: Option<&str>,
        retry_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE deliveries SET status = $2, attempts = $3, last_error = $4, next_attempt_at = $5, updated_at = $6
             WHERE id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(i64::from(attempts))
        .bind(error)
        .bind(retry_at)
        .bind(super::now_ms())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(ctx("recording a delivery"))?;
        Ok(())
    }

    /// The deliveries of each of `notification_ids`, in the order of their
    /// instructions.
    pub async fn deliveries_of(
        &self,
        notification_ids: &[&str],
    ) -> Result<HashMap<String, Vec<DeliveryRecord>>> {
        let doing = "reading deliveries";
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries d WHERE d.notification_id = $1 ORDER BY d.id"
        );
        let mut all = HashMap::new();
        for id in notification_ids {
            let rows = sqlx::query(&sql)
                .bind(*id)
                .fetch_all(&mut *self.conn().await?)
                .await
                .map_err(ctx(doing))?;
            let rows = decode_all(rows, delivery_from_row, doing)?;
            if !rows.is_empty() {
                all.insert((*id).to_owned(), rows);
            }
        }
        Ok(all)
    }
}
