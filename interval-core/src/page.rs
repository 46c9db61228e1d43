//! Pages (§5): what a page handler returns ([`Layout`]) and what it knows
//! ([`PageCtx`]).

use std::fmt;
use std::sync::Arc;

use interval_protocol::types::{Organization, User};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::ctx::params_as;
use crate::error::Result;
use crate::future::BoxFuture;
use crate::io::{Component, DisplayKind, IoCall};
use crate::loading::Loading;
use crate::menu::MenuItem;
use crate::redirect::{send_redirect, Redirect};
use crate::state::HostState;
use interval_protocol::superjson::Meta;

/// A text that is known now, or computed later (sent as `null` until then,
/// and the layout is re-sent when it arrives).
pub(crate) enum Text {
    Now(String),
    Later(BoxFuture<std::result::Result<String, String>>),
}

/// What a page shows: the Basic layout (title, description, menu items, and
/// display components as children).
///
/// ```no_run
/// # use interval_core as interval;
/// use interval::{Error, Layout, Page};
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
    pub fn child<K: DisplayKind + 'static>(mut self, call: IoCall<K, ()>) -> Self {
        self.children.push(call.into_component());
        self
    }
}

/// What a page handler knows about the page view it renders.
#[derive(Clone)]
pub struct PageCtx {
    pub(crate) page_key: String,
    pub(crate) user: User,
    pub(crate) params: Map<String, Value>,
    /// The params' superjson meta (`paramsMeta`), when there was one.
    pub(crate) params_meta: Option<Meta>,
    pub(crate) environment: String,
    pub(crate) organization: Organization,
    pub(crate) page_slug: String,
    pub(crate) host: Arc<HostState>,
    pub(crate) loading: Loading,
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

    /// The superjson meta the params came with (`paramsMeta`), if any.
    pub fn params_meta(&self) -> Option<&Meta> {
        self.params_meta.as_ref()
    }

    /// The params as your own type, decoded through their superjson meta
    /// (as [`Ctx::params_as`](crate::Ctx::params_as)).
    pub fn params_as<T: DeserializeOwned>(&self) -> Result<T> {
        params_as(&self.params, self.params_meta.as_ref())
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

    /// The loading indicator of the page (sent only while it is open).
    pub fn loading(&self) -> &Loading {
        &self.loading
    }

    /// Sends the viewer to another action or page, or to a URL.
    pub async fn redirect(&self, to: Redirect) -> Result<()> {
        send_redirect(&self.host, &self.page_key, to).await
    }
}
