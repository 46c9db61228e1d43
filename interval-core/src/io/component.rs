//! One component of an IO call: its props, how its value is parsed into the
//! user's type, its state handler, and its validation.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use interval_protocol::io::ComponentToRender;
use interval_protocol::superjson;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The message for a required value that is missing (Node's wording).
pub(crate) const REQUIRED: &str = "This field is required.";
/// The message for a value of the wrong type (Node's wording).
pub(crate) const INVALID: &str = "Received invalid value for field.";

/// A boxed future borrowing from its component.
pub(crate) type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A validation callback: `Err(message)` is shown next to the field.
pub(crate) type Validator<T> = Arc<dyn Fn(&T) -> Result<(), String> + Send + Sync>;

/// Wire props of a component.
pub(crate) type Props = Map<String, Value>;

/// What one I/O method does beyond its props: turn the returned wire value
/// into the user's type, and (for stateful methods) answer `SET_STATE`.
pub(crate) trait Behavior<O>: Send + 'static {
    /// Fills in the initial props (e.g. a table's first page); runs once,
    /// before the first render.
    fn init(&mut self, _props: &mut Props) -> Result<(), String> {
        Ok(())
    }

    /// Whether the browser should send `SET_STATE` for it.
    fn is_stateful(&self) -> bool {
        false
    }

    /// Handles a new state; changes `props` for the next render. `Err` is
    /// logged and the state skipped (Node's behaviour).
    fn set_state<'a>(
        &'a mut self,
        _state: Value,
        _props: &'a mut Props,
    ) -> LocalFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    /// Applies changes of `props` that happened on their own (values that
    /// load later): `Ready` when `props` changed and the call should be
    /// rendered again; `Pending` (with `cx` woken on the next change) when
    /// not, or never again.
    fn poll_changed(&mut self, _cx: &mut Context<'_>, _props: &mut Props) -> Poll<()> {
        Poll::Pending
    }

    /// Turns a non-null wire value into the user's type; `Err` explains why
    /// it was refused (logged; the runner sees [`INVALID`]).
    fn parse(&mut self, value: Value) -> Result<O, String>;

    /// As [`parse`](Behavior::parse), but a refusal may carry a message for
    /// the runner (e.g. "Please enter a whole number.").
    fn parse_or_explain(&mut self, value: Value) -> Result<O, Refused> {
        self.parse(value).map_err(Refused::Invalid)
    }

    /// For the kind-specific builders (downcast to the concrete behaviour).
    fn as_any(&mut self) -> &mut dyn Any;
}

/// Why a value was refused.
pub(crate) enum Refused {
    /// Not a value of the method's type: logged with this reason, the runner
    /// sees [`INVALID`].
    Invalid(String),
    /// A value of the right type that the runner should change: shown as is.
    Shown(String),
}

/// The plain behaviour: the value deserializes into `O`.
pub(crate) struct Serde;

impl<O: DeserializeOwned + 'static> Behavior<O> for Serde {
    fn parse(&mut self, value: Value) -> Result<O, String> {
        serde_json::from_value(value).map_err(|e| e.to_string())
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

/// Displays: the value is always `null` and ignored.
pub(crate) struct Nothing;

impl Behavior<()> for Nothing {
    fn parse(&mut self, _value: Value) -> Result<(), String> {
        Ok(())
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

/// A behaviour whose parse is a closure (no state).
pub(crate) struct ParseWith<F>(pub F);

impl<O, F> Behavior<O> for ParseWith<F>
where
    F: FnMut(Value) -> Result<O, String> + Send + 'static,
{
    fn parse(&mut self, value: Value) -> Result<O, String> {
        (self.0)(value)
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

/// `.optional()`: `null` (or `undefined`) becomes `None`.
struct Optional<O>(Box<dyn Behavior<O>>);

impl<O: 'static> Behavior<Option<O>> for Optional<O> {
    fn init(&mut self, props: &mut Props) -> Result<(), String> {
        self.0.init(props)
    }
    fn is_stateful(&self) -> bool {
        self.0.is_stateful()
    }
    fn set_state<'a>(
        &'a mut self,
        state: Value,
        props: &'a mut Props,
    ) -> LocalFuture<'a, Result<(), String>> {
        self.0.set_state(state, props)
    }
    fn poll_changed(&mut self, cx: &mut Context<'_>, props: &mut Props) -> Poll<()> {
        self.0.poll_changed(cx, props)
    }
    fn parse(&mut self, value: Value) -> Result<Option<O>, String> {
        if value.is_null() {
            return Ok(None);
        }
        self.0.parse(value).map(Some)
    }
    fn parse_or_explain(&mut self, value: Value) -> Result<Option<O>, Refused> {
        if value.is_null() {
            return Ok(None);
        }
        self.0.parse_or_explain(value).map(Some)
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self.0.as_any()
    }
}

/// `.multiple()`: an array of values.
struct Multiple<O>(Box<dyn Behavior<O>>);

impl<O: 'static> Behavior<Vec<O>> for Multiple<O> {
    fn init(&mut self, props: &mut Props) -> Result<(), String> {
        self.0.init(props)
    }
    fn is_stateful(&self) -> bool {
        self.0.is_stateful()
    }
    fn set_state<'a>(
        &'a mut self,
        state: Value,
        props: &'a mut Props,
    ) -> LocalFuture<'a, Result<(), String>> {
        self.0.set_state(state, props)
    }
    fn poll_changed(&mut self, cx: &mut Context<'_>, props: &mut Props) -> Poll<()> {
        self.0.poll_changed(cx, props)
    }
    fn parse(&mut self, value: Value) -> Result<Vec<O>, String> {
        let Value::Array(items) = value else {
            return Err("expected an array".into());
        };
        items.into_iter().map(|item| self.0.parse(item)).collect()
    }
    fn parse_or_explain(&mut self, value: Value) -> Result<Vec<O>, Refused> {
        let Value::Array(items) = value else {
            return Err(Refused::Invalid("expected an array".into()));
        };
        items
            .into_iter()
            .map(|item| self.0.parse_or_explain(item))
            .collect()
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self.0.as_any()
    }
}

/// A component as the render loop sees it, whatever its value type. Public
/// but unnameable outside this crate (a sealed implementation detail).
#[doc(hidden)]
pub trait Component: Send {
    /// Prepares the initial props; runs once before the first render.
    fn init(&mut self) -> Result<(), String>;
    /// The component's part of the render message.
    fn render(&self) -> ComponentToRender;
    /// Checks a returned value: keeps it when it parses and validates,
    /// otherwise records the message to show and returns `false`.
    fn accept(&mut self, value: Value) -> bool;
    /// Handles a `SET_STATE` value for this component: `true` when the
    /// component took it as its new state, `false` when it was ignored
    /// (falsy, the same state as last time, not stateful, or refused by the
    /// handler). Node's host renders the call once for each `true` (§3.3).
    fn set_state(&mut self, state: Value) -> LocalFuture<'_, bool>;
    /// Polls for props that changed on their own since the last render
    /// (see [`Behavior::poll_changed`]); `Ready` means render again.
    fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<()>;
    /// Hands out the accepted value (a `Box<Option<O>>`).
    fn take(&mut self) -> Box<dyn Any + Send>;
    /// Whether it resolves right after being rendered (displays in append-UI
    /// mode, progress indicators).
    fn resolves_immediately(&self, append_ui: bool) -> bool;
}

/// A typed component whose value becomes an `O`.
pub(crate) struct Field<O> {
    pub method_name: &'static str,
    pub label: String,
    pub props: Props,
    pub optional: bool,
    /// A display component: its value is always `null`.
    pub display: bool,
    /// Resolves as soon as it is rendered, in every mode (progress kinds).
    pub immediate: bool,
    /// `Some(multipleProps)` when it returns an array (boxed, as `state`:
    /// a `Value` is large and most fields have neither).
    pub multiple: Option<Box<Value>>,
    pub validator: Option<Validator<O>>,
    pub behavior: Box<dyn Behavior<O>>,
    /// An error found while building it (reported when it is awaited).
    pub error: Option<String>,
    state: Option<Box<Value>>,
    message: Option<String>,
    value: Option<O>,
}

impl<O: 'static> Field<O> {
    /// A component of `method_name` with `behavior`.
    pub fn with(method_name: &'static str, label: String, behavior: impl Behavior<O>) -> Self {
        Field {
            method_name,
            label,
            props: Props::new(),
            optional: false,
            display: false,
            immediate: false,
            multiple: None,
            validator: None,
            behavior: Box::new(behavior),
            error: None,
            state: None,
            message: None,
            value: None,
        }
    }

    /// Sets a prop.
    pub fn set(&mut self, key: &str, value: impl serde::Serialize) {
        match serde_json::to_value(value) {
            Ok(value) => {
                self.props.insert(key.to_owned(), value);
            }
            Err(e) => {
                self.error = Some(format!("invalid prop {key:?}: {e}"));
            }
        }
    }

    /// The concrete behaviour, for kind-specific builders.
    pub fn behavior_mut<B: 'static>(&mut self) -> Option<&mut B> {
        self.behavior.as_any().downcast_mut::<B>()
    }

    /// The same component with another value type.
    fn map<P>(
        self,
        behavior: impl FnOnce(Box<dyn Behavior<O>>) -> Box<dyn Behavior<P>>,
        validator: Option<Validator<P>>,
    ) -> Field<P> {
        Field {
            method_name: self.method_name,
            label: self.label,
            props: self.props,
            optional: self.optional,
            display: self.display,
            immediate: self.immediate,
            multiple: self.multiple,
            validator,
            behavior: behavior(self.behavior),
            error: self.error,
            state: None,
            message: None,
            value: None,
        }
    }

    /// The same component with another behaviour and value type (its
    /// validator, typed for `O`, is dropped).
    pub fn with_behavior<P: 'static>(self, behavior: impl Behavior<P>) -> Field<P> {
        self.map(|_| Box::new(behavior), None)
    }

    /// The same component returning `Option<O>`: it may be left empty.
    pub fn into_optional(self) -> Field<Option<O>> {
        let validator = self.validator.clone().map(|f| -> Validator<Option<O>> {
            Arc::new(move |value: &Option<O>| match value {
                Some(value) => f(value),
                None => Ok(()),
            })
        });
        let mut field = self.map(|b| Box::new(Optional(b)), validator);
        field.optional = true;
        field
    }

    /// The same component returning `Vec<O>` (`isMultiple`), with default
    /// selections in wire form.
    pub fn into_multiple(self, defaults: Option<Vec<Value>>) -> Field<Vec<O>> {
        let mut multiple = Map::new();
        if let Some(defaults) = defaults {
            multiple.insert("defaultValue".into(), Value::Array(defaults));
        }
        let mut field = self.map(|b| Box::new(Multiple(b)), None);
        field.multiple = Some(Box::new(Value::Object(multiple)));
        field
    }
}

impl<O: Send + 'static> Component for Field<O> {
    fn init(&mut self) -> Result<(), String> {
        if let Some(error) = &self.error {
            return Err(format!("{} ({}): {error}", self.label, self.method_name));
        }
        self.behavior
            .init(&mut self.props)
            .map_err(|e| format!("{} ({}): {e}", self.label, self.method_name))
    }

    fn render(&self) -> ComponentToRender {
        let (props, props_meta) = superjson::encode(Value::Object(self.props.clone()));
        ComponentToRender {
            method_name: self.method_name.to_owned(),
            label: self.label.clone(),
            props,
            props_meta,
            is_stateful: self.behavior.is_stateful(),
            is_optional: self.optional,
            is_multiple: self.multiple.is_some(),
            validation_error_message: self.message.clone(),
            multiple_props: self.multiple.as_deref().cloned(),
        }
    }

    fn accept(&mut self, value: Value) -> bool {
        self.value = None;
        self.message = None;
        if value.is_null() && !self.optional && !self.display {
            self.message = Some(REQUIRED.to_owned());
            return false;
        }
        let parsed = match self.behavior.parse_or_explain(value) {
            Ok(parsed) => parsed,
            Err(Refused::Shown(message)) => {
                self.message = Some(message);
                return false;
            }
            Err(Refused::Invalid(e)) => {
                tracing::warn!(
                    "Received an invalid value for {:?} ({}): {e}",
                    self.label,
                    self.method_name
                );
                self.message = Some(INVALID.to_owned());
                return false;
            }
        };
        if let Some(validate) = &self.validator {
            if let Err(message) = validate(&parsed) {
                self.message = Some(message);
                return false;
            }
        }
        self.value = Some(parsed);
        true
    }

    fn set_state(&mut self, state: Value) -> LocalFuture<'_, bool> {
        Box::pin(async move {
            // As Node's host: a falsy state, or one with the same JSON as
            // the last one taken, is not handled.
            let falsy = matches!(&state, Value::Null | Value::Bool(false))
                || state.as_str() == Some("")
                || state.as_f64() == Some(0.0);
            if falsy || self.state.as_deref() == Some(&state) {
                return false;
            }
            if !self.behavior.is_stateful() {
                tracing::debug!("Ignoring a state for {:?}: not stateful", self.label);
                return false;
            }
            match self
                .behavior
                .set_state(state.clone(), &mut self.props)
                .await
            {
                Ok(()) => {
                    self.state = Some(Box::new(state));
                    true
                }
                Err(e) => {
                    tracing::error!(
                        "Ignoring a new state of {:?} ({}): {e}",
                        self.label,
                        self.method_name
                    );
                    false
                }
            }
        })
    }

    fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.behavior.poll_changed(cx, &mut self.props)
    }

    fn take(&mut self) -> Box<dyn Any + Send> {
        Box::new(self.value.take())
    }

    fn resolves_immediately(&self, append_ui: bool) -> bool {
        self.immediate || (self.display && append_ui)
    }
}

/// `Ready` when the props of any of `components` changed on their own
/// (every change ready at that moment is applied, so that one render shows
/// them all); `Pending` otherwise, with `cx` woken on the next change.
pub(crate) fn poll_props_changed(
    components: &mut [Box<dyn Component>],
    cx: &mut Context<'_>,
) -> Poll<()> {
    let mut changed = false;
    for component in components.iter_mut() {
        changed |= component.poll_changed(cx).is_ready();
    }
    if changed {
        Poll::Ready(())
    } else {
        Poll::Pending
    }
}
