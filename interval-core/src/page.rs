//! Pages (§5): a page handler returns a [`Layout`]; the host renders it with
//! `SEND_PAGE` while the page is open.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use interval_protocol::host::{SendPage, SendPageInputs};
use interval_protocol::io::{IoRender, IoResponse};
use interval_protocol::layout::{Layout as WireLayout, LayoutError};
use interval_protocol::server::{OpenPageInputs, OpenPageReturns};
use interval_protocol::superjson;
use interval_protocol::types::{LoadingState, Organization, User};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tracing::Instrument;
use uuid::Uuid;

use crate::client::Inner;
use crate::ctx::{Loading, LoadingSlot, Redirect};
use crate::error::Result;
use crate::inbox::{Closed, GroupEvent, Groups, Inbox, Undelivered};
use crate::io::render::{self, Call};
use crate::io::{Component, DisplayKind, Io, IoCall, Target};
use crate::routes::{ActionError, ErrorEvent};
use crate::socket::lock;

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
    pub(crate) environment: String,
    pub(crate) organization: Organization,
    pub(crate) page_slug: String,
    pub(crate) inner: Arc<Inner>,
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

    /// The params as your own type.
    pub fn params_as<T: DeserializeOwned>(&self) -> Result<T> {
        crate::ctx::params_as(&self.params)
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
        crate::ctx::redirect(&self.inner, &self.page_key, to).await
    }
}

/// Attempts per `SEND_PAGE` (Node's count).
const SEND_PAGE_ATTEMPTS: u32 = 5;

/// One open page view: its layout, its children's input groups, and the
/// coalescing sender of `SEND_PAGE`.
pub(crate) struct PageView {
    pub key: String,
    pub slug: String,
    state: Mutex<ViewState>,
}

#[derive(Default)]
struct ViewState {
    closed: bool,
    /// `None` until the handler returned (nothing is sent before).
    layout: Option<WireLayout>,
    /// The last layout text sent, replayed after a reconnect.
    last_sent: Option<String>,
    dirty: bool,
    sending: bool,
    groups: Groups,
    /// What `ctx.loading()` shows now.
    loading_now: LoadingSlot,
    loading: Option<LoadingState>,
}

impl PageView {
    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    pub fn close(&self) {
        let mut state = lock(&self.state);
        state.closed = true;
        state.groups.close_all(Closed::Transaction);
        state.layout = None;
        state.last_sent = None;
        state.loading = None;
    }

    /// Opens the inbox of a new input group (a display in the layout).
    pub fn open_group(&self, key: Uuid) -> Arc<Inbox> {
        let mut state = lock(&self.state);
        let inbox = state.groups.open(key);
        if state.closed {
            inbox.close(Closed::Transaction);
        }
        inbox
    }

    pub fn close_groups(&self, why: Closed) {
        lock(&self.state).groups.close_all(why);
    }

    pub fn route(&self, response: IoResponse) {
        let state = lock(&self.state);
        let key = response.input_group_key.clone();
        match state
            .groups
            .deliver(key.as_deref(), GroupEvent::Response(Box::new(response)))
        {
            Ok(()) => {}
            Err(Undelivered::Full) => {
                tracing::warn!("Dropping an IO response for page {}", self.key)
            }
            Err(Undelivered::UnknownGroup) => {
                tracing::debug!("Dropping an IO response for unknown group {key:?}")
            }
        }
    }

    pub fn with_loading<T>(&self, f: impl FnOnce(&mut LoadingSlot) -> T) -> T {
        f(&mut lock(&self.state).loading_now)
    }

    pub fn set_loading(&self, loading: LoadingState) {
        lock(&self.state).loading = Some(loading);
    }

    /// A new render of the children: re-sends the layout.
    pub fn set_children(self: &Arc<Self>, inner: &Arc<Inner>, render: IoRender) {
        self.update(inner, |layout| layout.children = Some(render));
    }

    /// Changes the layout and schedules a send.
    fn update(self: &Arc<Self>, inner: &Arc<Inner>, change: impl FnOnce(&mut WireLayout)) {
        let start = {
            let mut state = lock(&self.state);
            if state.closed {
                return;
            }
            change(state.layout.get_or_insert_with(WireLayout::default));
            state.dirty = true;
            !std::mem::replace(&mut state.sending, true)
        };
        if start {
            tokio::spawn(self.clone().send_loop(inner.clone()));
        }
    }

    /// Sends the layout until nothing changed during the last send
    /// (coalescing: one send in flight, at most one more queued).
    async fn send_loop(self: Arc<Self>, inner: Arc<Inner>) {
        loop {
            // Batches the changes made in the same tick.
            tokio::task::yield_now().await;
            let text = {
                let mut state = lock(&self.state);
                if state.closed || !state.dirty {
                    state.sending = false;
                    return;
                }
                state.dirty = false;
                let text = state
                    .layout
                    .as_ref()
                    .map(|l| serde_json::to_string(l).expect("a layout serializes"));
                state.last_sent = text.clone();
                text
            };
            self.send(&inner, text).await;
        }
    }

    async fn send(&self, inner: &Inner, page: Option<String>) {
        let inputs = SendPageInputs {
            page_key: self.key.clone(),
            page,
        };
        for attempt in 1..=SEND_PAGE_ATTEMPTS {
            if self.is_closed() {
                return;
            }
            match inner.rpc.call::<SendPage>(&inputs).await {
                Ok(true) => return,
                Ok(false) => tracing::warn!("The server refused the layout of page {}", self.key),
                Err(e) => tracing::warn!("Sending the layout of page {} failed: {e}", self.key),
            }
            if attempt < SEND_PAGE_ATTEMPTS {
                tokio::time::sleep(inner.config.retry_interval).await;
            }
        }
        tracing::error!("Gave up sending the layout of page {}", self.key);
    }

    /// After a reconnect: the last layout and loading state.
    pub async fn replay(&self, inner: &Inner) {
        let (layout, loading) = {
            let state = lock(&self.state);
            (state.last_sent.clone(), state.loading.clone())
        };
        if let Some(layout) = layout {
            self.send(inner, Some(layout)).await;
        }
        if let Some(loading) = loading {
            crate::ctx::send_loading(inner, &self.key, loading).await;
        }
    }
}

/// Handles `OPEN_PAGE`: starts the page handler and answers at once.
pub(crate) fn open(inner: &Arc<Inner>, inputs: OpenPageInputs) -> OpenPageReturns {
    let error = |message: &str| OpenPageReturns::Error {
        message: Some(message.into()),
    };
    if inner.is_shutting_down() {
        return error("Host shutting down.");
    }
    let Some(session) = inner.session() else {
        return error("No organization defined.");
    };
    let Some(handler) = inner.table().page_handlers.get(&inputs.page.slug).cloned() else {
        tracing::warn!("No page handler found for {}", inputs.page.slug);
        return error("No page handler found.");
    };
    let view = Arc::new(PageView {
        key: inputs.page_key.clone(),
        slug: inputs.page.slug.clone(),
        state: Mutex::default(),
    });
    if !inner.transactions.insert_page(view.clone()) {
        tracing::debug!("Page {} is already open", view.key);
        return OpenPageReturns::Success {
            page_key: inputs.page_key,
        };
    }
    let params = match superjson::decode(Value::Object(inputs.params), inputs.params_meta.as_ref())
    {
        Value::Object(params) => params,
        _ => Map::new(),
    };
    let ctx = PageCtx {
        page_key: view.key.clone(),
        user: inputs.user,
        params,
        environment: inputs.environment,
        organization: Organization::clone(&session.organization),
        page_slug: view.slug.clone(),
        inner: inner.clone(),
        loading: Loading::new(inner.clone(), Target::Page(view.clone())),
    };
    // What `on_error` is told if the handler fails (the page's slug is the route).
    let report = ErrorEvent {
        error: ActionError {
            name: String::new(),
            message: String::new(),
            cause: None,
            canceled: false,
        },
        route: view.slug.clone(),
        route_definition: None,
        params: ctx.params.clone(),
        environment: ctx.environment.clone(),
        user: ctx.user.clone(),
        organization: ctx.organization.clone(),
    };
    let io = Io::new(inner.clone(), Target::Page(view.clone()));
    let span = tracing::info_span!("page", page_key = %view.key, page = %view.slug);
    let inner = inner.clone();
    tokio::spawn(
        async move {
            let outcome = AssertUnwindSafe(handler(io.clone(), ctx))
                .catch_unwind()
                .await;
            let layout = match outcome {
                Ok(Ok(layout)) => layout,
                Ok(Err(e)) => return fail(&inner, &view, e, report),
                Err(_) => {
                    let error = ActionError {
                        name: "Error".into(),
                        message: "The page handler panicked".into(),
                        cause: None,
                        canceled: false,
                    };
                    return fail(&inner, &view, error, report);
                }
            };
            show(&inner, &view, io, layout);
        }
        .instrument(span),
    );
    OpenPageReturns::Success {
        page_key: inputs.page_key,
    }
}

fn layout_error(key: &str, error: &str, message: String) -> LayoutError {
    LayoutError {
        layout_key: Some(key.into()),
        error: error.into(),
        message,
        cause: None,
        stack: None,
    }
}

/// The handler failed: the layout is just the error, and `on_error` hears of it.
fn fail(inner: &Arc<Inner>, view: &Arc<PageView>, error: ActionError, report: ErrorEvent) {
    tracing::warn!("The page handler failed: {error}");
    ErrorEvent {
        error: error.clone(),
        ..report
    }
    .report(inner.config.on_error.as_ref());
    view.update(inner, |layout| {
        *layout = WireLayout {
            errors: Some(vec![LayoutError {
                layout_key: None,
                error: error.name,
                message: error.message,
                cause: error.cause,
                stack: None,
            }]),
            ..WireLayout::default()
        }
    });
}

/// Sends the layout; titles and descriptions computed later, and every
/// render of the children, re-send it.
fn show(inner: &Arc<Inner>, view: &Arc<PageView>, io: Io, layout: Layout) {
    let Layout {
        title,
        description,
        menu_items,
        children,
    } = layout;
    let mut later = Vec::new();
    let mut wire = WireLayout {
        menu_items: menu_items.map(|items| items.iter().map(MenuItem::to_value).collect()),
        errors: Some(Vec::new()),
        ..WireLayout::default()
    };
    for (key, text) in [("title", title), ("description", description)] {
        let slot = match text {
            None => None,
            Some(Text::Now(text)) => Some(Some(text)),
            Some(Text::Later(future)) => {
                later.push((key, future));
                Some(None)
            }
        };
        if key == "title" {
            wire.title = slot;
        } else {
            wire.description = slot;
        }
    }
    view.update(inner, |layout| *layout = wire);
    for (key, future) in later {
        let (inner, view) = (inner.clone(), view.clone());
        tokio::spawn(async move {
            let result = future.await;
            view.update(&inner, |layout| match result {
                Ok(text) if key == "title" => layout.title = Some(Some(text)),
                Ok(text) => layout.description = Some(Some(text)),
                Err(message) => layout
                    .errors
                    .get_or_insert_with(Vec::new)
                    .push(layout_error(key, "Error", message)),
            });
        });
    }
    if children.is_empty() {
        return;
    }
    let (inner, view) = (inner.clone(), view.clone());
    tokio::spawn(async move {
        let mut call = Call {
            components: children,
            choice_buttons: None,
            collect: |_| Ok(()),
            validate: None,
        };
        if let Err(e) = render::run(&io, &mut call).await {
            // Nobody to show the error to.
            if view.is_closed() || inner.is_closed() {
                return;
            }
            let name = e.js_name();
            view.update(&inner, |layout| {
                layout
                    .errors
                    .get_or_insert_with(Vec::new)
                    .push(layout_error("children", name, e.to_string()))
            });
        }
    });
}
