//! The transaction context handed to every action handler.

use interval_protocol::types::{ActionRef, Organization, User};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// What an action knows about the run it is in.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub(crate) transaction_id: String,
    pub(crate) user: User,
    pub(crate) params: Map<String, Value>,
    pub(crate) environment: String,
    pub(crate) organization: Organization,
    pub(crate) action: ActionRef,
}

impl Ctx {
    /// The id of this transaction.
    pub fn transaction_id(&self) -> &str {
        &self.transaction_id
    }

    /// Who runs the action.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The raw params (from the URL or the queued action).
    pub fn params(&self) -> &Map<String, Value> {
        &self.params
    }

    /// One param.
    pub fn param(&self, key: &str) -> Option<&Value> {
        self.params.get(key)
    }

    /// The params as your own type.
    ///
    /// ```
    /// # fn f(ctx: interval_core::Ctx) -> Result<(), interval_core::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Refund { order: String, amount: f64 }
    /// let refund: Refund = ctx.params_as()?;
    /// # Ok(()) }
    /// ```
    pub fn params_as<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(Value::Object(self.params.clone()))
            .map_err(|e| Error::Interval(format!("the params do not have the expected shape: {e}")))
    }

    /// The environment slug (`production`, `development`, or custom).
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The organization.
    pub fn organization(&self) -> &Organization {
        &self.organization
    }

    /// The action: its full slug and dashboard URL.
    pub fn action(&self) -> &ActionRef {
        &self.action
    }
}
