//! Input methods and the [`IoCall`] builder they return.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::component::{Component, Field};
use super::render::Call;
use super::Io;
use crate::error::{Error, IoError, IoErrorKind, Result};

/// Marker of `io.input().text` (`INPUT_TEXT`).
#[derive(Debug)]
pub enum Text {}
/// Marker of `io.input().number` (`INPUT_NUMBER`).
#[derive(Debug)]
pub enum Number {}
/// Marker of `io.input().boolean` (`INPUT_BOOLEAN`).
#[derive(Debug)]
pub enum Boolean {}

/// The input methods, from [`Io::input`].
#[derive(Debug)]
pub struct Inputs<'a> {
    pub(super) io: &'a Io,
}

impl Inputs<'_> {
    fn call<K, O>(&self, method_name: &'static str, label: impl Into<String>) -> IoCall<K, O> {
        IoCall {
            io: self.io.clone(),
            field: Field::new(method_name, label.into()),
            kind: PhantomData,
        }
    }

    /// A single-line (or multi-line) text field; returns the text.
    pub fn text(&self, label: impl Into<String>) -> IoCall<Text, String> {
        self.call("INPUT_TEXT", label)
    }

    /// A number field; returns the number.
    pub fn number(&self, label: impl Into<String>) -> IoCall<Number, f64> {
        self.call("INPUT_NUMBER", label)
    }

    /// A checkbox; returns whether it was checked.
    pub fn boolean(&self, label: impl Into<String>) -> IoCall<Boolean, bool> {
        self.call("INPUT_BOOLEAN", label)
    }
}

/// One I/O call of kind `K` returning `O`. Set its props with the builder
/// methods, then `.await` it alone or put it in an [`Io::group`].
#[must_use = "an I/O call does nothing until awaited"]
pub struct IoCall<K, O> {
    pub(super) io: Io,
    pub(super) field: Field<O>,
    pub(super) kind: PhantomData<fn() -> K>,
}

impl<K, O> std::fmt::Debug for IoCall<K, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoCall")
            .field("method", &self.field.method_name)
            .field("label", &self.field.label)
            .finish_non_exhaustive()
    }
}

impl<K, O: 'static> IoCall<K, O> {
    /// Sets a prop (the builder methods are shorthands for this).
    pub fn prop(mut self, key: &str, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(value) => {
                self.field.props.insert(key.to_owned(), value);
            }
            Err(e) => tracing::error!("Ignoring prop {key:?} of {:?}: {e}", self.field.label),
        }
        self
    }

    /// Help text shown under the field.
    pub fn help_text(self, text: impl Into<String>) -> Self {
        self.prop("helpText", text.into())
    }

    /// Shows the field but does not let it be edited.
    pub fn disabled(self, yes: bool) -> Self {
        self.prop("disabled", yes)
    }

    /// Checks the value: `Err(message)` shows the message next to the field
    /// and asks again.
    pub fn validate(
        mut self,
        validator: impl Fn(&O) -> std::result::Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.field.validator = Some(Arc::new(validator));
        self
    }

    /// Lets the field be left empty; the value becomes an `Option`.
    pub fn optional(self) -> IoCall<K, Option<O>> {
        IoCall {
            io: self.io,
            field: self.field.into_optional(),
            kind: PhantomData,
        }
    }
}

impl<K, O: DeserializeOwned + Send + 'static> IoCall<K, O> {
    pub(super) fn into_component(self) -> Box<dyn Component> {
        Box::new(self.field)
    }
}

/// Takes the accepted value of component `i` as an `O`.
pub(super) fn take<O: 'static>(components: &mut [Box<dyn Component>], i: usize) -> Result<O> {
    components
        .get_mut(i)
        .and_then(|c| c.take().downcast::<Option<O>>().ok())
        .and_then(|value| *value)
        .ok_or_else(|| {
            Error::Io(IoError::new(
                IoErrorKind::BadResponse,
                "Received invalid return value",
            ))
        })
}

impl<K, O: DeserializeOwned + Send + 'static> IntoFuture for IoCall<K, O> {
    type Output = Result<O>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<O>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        let io = self.io.clone();
        let component = self.into_component();
        Box::pin(async move {
            let submitted = io
                .run(Call {
                    components: vec![component],
                    choice_buttons: None,
                    collect: |components| take::<O>(components, 0),
                    validate: None,
                })
                .await?;
            Ok(submitted.value)
        })
    }
}

impl<O: 'static> IoCall<Text, O> {
    /// Placeholder text.
    pub fn placeholder(self, text: impl Into<String>) -> Self {
        self.prop("placeholder", text.into())
    }

    /// The initial value.
    pub fn default_value(self, value: impl Into<String>) -> Self {
        self.prop("defaultValue", value.into())
    }

    /// A multi-line text area.
    pub fn multiline(self, yes: bool) -> Self {
        self.prop("multiline", yes)
    }

    /// Height of a multi-line text area, in lines.
    pub fn lines(self, lines: u32) -> Self {
        self.prop("lines", lines)
    }

    /// Minimum length (at least 1).
    pub fn min_length(self, length: u32) -> Self {
        self.prop("minLength", length.max(1))
    }

    /// Maximum length (at least 1).
    pub fn max_length(self, length: u32) -> Self {
        self.prop("maxLength", length.max(1))
    }
}

/// Currencies `io.input().number(..).currency(..)` can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[allow(missing_docs, clippy::upper_case_acronyms)]
pub enum Currency {
    USD,
    CAD,
    EUR,
    GBP,
    AUD,
    CNY,
    JPY,
}

impl<O: 'static> IoCall<Number, O> {
    /// Smallest accepted value.
    pub fn min(self, min: f64) -> Self {
        self.prop("min", min)
    }

    /// Largest accepted value.
    pub fn max(self, max: f64) -> Self {
        self.prop("max", max)
    }

    /// Text shown before the field (e.g. a unit).
    pub fn prepend(self, text: impl Into<String>) -> Self {
        self.prop("prepend", text.into())
    }

    /// Placeholder text.
    pub fn placeholder(self, text: impl Into<String>) -> Self {
        self.prop("placeholder", text.into())
    }

    /// The initial value.
    pub fn default_value(self, value: f64) -> Self {
        self.prop("defaultValue", value)
    }

    /// Number of decimal places accepted (at least 1; integers by default).
    pub fn decimals(self, decimals: u32) -> Self {
        self.prop("decimals", decimals.max(1))
    }

    /// Shows the value as an amount of `currency`.
    pub fn currency(self, currency: Currency) -> Self {
        self.prop("currency", currency)
    }
}

impl<O: 'static> IoCall<Boolean, O> {
    /// The initial value (default false).
    pub fn default_value(self, value: bool) -> Self {
        self.prop("defaultValue", Value::Bool(value))
    }
}
