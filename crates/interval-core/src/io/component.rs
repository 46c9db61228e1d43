//! One component of an IO call, with its value parsing and validation.

use std::any::Any;
use std::sync::Arc;

use interval_protocol::io::ComponentToRender;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The message for a required value that is missing (Node's wording).
pub(crate) const REQUIRED: &str = "This field is required.";
/// The message for a value of the wrong type (Node's wording).
pub(crate) const INVALID: &str = "Received invalid value for field.";

/// A validation callback: `Err(message)` is shown next to the field.
pub(crate) type Validator<T> = Arc<dyn Fn(&T) -> Result<(), String> + Send + Sync>;

/// A component as the render loop sees it, whatever its value type. Public
/// but unnameable outside this crate (a sealed implementation detail).
#[doc(hidden)]
pub trait Component: Send {
    /// The component's part of the render message.
    fn render(&self) -> ComponentToRender;
    /// Checks a returned value: keeps it when it parses and validates,
    /// otherwise records the message to show and returns `false`.
    fn accept(&mut self, value: Value) -> bool;
    /// Hands out the accepted value (a `Box<Option<O>>`).
    fn take(&mut self) -> Box<dyn Any + Send>;
    /// Whether it resolves right after being rendered (displays in append-UI
    /// mode, progress indicators).
    fn resolves_immediately(&self, _append_ui: bool) -> bool {
        false
    }
}

/// A typed component whose value deserializes into `O`.
pub(crate) struct Field<O> {
    pub method_name: &'static str,
    pub label: String,
    pub props: Map<String, Value>,
    pub optional: bool,
    /// A display component: its value is always `null`.
    pub display: bool,
    pub validator: Option<Validator<O>>,
    message: Option<String>,
    value: Option<O>,
}

impl<O> Field<O> {
    pub fn new(method_name: &'static str, label: String) -> Self {
        Field {
            method_name,
            label,
            props: Map::new(),
            optional: false,
            display: false,
            validator: None,
            message: None,
            value: None,
        }
    }

    /// The same component returning `Option<O>`: it may be left empty.
    pub fn into_optional(self) -> Field<Option<O>>
    where
        O: 'static,
    {
        let validator = self.validator.map(|f| -> Validator<Option<O>> {
            Arc::new(move |value: &Option<O>| match value {
                Some(value) => f(value),
                None => Ok(()),
            })
        });
        Field {
            method_name: self.method_name,
            label: self.label,
            props: self.props,
            optional: true,
            display: self.display,
            validator,
            message: None,
            value: None,
        }
    }
}

impl<O: DeserializeOwned + Send + 'static> Component for Field<O> {
    fn render(&self) -> ComponentToRender {
        ComponentToRender {
            method_name: self.method_name.to_owned(),
            label: self.label.clone(),
            props: Value::Object(self.props.clone()),
            props_meta: None,
            is_stateful: false,
            is_optional: self.optional,
            is_multiple: false,
            validation_error_message: self.message.clone(),
            multiple_props: None,
        }
    }

    fn accept(&mut self, value: Value) -> bool {
        self.value = None;
        self.message = None;
        if value.is_null() && !self.optional && !self.display {
            self.message = Some(REQUIRED.to_owned());
            return false;
        }
        let parsed = match serde_json::from_value::<O>(value) {
            Ok(parsed) => parsed,
            Err(e) => {
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

    fn take(&mut self) -> Box<dyn Any + Send> {
        Box::new(self.value.take())
    }

    fn resolves_immediately(&self, append_ui: bool) -> bool {
        self.display && append_ui
    }
}
