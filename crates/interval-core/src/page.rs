//! Pages (§5): a page handler returns a [`Layout`]; the host renders it with
//! `SEND_PAGE` while the page is open.

// The rendering side (OPEN_PAGE, SEND_PAGE) lands in the next commits.
#![allow(dead_code)]

use std::fmt;

use interval_protocol::types::{Organization, User};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::io::{Component, GroupMember};

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
    pub fn theme(mut self, theme: crate::io::ButtonTheme) -> Self {
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

/// A text that is known now, or computed later (sent as `null` until then,
/// and the layout is re-sent when it arrives).
pub(crate) enum Text {
    Now(String),
    Later(crate::routes::BoxFuture<std::result::Result<String, String>>),
}

/// What a page shows: the Basic layout (title, description, menu items, and
/// display components as children).
///
/// ```no_run
/// use interval_core::{Error, Layout, Page};
///
/// let users = Page::new("Users").handler(|io, _ctx| async move {
///     Ok::<_, Error>(
///         Layout::new()
///             .title("Users")
///             .description("Everyone with an account")
///             .child(io.display().markdown("**42** users")),
///     )
/// });
/// # let _ = users;
/// ```
#[derive(Default)]
#[must_use = "a layout does nothing until returned from a page handler"]
pub struct Layout {
    pub(crate) title: Option<Text>,
    pub(crate) description: Option<Text>,
    pub(crate) menu_items: Option<Vec<MenuItem>>,
    pub(crate) children: Vec<Box<dyn Component>>,
}

impl fmt::Debug for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Layout")
            .field("children", &self.children.len())
            .finish_non_exhaustive()
    }
}

impl Layout {
    /// An empty Basic layout.
    pub fn new() -> Self {
        Layout::default()
    }

    /// The page title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(Text::Now(title.into()));
        self
    }

    /// A title computed later: the page shows without it (a loading
    /// placeholder) and is re-sent once `title` resolves. An error is shown
    /// on the page.
    pub fn title_later<F, E>(mut self, title: F) -> Self
    where
        F: std::future::Future<Output = std::result::Result<String, E>> + Send + 'static,
        E: fmt::Display,
    {
        self.title = Some(Text::Later(Box::pin(async move {
            title.await.map_err(|e| e.to_string())
        })));
        self
    }

    /// The page description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(Text::Now(description.into()));
        self
    }

    /// A description computed later (see [`Layout::title_later`]).
    pub fn description_later<F, E>(mut self, description: F) -> Self
    where
        F: std::future::Future<Output = std::result::Result<String, E>> + Send + 'static,
        E: fmt::Display,
    {
        self.description = Some(Text::Later(Box::pin(async move {
            description.await.map_err(|e| e.to_string())
        })));
        self
    }

    /// Adds a button at the top of the page.
    pub fn menu_item(mut self, item: MenuItem) -> Self {
        self.menu_items.get_or_insert_with(Vec::new).push(item);
        self
    }

    /// Adds a display component (e.g. `io.display().table(..)`), in order.
    pub fn child<C: GroupMember>(mut self, call: C) -> Self {
        self.children.push(call.component());
        self
    }
}

/// What a page handler knows about the page view it renders.
#[derive(Clone)]
pub struct PageCtx {
    pub(crate) page_key: String,
    pub(crate) user: User,
    pub(crate) params: Map<String, Value>,
    pub(crate) environment: String,
    pub(crate) organization: Organization,
    pub(crate) page_slug: String,
}

impl fmt::Debug for PageCtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageCtx")
            .field("page_key", &self.page_key)
            .field("page_slug", &self.page_slug)
            .field("user", &self.user.email)
            .finish_non_exhaustive()
    }
}

impl PageCtx {
    /// The key of this page view (one per browser tab that opened it).
    pub fn page_key(&self) -> &str {
        &self.page_key
    }

    /// Who views the page.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The raw params (from the URL).
    pub fn params(&self) -> &Map<String, Value> {
        &self.params
    }

    /// One param.
    pub fn param(&self, key: &str) -> Option<&Value> {
        self.params.get(key)
    }

    /// The params as your own type.
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

    /// The page's full slug.
    pub fn page_slug(&self) -> &str {
        &self.page_slug
    }
}
