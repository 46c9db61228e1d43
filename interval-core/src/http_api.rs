//! The HTTP API (§7): enqueue, dequeue and notify, over reqwest.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use interval_protocol::http::{
    ApiResponse, DequeueBody, DequeueSuccess, Empty, EnqueueBody, EnqueueSuccess, NotifyBody,
    DEQUEUE_PATH, ENQUEUE_PATH, NOTIFY_PATH,
};
use interval_protocol::superjson;
use interval_protocol::types::{DeliveryInstruction, DeliveryMethod};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::state::HostState;

/// An action put in a user's queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedAction {
    /// The queued action's id (pass it to [`Interval::dequeue`](crate::Interval::dequeue)).
    pub id: String,
    /// The assignee's e-mail.
    pub assignee: Option<String>,
    /// The params it runs with.
    pub params: Map<String, Value>,
}

/// The HTTP base of a WebSocket endpoint: `ws`→`http`, `wss`→`https`, no
/// path, no query (`wss://x.example/websocket` → `https://x.example`).
pub fn http_base(endpoint: &str) -> Result<String> {
    let mut url = url::Url::parse(endpoint)
        .map_err(|e| Error::Config(format!("invalid endpoint {endpoint:?}: {e}")))?;
    let scheme = match url.scheme() {
        "ws" | "http" => "http",
        "wss" | "https" => "https",
        other => {
            return Err(Error::Config(format!(
                "invalid endpoint {endpoint:?}: unsupported scheme {other:?}"
            )))
        }
    };
    url.set_scheme(scheme)
        .map_err(|()| Error::Config(format!("invalid endpoint {endpoint:?}")))?;
    url.set_path("");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Params as the API takes them: the superjson `json` map and its meta.
type EncodedParams = (Map<String, Value>, Option<superjson::Meta>);

/// Turns params into the superjson pair the API takes.
fn encode_params<P: Serialize>(params: P) -> Result<EncodedParams> {
    let value = serde_json::to_value(params)
        .map_err(|e| Error::Interval(format!("Invalid input: params cannot be serialized: {e}")))?;
    match superjson::encode(value) {
        (Value::Object(map), meta) => Ok((map, meta)),
        (Value::Null, _) => Ok((Map::new(), None)),
        _ => Err(Error::Interval(
            "Invalid input: params must serialize to a map of values".into(),
        )),
    }
}

/// A pending enqueue of `slug` (see [`Enqueue`]).
pub(crate) fn enqueue(host: Arc<HostState>, slug: String) -> Enqueue {
    Enqueue {
        host,
        slug,
        assignee: None,
        params: Ok(None),
    }
}

/// Removes a queued action and returns what it was.
pub(crate) async fn dequeue(host: &HostState, id: String) -> Result<QueuedAction> {
    let reply: DequeueSuccess = post(
        host,
        DEQUEUE_PATH,
        &DequeueBody { id },
        "There was a problem dequeuing the action: ",
    )
    .await?;
    let params = match superjson::decode(
        Value::Object(reply.params.unwrap_or_default()),
        reply.params_meta.as_ref(),
    ) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    Ok(QueuedAction {
        id: reply.id,
        assignee: reply.assignee,
        params,
    })
}

/// A pending notification (see [`Notify`]).
pub(crate) fn notify(host: Arc<HostState>, message: impl Into<String>) -> Notify {
    Notify {
        host,
        body: NotifyBody {
            message: message.into(),
            title: None,
            transaction_id: None,
            idempotency_key: None,
            delivery_instructions: Vec::new(),
            created_at: String::new(),
        },
    }
}

/// POSTs `body` to the server's HTTP API with the host's key.
async fn post<B: Serialize, T: DeserializeOwned>(
    host: &HostState,
    path: &str,
    body: &B,
    error_prefix: &str,
) -> Result<T> {
    let config = &host.config;
    let endpoint = host.endpoint().ok_or_else(|| {
        Error::Config(
            "no endpoint: set INTERVAL_ENDPOINT or call .endpoint(..), or call listen() first to use the embedded server"
                .into(),
        )
    })?;
    let url = format!("{}{path}", http_base(&endpoint.url)?);
    let key = endpoint.api_key.ok_or_else(|| {
        Error::Config("no API key: set INTERVAL_API_KEY or call .api_key(..)".into())
    })?;
    let http_error = |e: reqwest::Error| Error::Http {
        url: url.clone(),
        reason: e.to_string(),
    };
    let response = host
        .http()
        .post(&url)
        .bearer_auth(&key)
        .timeout(config.response_timeout)
        .json(body)
        .send()
        .await
        .map_err(http_error)?;
    let status = response.status();
    let text = response.text().await.map_err(http_error)?;
    match serde_json::from_str::<ApiResponse<T>>(&text) {
        Ok(ApiResponse::Success(value)) => Ok(value),
        Ok(ApiResponse::Error { message }) => {
            Err(Error::Interval(format!("{error_prefix}{message}")))
        }
        Err(e) => {
            tracing::debug!("invalid API response from {url} ({status}): {e}");
            Err(Error::Interval(format!(
                "Received invalid API response (HTTP {status} from {url})."
            )))
        }
    }
}

/// A pending [`Interval::enqueue`](crate::Interval::enqueue); `.await` it.
#[must_use = "an enqueue does nothing until awaited"]
pub struct Enqueue {
    host: Arc<HostState>,
    slug: String,
    assignee: Option<String>,
    params: Result<Option<EncodedParams>>,
}

impl Enqueue {
    /// The e-mail of the user who should run it.
    pub fn assignee(mut self, email: impl Into<String>) -> Self {
        self.assignee = Some(email.into());
        self
    }

    /// The params it runs with (anything that serializes to a map).
    pub fn params<P: Serialize>(mut self, params: P) -> Self {
        self.params = encode_params(params).map(Some);
        self
    }
}

impl IntoFuture for Enqueue {
    type Output = Result<QueuedAction>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let params = self.params?;
            let body = EnqueueBody {
                slug: self.slug,
                assignee: self.assignee.clone(),
                params: params.as_ref().map(|(json, _)| json.clone()),
                params_meta: params.as_ref().and_then(|(_, meta)| meta.clone()),
            };
            let reply: EnqueueSuccess = post(
                &self.host,
                ENQUEUE_PATH,
                &body,
                "There was a problem enqueuing the action: ",
            )
            .await?;
            Ok(QueuedAction {
                id: reply.id,
                assignee: self.assignee,
                params: body.params.unwrap_or_default(),
            })
        })
    }
}

/// A pending [`Interval::notify`](crate::Interval::notify); `.await` it.
#[must_use = "a notification is not sent until awaited"]
pub struct Notify {
    host: Arc<HostState>,
    body: NotifyBody,
}

impl Notify {
    /// A title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.body.title = Some(title.into());
        self
    }

    /// Delivers to `to` (an e-mail address, or a Slack channel/user) by
    /// `method` (the server picks when `None`). Call it once per recipient.
    pub fn delivery(mut self, to: impl Into<String>, method: Option<DeliveryMethod>) -> Self {
        self.body.delivery_instructions.push(DeliveryInstruction {
            to: to.into(),
            method,
        });
        self
    }

    /// Ties the notification to a transaction.
    pub fn transaction_id(mut self, id: impl Into<String>) -> Self {
        self.body.transaction_id = Some(id.into());
        self
    }

    /// Makes repeated sends with the same key a no-op.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.body.idempotency_key = Some(key.into());
        self
    }
}

impl IntoFuture for Notify {
    type Output = Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(mut self) -> Self::IntoFuture {
        Box::pin(async move {
            self.body.created_at =
                humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
            let _: Empty = post(
                &self.host,
                NOTIFY_PATH,
                &self.body,
                "There was a problem sending the notification: ",
            )
            .await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::http_base;

    #[test]
    fn derives_the_http_base_like_the_node_sdk() {
        assert_eq!(
            http_base("wss://x.example/websocket").unwrap(),
            "https://x.example"
        );
        assert_eq!(
            http_base("ws://localhost:3000/websocket?a=1").unwrap(),
            "http://localhost:3000"
        );
        assert!(http_base("ftp://x").is_err());
        assert!(http_base("not a url").is_err());
    }
}
