//! One dashboard connection's view: after [`crate::api::Request::Html`],
//! events become HTML patches for the action and page views, and the raw
//! form fields the script sends become typed responses.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use interval_protocol::io::IoRender;
use interval_protocol::layout::Layout;
use interval_protocol::types::LinkTarget;
use maud::Markup;
use serde_json::Value;

use super::fragments;
use super::io::{form, IdentityPrompt, Scope};
use super::routes::{href, target_href};
use super::steps::{answered, step_id, step_prefix};
use super::Dashboard;
use crate::api::{BrowserResponse, Event, Patch, PatchMode, ServerMessage};
use crate::auth::{SignedInVia, Viewer};
use crate::db::now_ms;
use crate::keys::KeyKind;

/// What a connection has shown: the last render per transaction or page,
/// and the state it asked for per component.
#[derive(Default)]
struct Shown {
    /// Per transaction or page, the last render of each input group shown,
    /// in the order they came: one for a page or a transaction that is not
    /// in append-UI mode, every step of one that is.
    renders: HashMap<String, Vec<IoRender>>,
    /// Transactions shown in append-UI mode (PROTOCOL §6.6).
    append: std::collections::HashSet<String>,
    /// `(key, input group)` → the values answered.
    answers: HashMap<(String, String), Vec<Value>>,
    /// `(key, input group)` → the value of the button it was answered with.
    choices: HashMap<(String, String), String>,
    /// The last layout of each page shown (its children are in `renders`).
    layouts: HashMap<String, Layout>,
    /// `(key, input group, index)` → state.
    states: HashMap<(String, String, usize), Value>,
}

/// What a new state from the browser leads to.
#[derive(Debug)]
pub enum StateChange {
    /// A SET_STATE response for the host.
    Host(BrowserResponse),
    /// Shown from what the dashboard has: this event, for this connection.
    Shown(Event),
}

/// How long a connection trusts what it last read of its person (role,
/// teams, session) before reading it again.
pub const VIEWER_FRESHNESS: std::time::Duration = std::time::Duration::from_secs(1);

/// One dashboard connection.
pub struct Session {
    dashboard: Arc<Dashboard>,
    /// Who opened the connection.
    viewer: Viewer,
    /// The environment they were in.
    environment: KeyKind,
    /// The viewer as last read from the database, and when.
    checked: Mutex<Option<(std::time::Instant, Viewer)>>,
    html: AtomicBool,
    shown: Mutex<Shown>,
}

fn patch(target: &str, html: Markup) -> Patch {
    Patch {
        target: target.into(),
        html: html.into_string(),
        mode: PatchMode::Replace,
    }
}

impl Session {
    /// A connection of `dashboard`, opened by `viewer` in `environment`.
    pub fn new(dashboard: Arc<Dashboard>, viewer: Viewer, environment: KeyKind) -> Session {
        Session {
            dashboard,
            viewer,
            environment,
            checked: Mutex::new(None),
            html: AtomicBool::new(false),
            shown: Mutex::new(Shown::default()),
        }
    }

    /// Who is behind the connection now: read again, so that a changed
    /// role or team counts at once, and a session that ended (logged out
    /// everywhere, expired, the account removed) ends the connection's
    /// rights too. "At once" is within [`VIEWER_FRESHNESS`]: a busy
    /// connection does not read the database at every request.
    pub async fn viewer(&self, state: &crate::state::AppState) -> Result<Viewer, String> {
        let checked = || self.checked.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, viewer)) = checked().as_ref() {
            if at.elapsed() < VIEWER_FRESHNESS {
                return Ok(viewer.clone());
            }
        }
        let viewer = self.read_viewer(state).await?;
        *checked() = Some((std::time::Instant::now(), viewer.clone()));
        Ok(viewer)
    }

    async fn read_viewer(&self, state: &crate::state::AppState) -> Result<Viewer, String> {
        let ended = || "Your session has ended; sign in again.".to_owned();
        let db = |e: crate::db::DbError| {
            tracing::error!("{e}");
            "The server could not read its database; see its log.".to_owned()
        };
        if let Some(token) = &self.viewer.session {
            let session = state
                .store
                .session(token)
                .await
                .map_err(db)?
                .ok_or_else(ended)?;
            if session.expires_at <= now_ms() {
                return Err(ended());
            }
        }
        if self.viewer.via == SignedInVia::Open
            && !state.auth.is_open(&state.store).await.map_err(db)?
        {
            return Err(ended());
        }
        let person = state
            .store
            .person(&self.viewer.person.id)
            .await
            .map_err(db)?
            .ok_or_else(ended)?;
        Ok(Viewer {
            person,
            ..self.viewer.clone()
        })
    }

    /// The environment the connection works in.
    pub fn environment(&self) -> KeyKind {
        self.environment
    }

    /// What a `CONFIRM_IDENTITY` in `render` should ask this session for.
    async fn identity_prompt(&self, render: &IoRender) -> IdentityPrompt {
        let app = &self.dashboard.app;
        if self.viewer.via == SignedInVia::Open {
            return IdentityPrompt::NoPassword;
        }
        let grace = render
            .to_render
            .iter()
            .find(|c| c.method_name == "CONFIRM_IDENTITY")
            .and_then(|c| c.props.get("gracePeriodMs"))
            .and_then(Value::as_f64)
            .filter(|ms| ms.is_finite() && *ms > 0.0)
            .map(|ms| ms as u64);
        if app
            .auth
            .authenticated_within(&app.store, &self.viewer, grace, crate::auth::now())
            .await
        {
            IdentityPrompt::Recent
        } else {
            IdentityPrompt::Password
        }
    }

    fn shown(&self) -> MutexGuard<'_, Shown> {
        self.shown.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delivers events as HTML from now on.
    pub fn enable_html(&self) {
        self.html.store(true, Ordering::Relaxed);
    }

    /// What to send for `message`: itself, or its HTML patches.
    pub async fn present(&self, message: ServerMessage) -> Vec<ServerMessage> {
        let ServerMessage::Event { event } = message else {
            return vec![message];
        };
        if let Event::Completed { transaction_id, .. } = &event {
            self.dashboard.uploads.forget_transaction(transaction_id);
        }
        if !self.html.load(Ordering::Relaxed) {
            return vec![ServerMessage::Event { event }];
        }
        match self.patches(event).await {
            Ok(patches) => vec![ServerMessage::Patch { patches }],
            Err((href, replace)) => vec![ServerMessage::Navigate { href, replace }],
        }
    }

    /// The states shown for one render's components.
    fn states_of(&self, key: &str, render: &IoRender) -> HashMap<usize, Value> {
        self.shown()
            .states
            .iter()
            .filter(|((k, g, _), _)| k == key && *g == render.input_group_key)
            .map(|((_, _, i), v)| (*i, v.clone()))
            .collect()
    }

    /// The patches for `event`, or where to navigate.
    async fn patches(&self, event: Event) -> Result<Vec<Patch>, (String, bool)> {
        Ok(match event {
            Event::Render {
                transaction_id,
                render,
                append: false,
            } => {
                let states = self.states_of(&transaction_id, &render);
                let html = form(
                    &render,
                    Scope {
                        key: &transaction_id,
                        page: false,
                        states: &states,
                        identity: self.identity_prompt(&render).await,
                        prefix: "",
                        append: false,
                        answered: false,
                    },
                );
                self.shown().renders.insert(transaction_id, vec![render]);
                vec![patch("io", html), patch("loading", maud::html! {})]
            }
            Event::Render {
                transaction_id,
                render,
                append: true,
            } => self.append_step(transaction_id, render).await,
            Event::Loading { state, .. } => vec![patch("loading", fragments::loading(&state))],
            Event::Log {
                index,
                data,
                timestamp,
                ..
            } => vec![Patch {
                target: "logs".into(),
                html: fragments::log_line(index, &data, timestamp).into_string(),
                mode: PatchMode::Append,
            }],
            Event::Redirect {
                target, replace, ..
            } => {
                let href = match &target {
                    LinkTarget::Route { route, params } => href(route, params.as_ref()),
                    LinkTarget::Action { action, params } => href(action, params.as_ref()),
                    LinkTarget::Url { .. } => serde_json::to_value(&target)
                        .ok()
                        .and_then(|t| target_href(&t))
                        .map(|(h, _)| h)
                        .unwrap_or_else(|| "/".into()),
                };
                return Err((href, replace));
            }
            Event::Completed {
                transaction_id,
                result_status,
                result,
            } => {
                // In append-UI mode the steps stay, the last one read-only.
                let last = {
                    let shown = self.shown();
                    match shown.append.contains(&transaction_id) {
                        true => shown.renders.get(&transaction_id).and_then(|steps| {
                            let index = steps.len().checked_sub(1)?;
                            let render = steps.last()?;
                            let group = (transaction_id.clone(), render.input_group_key.clone());
                            let choice = shown.choices.get(&group).map(String::as_str);
                            Some((index, answered(render, shown.answers.get(&group), choice)))
                        }),
                        false => None,
                    }
                };
                // Tables shown in the steps still sort and page the rows
                // they have: an append-UI transaction's renders stay.
                if last.is_none() {
                    self.forget(&transaction_id);
                }
                let io = match last {
                    Some((index, render)) => {
                        let prefix = step_prefix(index);
                        let html = form(
                            &render,
                            Scope {
                                key: &transaction_id,
                                page: false,
                                states: &HashMap::new(),
                                identity: IdentityPrompt::default(),
                                prefix: &prefix,
                                append: true,
                                answered: true,
                            },
                        );
                        patch(&step_id(index), html)
                    }
                    None => patch("io", maud::html! {}),
                };
                let slug = self
                    .dashboard
                    .app
                    .store
                    .transaction(&transaction_id)
                    .await
                    .ok()
                    .flatten()
                    .map(|t| t.action_slug);
                vec![
                    io,
                    patch("loading", maud::html! {}),
                    patch(
                        "result",
                        fragments::result(result_status, result.as_ref(), now_ms()),
                    ),
                    patch("toolbar", fragments::done_toolbar(slug.as_deref())),
                ]
            }
            Event::PageRender { page_key, layout } => {
                let Some(layout) = layout else {
                    return Ok(vec![patch("page-body", maud::html! {})]);
                };
                let states = layout
                    .children
                    .as_ref()
                    .map(|c| self.states_of(&page_key, c))
                    .unwrap_or_default();
                let parts = fragments::layout(&page_key, &layout, &states);
                let mut shown = self.shown();
                if let Some(children) = &layout.children {
                    shown
                        .renders
                        .insert(page_key.clone(), vec![children.clone()]);
                }
                shown.layouts.insert(page_key, layout);
                drop(shown);
                let mut patches = vec![
                    patch("page-menu", parts.menu),
                    patch("page-body", parts.body),
                ];
                if let Some(title) = parts.title {
                    patches.push(patch("page-title", title));
                }
                if let Some(description) = parts.description {
                    patches.push(patch("page-description", description));
                }
                patches
            }
            Event::HostClosed { .. } => vec![patch(
                "status",
                fragments::host_status(
                    "The host running this went away; waiting for it to come back…",
                    false,
                ),
            )],
            Event::HostReconnected { .. } => vec![patch("status", maud::html! {})],
            Event::HostDropped { .. } => vec![patch(
                "status",
                fragments::host_status(
                    "The host did not come back; this transaction is lost.",
                    true,
                ),
            )],
            Event::Notified { title, message, .. } => vec![Patch {
                target: "toasts".into(),
                html: fragments::toast(title.as_deref(), &message).into_string(),
                mode: PatchMode::Append,
            }],
        })
    }

    /// The patches for a render of a transaction in append-UI mode: a new
    /// input group is a new step below the others (the one before it stays,
    /// read-only); a render of a group shown before replaces its step.
    async fn append_step(&self, transaction_id: String, render: IoRender) -> Vec<Patch> {
        let states = self.states_of(&transaction_id, &render);
        let identity = self.identity_prompt(&render).await;
        let mut shown = self.shown();
        shown.append.insert(transaction_id.clone());
        let steps = shown.renders.entry(transaction_id.clone()).or_default();
        let group = render.input_group_key.clone();
        let at = steps.iter().position(|r| r.input_group_key == group);
        let index = at.unwrap_or(steps.len());
        let newest = index + 1 >= steps.len();
        let previous = match at {
            Some(at) => {
                steps[at] = render.clone();
                None
            }
            None => {
                steps.push(render.clone());
                index.checked_sub(1).map(|i| (i, steps[i].clone()))
            }
        };
        let answered_as = |render: &IoRender| {
            let group = (transaction_id.clone(), render.input_group_key.clone());
            let choice = shown.choices.get(&group).map(String::as_str);
            answered(render, shown.answers.get(&group), choice)
        };
        let prefix = step_prefix(index);
        let shown_render = match newest {
            true => render.clone(),
            false => answered_as(&render),
        };
        let html = form(
            &shown_render,
            Scope {
                key: &transaction_id,
                page: false,
                states: &states,
                identity,
                prefix: &prefix,
                append: true,
                answered: !newest,
            },
        );
        let mut patches = Vec::new();
        if let Some((i, earlier)) = previous {
            let earlier_states: HashMap<usize, Value> = shown
                .states
                .iter()
                .filter(|((k, g, _), _)| *k == transaction_id && *g == earlier.input_group_key)
                .map(|((_, _, i), v)| (*i, v.clone()))
                .collect();
            let prefix = step_prefix(i);
            let html = form(
                &answered_as(&earlier),
                Scope {
                    key: &transaction_id,
                    page: false,
                    states: &earlier_states,
                    identity: IdentityPrompt::default(),
                    prefix: &prefix,
                    append: true,
                    answered: true,
                },
            );
            patches.push(patch(&step_id(i), html));
        }
        drop(shown);
        match at {
            Some(_) => patches.push(patch(&step_id(index), html)),
            None => {
                // The first step takes the place of what was there.
                let step = maud::html! { div.step #(step_id(index)) { (html) } };
                patches.push(Patch {
                    target: "io".into(),
                    html: step.into_string(),
                    mode: match index {
                        0 => PatchMode::Replace,
                        _ => PatchMode::Append,
                    },
                });
            }
        }
        if newest {
            patches.push(patch("loading", maud::html! {}));
        }
        patches
    }

    fn forget(&self, key: &str) {
        let mut shown = self.shown();
        shown.renders.remove(key);
        shown.layouts.remove(key);
        shown.append.remove(key);
        shown.states.retain(|(k, _, _), _| k != key);
        shown.answers.retain(|(k, _), _| k != key);
        shown.choices.retain(|(k, _), _| k != key);
    }
}

mod answers;

#[cfg(test)]
mod tests;
