//! The `Host` and `Origin` allow-lists, against DNS rebinding and
//! cross-site requests.
//!
//! A page on `attacker.example` whose name the attacker re-points at
//! 127.0.0.1 reaches a loopback server with `Host: attacker.example`, and
//! its requests are same-origin for the browser. So the server answers only
//! to names nobody else controls: IP literals, `localhost`, and the host of
//! the configured public URL (a name behind a proxy). Anything else gets
//! `421 Misdirected Request`. A request that says where it comes from
//! (`Origin`, which browsers send on WebSocket upgrades and on POSTs) must
//! come from this server: the origin's host and port are the request's
//! `Host` (already allowed), or the public URL's origin. Anything else
//! (another site, `null`) gets `403 Forbidden`.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The names and origins the server answers to.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    /// The public URL's host (lowercase, no port), if one is configured.
    public_host: Option<String>,
    /// The public URL's origin (`scheme://host[:port]`, lowercase).
    public_origin: Option<String>,
}

impl AllowedHosts {
    /// The allow-list of a server with this public URL (if any).
    pub fn new(public_url: Option<&str>) -> Result<Self, String> {
        let Some(public_url) = public_url else {
            return Ok(AllowedHosts::default());
        };
        let url = url::Url::parse(public_url)
            .map_err(|e| format!("the public URL {public_url:?} is not a URL: {e}"))?;
        let host = url
            .host_str()
            .ok_or_else(|| format!("the public URL {public_url:?} has no host"))?;
        Ok(AllowedHosts {
            public_host: Some(host.to_ascii_lowercase()),
            public_origin: Some(url.origin().ascii_serialization().to_ascii_lowercase()),
        })
    }

    /// Whether a request with this `Host` header is for this server.
    pub fn allows_host(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        let name = name.trim_end_matches('.');
        name == "localhost"
            || name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok()
            || self.public_host.as_deref() == Some(name)
    }

    /// Whether a request from `origin`, sent with `host`, comes from a page
    /// of this server.
    pub fn allows_origin(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.public_origin.as_deref() == Some(origin.as_str()) {
            return true;
        }
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false; // `null`, or not an origin
        };
        let same = host.is_some_and(|host| authority == host.to_ascii_lowercase());
        same && matches!(scheme, "http" | "https") && self.allows_host(authority)
    }
}

/// `host` without its port (`[::1]:3000` → `[::1]`, `a.b:80` → `a.b`).
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Middleware: refuses requests for other names (421) and from other
/// origins (403).
pub async fn check(
    State(allowed): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    // A `Host` that is not text names no allowed host: it is kept as an
    // empty name, which is refused.
    let host = headers
        .get(header::HOST)
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    if let Some(host) = &host {
        if !allowed.allows_host(host) {
            tracing::warn!("refused a request for host {host:?}");
            return (
                StatusCode::MISDIRECTED_REQUEST,
                "This server answers to localhost, IP addresses and its public URL's host \
                 (set --public-url to use another name).",
            )
                .into_response();
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        if !allowed.allows_origin(origin, host.as_deref()) {
            tracing::warn!("refused a request from origin {origin:?}");
            return (
                StatusCode::FORBIDDEN,
                "Requests from other sites are refused.",
            )
                .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_mode_answers_to_ip_literals_and_localhost_only() {
        let allowed = AllowedHosts::new(None).unwrap();
        for host in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST",
            "[::1]:3000",
            "10.1.2.3",
            "localhost.:3000",
        ] {
            assert!(allowed.allows_host(host), "{host}");
        }
        for host in [
            "attacker.example:3000",
            "localhost.attacker.example",
            "127.0.0.1.nip.io:3000",
            "",
        ] {
            assert!(!allowed.allows_host(host), "{host}");
        }
    }

    #[test]
    fn a_public_url_adds_its_host() {
        let allowed = AllowedHosts::new(Some("https://Tools.Example.com/")).unwrap();
        assert!(allowed.allows_host("tools.example.com"));
        assert!(allowed.allows_host("tools.example.com:443"));
        assert!(!allowed.allows_host("other.example.com"));
        assert!(allowed.allows_origin("https://tools.example.com", Some("10.0.0.5:3000")));
        assert!(AllowedHosts::new(Some("not a url")).is_err());
    }

    #[test]
    fn origins_must_be_this_server() {
        let allowed = AllowedHosts::new(None).unwrap();
        assert!(allowed.allows_origin("http://127.0.0.1:3000", Some("127.0.0.1:3000")));
        assert!(!allowed.allows_origin("http://127.0.0.1:4000", Some("127.0.0.1:3000")));
        assert!(!allowed.allows_origin("https://evil.example", Some("127.0.0.1:3000")));
        assert!(!allowed.allows_origin("null", Some("127.0.0.1:3000")));
        // A rebound name matches its own Host, but the name is not allowed.
        assert!(!allowed.allows_origin(
            "http://attacker.example:3000",
            Some("attacker.example:3000")
        ));
    }
}
