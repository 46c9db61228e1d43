//! [`IoCall`], the builder every I/O method returns, and `.with_choices`.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use interval_protocol::io::{ButtonTheme, ChoiceButton};
use serde::Serialize;

use super::component::{Behavior, Component, Field};
use super::handle::Io;
use super::render::{Call, GroupValidator};
use crate::error::{Error, IoError, IoErrorKind, Result};

/// Kinds of I/O calls that may be part of an [`Io::group`]: every kind but
/// the exclusive ones (confirm, confirm identity, credentials), so that
/// grouping those is a compile error.
pub trait Groupable {}

/// Kinds of display calls (what a page [`Layout`](crate::Layout) may hold).
pub trait DisplayKind: Groupable {}

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

impl<K, O: Send + 'static> IoCall<K, O> {
    /// A call of `method_name` with `behavior`.
    pub(super) fn new(
        io: &Io,
        method_name: &'static str,
        label: impl Into<String>,
        behavior: impl Behavior<O>,
    ) -> Self {
        IoCall {
            io: io.clone(),
            field: Field::with(method_name, label.into(), behavior),
            kind: PhantomData,
        }
    }

    /// Sets a prop (the builder methods are shorthands for this).
    pub fn prop(mut self, key: &str, value: impl Serialize) -> Self {
        self.field.set(key, value);
        self
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

    /// Renders submit buttons instead of "Continue"; the result becomes
    /// `(choice, value)` where `choice` is the clicked button's value.
    ///
    /// ```no_run
    /// # use interval_core as interval;
    /// # async fn f(io: interval::Io) -> Result<(), interval::Error> {
    /// use interval::io::Choice;
    /// let (choice, amount) = io
    ///     .input()
    ///     .number("Refund amount")
    ///     .with_choices([Choice::new("Refund", "refund"), Choice::new("Cancel", "cancel").danger()])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn with_choices<C: Into<Choice>>(
        self,
        choices: impl IntoIterator<Item = C>,
    ) -> WithChoices<Self> {
        WithChoices::new(self, choices)
    }

    pub(crate) fn into_component(self) -> Box<dyn Component> {
        Box::new(self.field)
    }
}

/// A submit button of [`IoCall::with_choices`] or [`Group::with_choices`](super::Group::with_choices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice(pub(crate) ChoiceButton);

impl Choice {
    /// A button labelled `label` reporting `value`.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Choice(ChoiceButton {
            label: label.into(),
            value: value.into(),
            theme: None,
        })
    }

    /// The button's theme.
    pub fn theme(mut self, theme: ButtonTheme) -> Self {
        self.0.theme = Some(theme);
        self
    }

    /// A primary button.
    pub fn primary(self) -> Self {
        self.theme(ButtonTheme::Primary)
    }

    /// A secondary button.
    pub fn secondary(self) -> Self {
        self.theme(ButtonTheme::Secondary)
    }

    /// A danger button.
    pub fn danger(self) -> Self {
        self.theme(ButtonTheme::Danger)
    }
}

impl From<&str> for Choice {
    fn from(label: &str) -> Self {
        Choice::new(label, label)
    }
}

impl From<String> for Choice {
    fn from(label: String) -> Self {
        Choice::new(label.clone(), label)
    }
}

/// What [`with_choices`](IoCall::with_choices) can wrap: an [`IoCall`] or a
/// [`Group`](super::Group).
pub trait Choosable {
    /// What it resolves to (beside the choice).
    type Value: Send + 'static;
}

impl<K, O: Send + 'static> Choosable for IoCall<K, O> {
    type Value = O;
}

/// An I/O call or group with submit buttons; `.await` it for
/// `(choice, value)`. It cannot be part of a group.
#[must_use = "an I/O call does nothing until awaited"]
pub struct WithChoices<C: Choosable> {
    pub(super) inner: C,
    pub(super) buttons: Vec<ChoiceButton>,
    pub(super) validator: Option<Arc<GroupValidator<C::Value>>>,
}

impl<C: Choosable + std::fmt::Debug> std::fmt::Debug for WithChoices<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithChoices")
            .field("inner", &self.inner)
            .field("buttons", &self.buttons)
            .field("validated", &self.validator.is_some())
            .finish()
    }
}

impl<C: Choosable> WithChoices<C> {
    pub(super) fn new<B: Into<Choice>>(inner: C, choices: impl IntoIterator<Item = B>) -> Self {
        WithChoices {
            inner,
            buttons: choices.into_iter().map(|c| c.into().0).collect(),
            validator: None,
        }
    }

    /// Checks the answer together with the button that was clicked (Node's
    /// `.withChoices([...]).validate(({ choice, returnValue }) => ...)`):
    /// `Err(message)` shows the message above the form and asks again. It
    /// runs once every field is valid (a field's own
    /// [`validate`](IoCall::validate) runs first); on a group it replaces
    /// the group's [`validate`](super::Group::validate).
    ///
    /// ```no_run
    /// # use interval_core as interval;
    /// # async fn f(io: interval::Io) -> Result<(), interval::Error> {
    /// let (choice, amount) = io
    ///     .input()
    ///     .number("Refund amount")
    ///     .with_choices(["Refund", "Refund everything"])
    ///     .validate(|choice, amount| match choice {
    ///         "Refund" if *amount <= 0.0 => Err("Enter an amount to refund.".into()),
    ///         _ => Ok(()),
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn validate(
        mut self,
        validator: impl Fn(&str, &C::Value) -> std::result::Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.validator = Some(Arc::new(validator));
        self
    }
}

impl<K, O: Send + 'static> IntoFuture for WithChoices<IoCall<K, O>> {
    type Output = Result<(String, O)>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        let io = self.inner.io.clone();
        let component = self.inner.into_component();
        let buttons = self.buttons;
        let validator = self.validator;
        Box::pin(async move {
            let submitted = io
                .run(&mut Call {
                    components: vec![component],
                    choice_buttons: Some(buttons),
                    collect: |components| take::<O>(components, 0),
                    validate: validator.as_deref(),
                })
                .await?;
            Ok((submitted.choice.unwrap_or_default(), submitted.value))
        })
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

impl<K, O: Send + 'static> IntoFuture for IoCall<K, O> {
    type Output = Result<O>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<O>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        let io = self.io.clone();
        let component = self.into_component();
        Box::pin(async move {
            let submitted = io
                .run(&mut Call {
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

/// Kinds of input calls (they have help text and can be disabled).
pub trait InputKind {}

impl<K: InputKind, O: Send + 'static> IoCall<K, O> {
    /// Help text shown under the field.
    pub fn help_text(self, text: impl Into<String>) -> Self {
        self.prop("helpText", text.into())
    }

    /// Shows the field but does not let it be edited.
    pub fn disabled(self, yes: bool) -> Self {
        self.prop("disabled", yes)
    }
}

/// Declares kind markers: `kinds!(input Text, Email; display Heading)`.
macro_rules! kinds {
    ($( $(#[$m:meta])* $vis:vis enum $name:ident : $($tr:ident),* ;)*) => {
        $(
            $(#[$m])*
            #[derive(Debug)]
            $vis enum $name {}
            $(impl $crate::io::call::$tr for $name {})*
        )*
    };
}
pub(super) use kinds;
