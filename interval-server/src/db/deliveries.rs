//! Deliveries of notifications: one row per notification and delivery
//! instruction, with its status, attempts and last error. The delivery
//! worker (`crate::delivery`) claims the pending ones that are due, sends
//! them and records the outcome; rows still pending when the server stops
//! are resumed when it starts again.

use std::collections::HashMap;

use interval_protocol::types::DeliveryMethod;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ctx, json_text, parse_json, NotificationRecord, Result, Store};

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

fn delivery_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DeliveryRecord> {
    Ok(DeliveryRecord {
        id: row.get(0)?,
        notification_id: row.get(1)?,
        method: parse_method(&row.get::<_, String>(2)?),
        to: row.get(3)?,
        status: DeliveryStatus::parse(&row.get::<_, String>(4)?),
        attempts: row.get(5)?,
        last_error: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

impl Store {
    /// Stores a notification sent with a key of `environment`
    /// (`development` or `production`) and its deliveries, in one
    /// transaction. An idempotency key already used makes it a no-op:
    /// returns false, and stores neither a notification nor a delivery.
    pub fn notify_with_deliveries(
        &self,
        record: &NotificationRecord,
        idempotency_key: Option<&str>,
        environment: &str,
        deliveries: &[NewDelivery],
    ) -> Result<bool> {
        let doing = "storing a notification";
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(ctx(doing))?;
        let inserted = tx
            .execute(
                "INSERT OR IGNORE INTO notifications (id, message, title, transaction_id, idempotency_key, deliveries, created_at, environment)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    record.id,
                    record.message,
                    record.title,
                    record.transaction_id,
                    idempotency_key,
                    json_text(&record.deliveries),
                    record.created_at,
                    environment
                ],
            )
            .map_err(ctx(doing))?;
        if inserted == 0 {
            return Ok(false);
        }
        let now = super::now_ms();
        for delivery in deliveries {
            tx.execute(
                "INSERT INTO deliveries (notification_id, method, recipient, status, last_error, next_attempt_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    record.id,
                    method_str(delivery.method),
                    delivery.to,
                    delivery.status.as_str(),
                    delivery.error,
                    now
                ],
            )
            .map_err(ctx(doing))?;
        }
        tx.commit().map_err(ctx(doing))?;
        Ok(true)
    }

    /// Makes every pending delivery due now (those claimed by a worker that
    /// stopped with the server included); returns how many there are.
    pub fn resume_pending_deliveries(&self) -> Result<usize> {
        self.conn()
            .execute(
                "UPDATE deliveries SET next_attempt_at = ?1 WHERE status = 'pending'",
                [super::now_ms()],
            )
            .map_err(ctx("resuming deliveries"))
    }

    /// Claims up to `limit` pending deliveries due at `now`, oldest first:
    /// they are not due again before `lease_until` (unless
    /// [`Store::resume_pending_deliveries`] runs), so that one attempt at a
    /// time is made of each.
    pub fn claim_due_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<DueDelivery>> {
        let doing = "claiming deliveries";
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(ctx(doing))?;
        let due = {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT {DELIVERY_COLUMNS}, n.message, n.title, n.transaction_id, n.deliveries, n.created_at
                     FROM deliveries d JOIN notifications n ON n.id = d.notification_id
                     WHERE d.status = 'pending' AND d.next_attempt_at <= ?1
                     ORDER BY d.next_attempt_at, d.id LIMIT ?2"
                ))
                .map_err(ctx(doing))?;
            let rows = stmt
                .query_map(params![now, limit as i64], |row| {
                    let delivery = delivery_from_row(row)?;
                    Ok(DueDelivery {
                        notification: NotificationRecord {
                            id: delivery.notification_id.clone(),
                            message: row.get(8)?,
                            title: row.get(9)?,
                            transaction_id: row.get(10)?,
                            deliveries: parse_json(row.get(11)?).unwrap_or(Value::Null),
                            created_at: row.get(12)?,
                        },
                        delivery,
                    })
                })
                .map_err(ctx(doing))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(ctx(doing))?
        };
        for d in &due {
            tx.execute(
                "UPDATE deliveries SET next_attempt_at = ?1 WHERE id = ?2",
                params![lease_until, d.delivery.id],
            )
            .map_err(ctx(doing))?;
        }
        tx.commit().map_err(ctx(doing))?;
        Ok(due)
    }

    /// When the next pending delivery is due (milliseconds since the
    /// epoch), if any is pending.
    pub fn next_delivery_due(&self) -> Result<Option<i64>> {
        self.conn()
            .query_row(
                "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(ctx("reading deliveries"))
    }

    /// Records an attempt at delivery `id`: its outcome `status` (`Sent`,
    /// `Failed`, or `Pending` to try again at `retry_at`), the number of
    /// attempts so far and the error of this one.
    pub fn record_delivery_attempt(
        &self,
        id: i64,
        status: DeliveryStatus,
        attempts: u32,
        error: Option<&str>,
        retry_at: i64,
    ) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE deliveries SET status = ?2, attempts = ?3, last_error = ?4, next_attempt_at = ?5, updated_at = ?6
                 WHERE id = ?1",
                params![id, status.as_str(), attempts, error, retry_at, super::now_ms()],
            )
            .map_err(ctx("recording a delivery"))?;
        Ok(())
    }

    /// The deliveries of each of `notification_ids`, in the order of their
    /// instructions.
    pub fn deliveries_of(
        &self,
        notification_ids: &[&str],
    ) -> Result<HashMap<String, Vec<DeliveryRecord>>> {
        let doing = "reading deliveries";
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries d WHERE d.notification_id = ?1 ORDER BY d.id"
            ))
            .map_err(ctx(doing))?;
        let mut all = HashMap::new();
        for id in notification_ids {
            let rows = stmt
                .query_map([id], delivery_from_row)
                .map_err(ctx(doing))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(ctx(doing))?;
            if !rows.is_empty() {
                all.insert((*id).to_owned(), rows);
            }
        }
        Ok(all)
    }
}
