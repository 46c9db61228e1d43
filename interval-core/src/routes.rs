//! Actions, pages and the route table a host declares.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use interval_protocol::types::{AccessControl, ActionDefinition, PageDefinition};
use serde::Serialize;

use crate::ctx::Ctx;
use crate::future::BoxFuture;
use crate::io::Io;
use crate::outcome::{ActionError, HandlerFuture};
use crate::page::{Layout, PageCtx};

type ActionHandler = Arc<dyn Fn(Io, Ctx) -> HandlerFuture + Send + Sync>;

/// An action: an async handler plus the metadata the dashboard shows.
///
/// ```no_run
/// # use interval_core as interval;
/// use interval::{Action, Error};
///
/// let hello = Action::new(|io, _ctx| async move {
///     let name = io.input().text("Your name").await?;
///     Ok::<_, Error>(format!("Hello, {name}"))
/// })
/// .name("Say hello")
/// .description("Greets whoever runs it");
/// # let _ = hello;
/// ```
#[derive(Clone)]
pub struct Action {
    pub(crate) definition: ActionDefinition,
    pub(crate) handler: ActionHandler,
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Action")
            .field("definition", &self.definition)
            .finish_non_exhaustive()
    }
}

impl Action {
    /// An action running `handler`. The handler receives the transaction's
    /// [`Io`] and [`Ctx`] and returns `Ok(value)` (any `Serialize` value
    /// becomes the result) or `Err(error)` (any error; its message is shown).
    pub fn new<F, Fut, T, E>(handler: F) -> Self
    where
        F: Fn(Io, Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize,
        E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    {
        let handler: ActionHandler = Arc::new(move |io, ctx| {
            let fut = handler(io, ctx);
            Box::pin(async move {
                match fut.await {
                    Ok(value) => serde_json::to_value(value).map_err(|e| ActionError {
                        name: "Error".into(),
                        message: format!("the action's return value cannot be serialized: {e}"),
                        cause: None,
                        canceled: false,
                    }),
                    Err(e) => Err(ActionError::from_error(e.into())),
                }
            })
        });
        Action {
            definition: ActionDefinition::default(),
            handler,
        }
    }

    /// The name shown in the dashboard (default: derived from the slug).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.definition.name = Some(name.into());
        self
    }

    /// A longer description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.definition.description = Some(description.into());
        self
    }

    /// Keep running when the runner leaves the page (default false).
    pub fn backgroundable(mut self, yes: bool) -> Self {
        self.definition.backgroundable = Some(yes);
        self
    }

    /// Hide it from navigation; still reachable by URL (default false).
    pub fn unlisted(mut self, yes: bool) -> Self {
        self.definition.unlisted = Some(yes);
        self
    }

    /// Ask for confirmation before leaving a running transaction (default true).
    pub fn warn_on_close(mut self, yes: bool) -> Self {
        self.definition.warn_on_close = Some(yes);
        self
    }

    /// Who may run it.
    pub fn access(mut self, access: AccessControl) -> Self {
        self.definition.access = Some(access);
        self
    }
}

/// What a page handler produced.
pub(crate) type PageResult = Result<Layout, ActionError>;

pub(crate) type PageHandler = Arc<dyn Fn(Io, PageCtx) -> BoxFuture<PageResult> + Send + Sync>;

/// A page: a named group of actions and nested pages, optionally with a
/// handler that renders a [`Layout`] when the page is opened.
#[derive(Clone)]
pub struct Page {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) unlisted: Option<bool>,
    pub(crate) access: Option<AccessControl>,
    pub(crate) handler: Option<PageHandler>,
    pub(crate) routes: Routes,
}

impl fmt::Debug for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("name", &self.name)
            .field("description", &self.description)
            .field("unlisted", &self.unlisted)
            .field("access", &self.access)
            .field("has_handler", &self.handler.is_some())
            .field("routes", &self.routes)
            .finish()
    }
}

impl Page {
    /// A page named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Page {
            name: name.into(),
            description: None,
            unlisted: None,
            access: None,
            handler: None,
            routes: Routes::default(),
        }
    }

    /// Renders the page: `handler` receives an [`Io`] (to build display
    /// components) and the [`PageCtx`], and returns the [`Layout`] to show.
    /// An error is shown on the page.
    ///
    /// ```no_run
    /// # use interval_core as interval;
    /// use interval::{Error, Layout, Page};
    ///
    /// let page = Page::new("Dashboard").handler(|io, ctx| async move {
    ///     Ok::<_, Error>(
    ///         Layout::new()
    ///             .title(format!("Hello, {}", ctx.user().email))
    ///             .child(io.display().heading("Today")),
    ///     )
    /// });
    /// # let _ = page;
    /// ```
    pub fn handler<F, Fut, E>(mut self, handler: F) -> Self
    where
        F: Fn(Io, PageCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Layout, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    {
        let handler: PageHandler = Arc::new(move |io, ctx| {
            let fut = handler(io, ctx);
            Box::pin(async move { fut.await.map_err(|e| ActionError::from_error(e.into())) })
        });
        self.handler = Some(handler);
        self
    }

    /// A longer description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Hide it from navigation.
    pub fn unlisted(mut self, yes: bool) -> Self {
        self.unlisted = Some(yes);
        self
    }

    /// Who may open it.
    pub fn access(mut self, access: AccessControl) -> Self {
        self.access = Some(access);
        self
    }

    /// Adds an action under `slug`.
    pub fn action(mut self, slug: impl Into<String>, action: Action) -> Self {
        self.routes.insert(slug.into(), Route::Action(action));
        self
    }

    /// Adds a nested page under `slug`.
    pub fn page(mut self, slug: impl Into<String>, page: Page) -> Self {
        self.routes.insert(slug.into(), Route::Page(page));
        self
    }
}

/// An action or a page.
#[derive(Debug, Clone)]
pub enum Route {
    /// An action.
    Action(Action),
    /// A page.
    Page(Page),
}

/// Routes keyed by their own slug, in the order they were added (the order
/// the dashboard lists them in).
#[derive(Debug, Clone, Default)]
pub struct Routes {
    routes: Vec<(String, Route)>,
}

impl IntoIterator for Routes {
    type Item = (String, Route);
    type IntoIter = std::vec::IntoIter<(String, Route)>;

    /// The routes with their slugs, in order.
    fn into_iter(self) -> Self::IntoIter {
        self.routes.into_iter()
    }
}

impl Routes {
    /// No routes; add them with [`action`](Routes::action) and
    /// [`page`](Routes::page).
    pub fn new() -> Self {
        Routes::default()
    }

    /// Adds (or replaces) the action at `slug`.
    pub fn action(mut self, slug: impl Into<String>, action: Action) -> Self {
        self.insert(slug.into(), Route::Action(action));
        self
    }

    /// Adds (or replaces) the page at `slug`.
    pub fn page(mut self, slug: impl Into<String>, page: Page) -> Self {
        self.insert(slug.into(), Route::Page(page));
        self
    }

    /// Adds the route at `slug`, or replaces it in place; returns the
    /// replaced route.
    pub fn insert(&mut self, slug: String, route: Route) -> Option<Route> {
        match self.routes.iter_mut().find(|(s, _)| *s == slug) {
            Some((_, existing)) => Some(std::mem::replace(existing, route)),
            None => {
                self.routes.push((slug, route));
                None
            }
        }
    }

    /// Removes the route at `slug`.
    pub fn remove(&mut self, slug: &str) -> Option<Route> {
        let index = self.routes.iter().position(|(s, _)| s == slug)?;
        Some(self.routes.remove(index).1)
    }

    /// The routes with their slugs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Route)> {
        self.routes
            .iter()
            .map(|(slug, route)| (slug.as_str(), route))
    }

    /// Whether there are no routes.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Flattens the tree into the definitions of `INITIALIZE_HOST` and a
    /// table of handlers by full slug.
    pub(crate) fn flatten(&self) -> RouteTable {
        let mut table = RouteTable::default();
        self.flatten_into(None, &mut table);
        table
    }

    fn flatten_into(&self, group: Option<&str>, table: &mut RouteTable) {
        for (slug, route) in &self.routes {
            match route {
                Route::Action(action) => {
                    let mut definition = action.definition.clone();
                    definition.group_slug = group.map(str::to_owned);
                    definition.slug = slug.clone();
                    table.handlers.insert(
                        definition.full_slug(),
                        (Arc::new(definition.clone()), action.handler.clone()),
                    );
                    table.actions.push(definition);
                }
                Route::Page(page) => {
                    let path = match group {
                        Some(group) => format!("{group}/{slug}"),
                        None => slug.clone(),
                    };
                    table.pages.push(PageDefinition {
                        slug: path.clone(),
                        name: page.name.clone(),
                        description: page.description.clone(),
                        has_handler: Some(page.handler.is_some()),
                        has_index: None,
                        unlisted: page.unlisted,
                        access: page.access.clone(),
                    });
                    if let Some(handler) = &page.handler {
                        table.page_handlers.insert(path.clone(), handler.clone());
                    }
                    page.routes.flatten_into(Some(&path), table);
                }
            }
        }
    }
}

/// The flattened routes of a host.
#[derive(Clone, Default)]
pub(crate) struct RouteTable {
    pub actions: Vec<ActionDefinition>,
    pub pages: Vec<PageDefinition>,
    pub handlers: BTreeMap<String, (Arc<ActionDefinition>, ActionHandler)>,
    pub page_handlers: BTreeMap<String, PageHandler>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop() -> Action {
        Action::new(|_io, _ctx| async { Ok::<_, crate::Error>(()) })
    }

    #[test]
    fn flattens_nested_pages_with_group_slugs() {
        let mut routes = Routes::default();
        routes.insert("hello".into(), Route::Action(noop().name("Hello")));
        routes.insert(
            "users".into(),
            Route::Page(
                Page::new("Users")
                    .action("ban", noop().backgroundable(true))
                    .page("admin", Page::new("Admin").action("audit", noop())),
            ),
        );
        let table = routes.flatten();
        let slugs: Vec<_> = table.actions.iter().map(|a| a.full_slug()).collect();
        assert_eq!(slugs, ["hello", "users/ban", "users/admin/audit"]);
        assert!(routes
            .insert("hello".into(), Route::Action(noop()))
            .is_some());
        assert_eq!(routes.iter().next().map(|(s, _)| s), Some("hello"));
        assert_eq!(table.actions[1].group_slug.as_deref(), Some("users"));
        assert_eq!(table.actions[1].slug, "ban");
        let pages: Vec<_> = table.pages.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(pages, ["users", "users/admin"]);
        assert!(table.handlers.contains_key("users/admin/audit"));
    }

    #[test]
    fn names_errors_like_the_node_sdk() {
        let e = ActionError::from_error(Box::new(crate::Error::Io(crate::IoError::canceled())));
        assert!(e.canceled);
        assert_eq!(e.name, "IOError");
        let e = ActionError::from_error("boom".into());
        assert_eq!((e.name.as_str(), e.message.as_str()), ("Error", "boom"));
    }
}
