//! Redirects ([`Redirect`]): sending the runner to another route or a URL
//! (`SEND_REDIRECT`).

use interval_protocol::host::{SendRedirect, SendRedirectInputs};
use interval_protocol::types::LinkTarget;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::state::HostState;

/// Where [`Ctx::redirect`](crate::Ctx::redirect) sends the runner.
#[derive(Debug, Clone, PartialEq)]
pub struct Redirect {
    target: LinkTarget,
    replace: Option<bool>,
}

impl Redirect {
    /// To an action or page, by full slug.
    pub fn route(route: impl Into<String>) -> Self {
        Redirect {
            target: LinkTarget::Route {
                route: route.into(),
                params: None,
            },
            replace: None,
        }
    }

    /// To a URL.
    pub fn url(url: impl Into<String>) -> Self {
        Redirect {
            target: LinkTarget::Url {
                url: url.into(),
                download: None,
            },
            replace: None,
        }
    }

    /// Params of a route (anything that serializes to a map).
    pub fn params(mut self, params: impl Serialize) -> Self {
        if let LinkTarget::Route { params: slot, .. } = &mut self.target {
            match serde_json::to_value(params) {
                Ok(mut value @ Value::Object(_)) => {
                    interval_protocol::superjson::strip_tags(&mut value);
                    if let Value::Object(map) = value {
                        *slot = Some(map);
                    }
                }
                _ => tracing::error!("Ignoring redirect params: not a map"),
            }
        }
        self
    }

    /// Replaces the current browser history entry.
    pub fn replace(mut self, yes: bool) -> Self {
        self.replace = Some(yes);
        self
    }
}

/// `SEND_REDIRECT` for a transaction or page.
pub(crate) async fn send_redirect(host: &HostState, id: &str, to: Redirect) -> Result<()> {
    let inputs = SendRedirectInputs {
        transaction_id: id.to_owned(),
        target: to.target,
        replace: to.replace,
        skip_client_call: None,
    };
    match host.rpc.call::<SendRedirect>(&inputs).await? {
        true => Ok(()),
        false => Err(Error::Interval("Failed sending redirect".into())),
    }
}
