//! Menu items: the buttons at the top of a page, and the row menus of
//! tables and grids.

use interval_protocol::io::ButtonTheme;
use serde_json::{Map, Value};

/// A menu item or button shown at the top of a page (`menuItems`): a label
/// plus a route, a URL, or nothing (a disabled button).
#[derive(Debug, Clone, PartialEq)]
pub struct MenuItem {
    pub(crate) value: Map<String, Value>,
}

impl MenuItem {
    /// A button opening the route (an action or page slug) `route`.
    pub fn route(label: impl Into<String>, route: impl Into<String>) -> Self {
        let mut value = Map::new();
        value.insert("label".into(), Value::String(label.into()));
        value.insert("route".into(), Value::String(route.into()));
        MenuItem { value }
    }

    /// A button opening the URL `url`.
    pub fn url(label: impl Into<String>, url: impl Into<String>) -> Self {
        let mut value = Map::new();
        value.insert("label".into(), Value::String(label.into()));
        value.insert("url".into(), Value::String(url.into()));
        MenuItem { value }
    }

    /// A disabled button.
    pub fn disabled(label: impl Into<String>) -> Self {
        let mut value = Map::new();
        value.insert("label".into(), Value::String(label.into()));
        value.insert("disabled".into(), Value::Bool(true));
        MenuItem { value }
    }

    /// Route params (for [`MenuItem::route`]); any value that serializes to
    /// a map of scalars.
    pub fn params(mut self, params: impl serde::Serialize) -> Self {
        match serde_json::to_value(params) {
            Ok(Value::Object(params)) => {
                self.value.insert("params".into(), Value::Object(params));
            }
            Ok(_) => tracing::error!("Ignoring menu item params: not a map"),
            Err(e) => tracing::error!("Ignoring menu item params: {e}"),
        }
        self
    }

    /// The button's theme: `"primary"`, `"secondary"` or `"danger"`.
    pub fn theme(mut self, theme: ButtonTheme) -> Self {
        if let Ok(theme) = serde_json::to_value(theme) {
            self.value.insert("theme".into(), theme);
        }
        self
    }

    /// Greys the button out.
    pub fn is_disabled(mut self, yes: bool) -> Self {
        self.value.insert("disabled".into(), Value::Bool(yes));
        self
    }

    /// The wire form.
    pub(crate) fn to_value(&self) -> Value {
        Value::Object(self.value.clone())
    }
}
