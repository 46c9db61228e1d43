//! Running pages: `OPEN_PAGE` starts the page handler, and its
//! [`Layout`] is sent (and re-sent as its parts change) with `SEND_PAGE`.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use interval_protocol::layout::{Layout as WireLayout, LayoutError};
use interval_protocol::server::{OpenPageInputs, OpenPageReturns};
use interval_protocol::superjson;
use interval_protocol::types::Organization;
use serde_json::{Map, Value};
use tracing::Instrument;

use crate::host::Host;
use crate::io::render::{self, Call};
use crate::io::Io;
use crate::loading::Loading;
use crate::menu::MenuItem;
use crate::outcome::{ActionError, ErrorEvent};
use crate::page::{Layout, PageCtx, Text};
use crate::page_view::PageView;
use crate::state::HostState;
use crate::target::Target;

/// Handles `OPEN_PAGE`: starts the page handler and answers at once.
pub(crate) fn open(host: &Arc<Host>, inputs: OpenPageInputs) -> OpenPageReturns {
    let state = &host.state;
    let error = |message: &str| OpenPageReturns::Error {
        message: Some(message.into()),
    };
    if state.is_shutting_down() {
        return error("Host shutting down.");
    }
    let Some(session) = state.session() else {
        return error("No organization defined.");
    };
    let Some(handler) = host.table().page_handlers.get(&inputs.page.slug).cloned() else {
        tracing::warn!("No page handler found for {}", inputs.page.slug);
        return error("No page handler found.");
    };
    let view = Arc::new(PageView::new(
        inputs.page_key.clone(),
        inputs.page.slug.clone(),
    ));
    if !host.registry.insert_page(view.clone()) {
        tracing::debug!("Page {} is already open", view.key);
        return OpenPageReturns::Success {
            page_key: inputs.page_key,
        };
    }
    let params_meta = inputs.params_meta;
    let params = match superjson::decode(Value::Object(inputs.params), params_meta.as_ref()) {
        Value::Object(params) => params,
        _ => Map::new(),
    };
    let ctx = PageCtx {
        page_key: view.key.clone(),
        user: inputs.user,
        params,
        params_meta,
        environment: inputs.environment,
        organization: Organization::clone(&session.organization),
        page_slug: view.slug.clone(),
        host: state.clone(),
        loading: Loading::new(state.clone(), Target::Page(view.clone())),
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
    let io = Io::new(state.clone(), Target::Page(view.clone()));
    let span = tracing::info_span!("page", page_key = %view.key, page = %view.slug);
    let state = state.clone();
    tokio::spawn(
        async move {
            let outcome = AssertUnwindSafe(handler(io.clone(), ctx))
                .catch_unwind()
                .await;
            let layout = match outcome {
                Ok(Ok(layout)) => layout,
                Ok(Err(e)) => return fail(&state, &view, e, report),
                Err(_) => {
                    let error = ActionError {
                        name: "Error".into(),
                        message: "The page handler panicked".into(),
                        cause: None,
                        canceled: false,
                    };
                    return fail(&state, &view, error, report);
                }
            };
            show(&state, &view, io, layout);
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
fn fail(state: &Arc<HostState>, view: &Arc<PageView>, error: ActionError, report: ErrorEvent) {
    tracing::warn!("The page handler failed: {error}");
    ErrorEvent {
        error: error.clone(),
        ..report
    }
    .report(state.config.on_error.as_ref());
    view.update(state, |layout| {
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
fn show(state: &Arc<HostState>, view: &Arc<PageView>, io: Io, layout: Layout) {
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
    // With children, the layout goes out with their first render, as the
    // Node SDK sends it (not first without them).
    match children.is_empty() {
        true => view.update(state, |layout| *layout = wire),
        false => view.stage(|layout| *layout = wire),
    }
    for (key, future) in later {
        let (state, view) = (state.clone(), view.clone());
        tokio::spawn(async move {
            let result = future.await;
            view.update(&state, |layout| match result {
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
    let (state, view) = (state.clone(), view.clone());
    tokio::spawn(async move {
        let mut call = Call {
            components: children,
            choice_buttons: None,
            collect: |_| Ok(()),
            validate: None,
        };
        if let Err(e) = render::run(&io, &mut call).await {
            // Nobody to show the error to.
            if view.is_closed() || state.is_closed() {
                return;
            }
            let name = e.js_name();
            view.update(&state, |layout| {
                layout
                    .errors
                    .get_or_insert_with(Vec::new)
                    .push(layout_error("children", name, e.to_string()))
            });
        }
    });
}
