//! Uploads to URLs the host provides (`UPLOAD_FILE` with `fileUrls`, the
//! SDKs' `generatePresignedUrls`), relayed by this server.
//!
//! Why a relay: the upload URLs of a store such as S3 are on another
//! origin, and the page's Content-Security-Policy allows connections to
//! this server only (`connect-src 'self'`). A policy is fixed when the page
//! loads, while the host hands out its URLs later, over the socket, once a
//! file is chosen; widening `connect-src` to every origin a host might use
//! (or to `https:`) would let any script that got into the page send data
//! anywhere. So the page keeps `connect-src 'self'` and PUTs the file here,
//! to a random token the server handed to the person running the
//! transaction for exactly one of the URLs the host sent for that field in
//! the render being answered; the server PUTs the bytes to that URL and
//! nowhere else. The host's download URL is what the host gets back.
//!
//! What the relay refuses, so that a host cannot use it to reach what it
//! could not reach itself: schemes other than `http`/`https`, link-local,
//! unspecified, multicast and broadcast addresses (cloud metadata services
//! live at 169.254.169.254), and redirects (a 3xx is a failure). The
//! address is resolved once, checked, and the connection pinned to it, so
//! a name cannot be re-pointed between the check and the request. The
//! store's answer is not passed on, only its status.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::uploads::MAX_UPLOAD_BYTES;
use super::Dashboard;

struct Relay {
    transaction_id: String,
    target: Url,
    done: bool,
}

/// The host-provided upload URLs handed out as relay tokens.
#[derive(Default)]
pub struct Relays {
    relays: Mutex<HashMap<String, Relay>>,
}

impl Relays {
    fn relays(&self) -> MutexGuard<'_, HashMap<String, Relay>> {
        self.relays.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A URL of this server (`base_url`) that relays a PUT to `target`, an
    /// upload URL the host sent for a field of `transaction_id`.
    pub fn register(
        &self,
        base_url: &str,
        transaction_id: &str,
        target: &str,
    ) -> Result<String, String> {
        let target = Url::parse(target)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or("The action gave an upload URL that is not an http(s) URL.")?;
        let token = interval_protocol::new_id().simple().to_string();
        self.relays().insert(
            token.clone(),
            Relay {
                transaction_id: transaction_id.to_owned(),
                target,
                done: false,
            },
        );
        Ok(format!("{base_url}/uploads/relay/{token}"))
    }

    /// Forgets the relays of a finished transaction.
    pub fn forget_transaction(&self, transaction_id: &str) {
        self.relays()
            .retain(|_, r| r.transaction_id != transaction_id);
    }
}

/// Whether the relay may connect to `ip`.
fn allowed(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_link_local() || v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast())
        }
        IpAddr::V6(v6) => {
            let link_local = (v6.segments()[0] & 0xffc0) == 0xfe80;
            !(link_local || v6.is_unspecified() || v6.is_multicast())
        }
    }
}

/// A client that reaches `target` at a checked address only.
async fn client_for(target: &Url) -> Result<reqwest::Client, String> {
    let host = target.host_str().unwrap_or_default();
    let port = target.port_or_known_default().unwrap_or(443);
    let unreachable = || format!("The storage at {host} could not be reached.");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|_| unreachable())?
        .collect();
    if addresses.is_empty() || !addresses.iter().all(|a| allowed(a.ip())) {
        tracing::warn!("refused to relay an upload to {host}: {addresses:?}");
        return Err(format!("The upload URL's address ({host}) is not allowed."));
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(600))
        .resolve(bare, addresses[0])
        .build()
        .map_err(|_| unreachable())
}

/// `PUT /uploads/relay/{token}`: sends the body (at most
/// [`MAX_UPLOAD_BYTES`]) to the host's upload URL behind `token`.
///
/// The body is read whole before it is sent on: stores such as S3 want a
/// `Content-Length` on a presigned PUT, which a streamed request would not
/// carry. That is up to 50 MB in memory per upload under way.
pub async fn relay(
    State(dashboard): State<Arc<Dashboard>>,
    UrlPath(token): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let relays = &dashboard.uploads.relays;
    let target = match relays.relays().get(&token) {
        Some(relay) if !relay.done => relay.target.clone(),
        Some(_) => return (StatusCode::CONFLICT, "Already uploaded.").into_response(),
        None => {
            return (
                StatusCode::NOT_FOUND,
                "This upload URL is unknown, or its transaction has ended.",
            )
                .into_response()
        }
    };
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Files are limited to {} MB.", MAX_UPLOAD_BYTES / 1_000_000),
        )
            .into_response()
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_UPLOAD_BYTES) {
        return too_large();
    }
    let bytes = match axum::body::to_bytes(body, MAX_UPLOAD_BYTES as usize).await {
        Ok(bytes) => bytes,
        Err(_) if declared.is_none() => return too_large(),
        Err(_) => {
            return (StatusCode::BAD_REQUEST, "The file did not arrive whole.").into_response()
        }
    };
    let client = match client_for(&target).await {
        Ok(client) => client,
        Err(message) => return (StatusCode::BAD_GATEWAY, message).into_response(),
    };
    let mut request = client.put(target.clone()).body(bytes);
    if let Some(mime) = headers.get(header::CONTENT_TYPE) {
        request = request.header(header::CONTENT_TYPE, mime);
    }
    let host = target.host_str().unwrap_or_default().to_owned();
    match request.send().await {
        Ok(answer) if answer.status().is_success() => {
            if let Some(relay) = relays.relays().get_mut(&token) {
                relay.done = true;
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(answer) => {
            tracing::warn!("the store at {host} refused an upload: {}", answer.status());
            (
                StatusCode::BAD_GATEWAY,
                format!(
                    "The storage at {host} refused the file (HTTP {}).",
                    answer.status().as_u16()
                ),
            )
                .into_response()
        }
        Err(e) => {
            tracing::warn!("could not relay an upload to {host}: {e}");
            (
                StatusCode::BAD_GATEWAY,
                format!("The storage at {host} could not be reached."),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_a_host_may_not_reach_through_the_relay() {
        for ip in [
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "fe80::1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!allowed(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["127.0.0.1", "10.0.0.5", "52.216.1.1", "::1"] {
            assert!(allowed(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn only_http_urls_are_relayed_and_forgotten_with_their_transaction() {
        let relays = Relays::default();
        assert!(relays
            .register("http://h", "tx", "file:///etc/passwd")
            .is_err());
        assert!(relays.register("http://h", "tx", "javascript:1").is_err());
        let url = relays
            .register("http://h", "tx", "https://bucket.example.com/a?sig=1")
            .unwrap();
        assert!(url.starts_with("http://h/uploads/relay/"), "{url}");
        relays.forget_transaction("tx");
        assert!(relays.relays().is_empty());
    }
}
