//! The transport between nodes: PostgreSQL's `LISTEN`/`NOTIFY`, so that
//! nodes sharing a database need nothing else to talk. Each node listens on
//! a channel of its own and on one for every node; a message too large for
//! a notification (PostgreSQL's limit is 8000 bytes) is kept in the
//! `bus_messages` table and the notification carries its id.

use sqlx::postgres::{PgListener, PgNotification};

use super::messages::BusMessage;
use crate::db::{DbError, Store};

/// Bodies longer than this go through the `bus_messages` table.
const MAX_INLINE: usize = 7_000;

/// A notification's payload that refers to a kept body starts with this.
const KEPT: char = '@';

/// How long a kept body waits for its receiver before it is swept.
pub(crate) const KEPT_FOR_MS: i64 = 60_000;

/// Sends messages to nodes over the store's database.
pub(crate) struct Bus {
    store: Store,
    /// The channels' prefix: `interval_` and the schema's digest, so that
    /// several deployments in one database (one schema each) do not hear
    /// each other.
    prefix: String,
}

impl Bus {
    /// The bus over `store`, whose tables are in `schema`.
    pub fn new(store: Store, schema: Option<&str>) -> Bus {
        let digest = crate::keys::token_hash(schema.unwrap_or("public"));
        Bus {
            store,
            prefix: format!("interval_{}", &digest[..8]),
        }
    }

    /// The channel node `node` listens on.
    pub fn channel_of(&self, node: &str) -> String {
        let node: String = node.chars().filter(char::is_ascii_alphanumeric).collect();
        format!("{}_{node}", self.prefix)
    }

    /// The channel every node listens on.
    pub fn everyone(&self) -> String {
        format!("{}_all", self.prefix)
    }

    /// Sends `message` on `channel`.
    pub async fn send(&self, channel: &str, message: &BusMessage) -> Result<(), DbError> {
        let text = serde_json::to_string(message)
            .map_err(|e| DbError::Io(format!("could not encode a message between nodes: {e}")))?;
        let payload = if text.len() > MAX_INLINE {
            let id = interval_protocol::new_id().simple().to_string();
            self.store.put_bus_message(&id, &text).await?;
            format!("{KEPT}{id}")
        } else {
            text
        };
        self.store.notify(channel, &payload).await
    }

    /// A connection listening on `channels`.
    pub async fn listen(url: &str, channels: &[String]) -> Result<PgListener, sqlx::Error> {
        let mut listener = PgListener::connect(url).await?;
        listener
            .listen_all(channels.iter().map(String::as_str))
            .await?;
        Ok(listener)
    }

    /// The message a notification carries (taking a kept body); `None`
    /// for one that cannot be read (logged).
    pub async fn read(&self, notification: &PgNotification) -> Option<BusMessage> {
        let payload = notification.payload();
        let text = match payload.strip_prefix(KEPT) {
            Some(id) => match self.store.take_bus_message(id).await {
                Ok(Some(text)) => text,
                Ok(None) => {
                    tracing::warn!("a message between nodes was gone before it was read");
                    return None;
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    return None;
                }
            },
            None => payload.to_owned(),
        };
        match serde_json::from_str(&text) {
            Ok(message) => Some(message),
            Err(e) => {
                tracing::warn!("an unreadable message between nodes: {e}");
                None
            }
        }
    }
}
