//! Exclusive methods (confirm, confirm identity, credentials) and the
//! experimental spreadsheet. Exclusive calls are not
//! [`Groupable`](super::Groupable): putting one in an [`Io::group`] does not
//! compile.
//!
//! ```compile_fail
//! # use interval_core as interval;
//! # async fn f(io: interval::Io) {
//! let _ = io.group((io.confirm("Sure?"), io.input().text("Name"))).await;
//! # }
//! ```
//!
//! ```
//! # use interval_core as interval;
//! # async fn f(io: interval::Io) {
//! let _ = io.group((io.input().boolean("Sure?"), io.input().text("Name"))).await;
//! # }
//! ```

use std::marker::PhantomData;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::call::{kinds, IoCall};
use super::component::Serde;
use super::handle::Io;

kinds! {
    /// Marker of `io.confirm` (`CONFIRM`; exclusive).
    pub enum Confirm: InputKind;
    /// Marker of `io.confirm_identity` (`CONFIRM_IDENTITY`; exclusive).
    pub enum ConfirmIdentity: InputKind;
    /// Marker of `io.experimental().credentials` (`CREDENTIALS`; exclusive).
    pub enum CredentialsKind: InputKind;
}

/// Marker of `io.experimental().spreadsheet` (`INPUT_SPREADSHEET`) with rows
/// of type `T`.
#[derive(Debug)]
pub struct Spreadsheet<T>(PhantomData<fn() -> T>);
impl<T> super::call::Groupable for Spreadsheet<T> {}
impl<T> super::call::InputKind for Spreadsheet<T> {}

/// What `io.experimental().credentials` returns.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Credentials {
    /// The access token.
    pub token: String,
    /// The secret (OAuth 1.0 services only).
    #[serde(default)]
    pub secret: Option<String>,
}

/// The type of a spreadsheet column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SpreadsheetType {
    /// Text.
    #[serde(rename = "string")]
    String,
    /// Text or empty.
    #[serde(rename = "string?")]
    OptionalString,
    /// A number.
    #[serde(rename = "number")]
    Number,
    /// A number or empty.
    #[serde(rename = "number?")]
    OptionalNumber,
    /// A checkbox.
    #[serde(rename = "boolean")]
    Boolean,
    /// A checkbox or empty.
    #[serde(rename = "boolean?")]
    OptionalBoolean,
}

impl Io {
    /// Asks a yes/no question; returns the answer. Exclusive: it cannot be
    /// grouped.
    pub fn confirm(&self, label: impl Into<String>) -> IoCall<Confirm, bool> {
        IoCall::new(self, "CONFIRM", label, Serde)
    }

    /// Asks the runner to confirm their identity (log in again); returns
    /// whether they did. Exclusive: it cannot be grouped.
    pub fn confirm_identity(&self, label: impl Into<String>) -> IoCall<ConfirmIdentity, bool> {
        IoCall::new(self, "CONFIRM_IDENTITY", label, Serde)
    }
}

impl<O: Send + 'static> IoCall<ConfirmIdentity, O> {
    /// Skips the check if the runner confirmed within this period.
    pub fn grace_period(self, period: Duration) -> Self {
        self.prop("gracePeriodMs", period.as_millis() as u64)
    }
}

/// The experimental methods, from [`Io::experimental`].
#[derive(Debug)]
pub struct Experimental<'a> {
    pub(super) io: &'a Io,
}

impl Experimental<'_> {
    /// A spreadsheet to fill in; returns its rows as `T` (e.g. a struct with
    /// one field per column, or `serde_json::Map`).
    pub fn spreadsheet<T: DeserializeOwned + Send + 'static>(
        &self,
        label: impl Into<String>,
    ) -> IoCall<Spreadsheet<T>, Vec<T>> {
        IoCall::new(self.io, "INPUT_SPREADSHEET", label, Serde).prop("columns", Map::new())
    }

    /// Asks for credentials of `service` (exclusive). The open-source
    /// server refuses it.
    pub fn credentials(&self, service: impl Into<String>) -> IoCall<CredentialsKind, Credentials> {
        IoCall::new(self.io, "CREDENTIALS", service, Serde)
    }
}

impl<T, O: Send + 'static> IoCall<Spreadsheet<T>, O> {
    /// Adds a column.
    pub fn column(mut self, name: impl Into<String>, kind: SpreadsheetType) -> Self {
        let kind = serde_json::to_value(kind).unwrap_or(Value::Null);
        if let Some(Value::Object(columns)) = self.field.props.get_mut("columns") {
            columns.insert(name.into(), kind);
        }
        self
    }

    /// Rows to start with (each a map of column to value).
    pub fn default_value(self, rows: impl Serialize) -> Self {
        self.prop("defaultValue", rows)
    }
}

impl<O: Send + 'static> IoCall<CredentialsKind, O> {
    /// Service-specific parameters.
    pub fn params(self, params: impl Serialize) -> Self {
        self.prop("params", params)
    }
}

impl Io {
    /// Experimental methods: spreadsheet, credentials.
    pub fn experimental(&self) -> Experimental<'_> {
        Experimental { io: self }
    }
}
