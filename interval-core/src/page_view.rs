//! One open view of a page: its layout, the input groups of its children,
//! and the coalescing sender of `SEND_PAGE`.

use std::sync::{Arc, Mutex};

use interval_protocol::host::{SendPage, SendPageInputs};
use interval_protocol::io::{IoRender, IoResponse};
use interval_protocol::layout::Layout as WireLayout;
use interval_protocol::types::LoadingState;
use uuid::Uuid;

use crate::inbox::{Closed, GroupEvent, Groups, Inbox, Undelivered};
use crate::loading_slot::{send_loading, LoadingSlot};
use crate::socket::lock;
use crate::state::HostState;

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
    /// A newly opened view of the page `slug`.
    pub fn new(key: String, slug: String) -> Self {
        PageView {
            key,
            slug,
            state: Mutex::default(),
        }
    }

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
    pub fn set_children(self: &Arc<Self>, host: &Arc<HostState>, render: IoRender) {
        self.update(host, |layout| layout.children = Some(render));
    }

    /// Changes the layout without sending it: the next [`PageView::update`]
    /// (the first render of the children, say) sends it with its own change.
    pub fn stage(&self, change: impl FnOnce(&mut WireLayout)) {
        let mut state = lock(&self.state);
        if !state.closed {
            change(state.layout.get_or_insert_with(WireLayout::default));
            state.dirty = true;
        }
    }

    /// Changes the layout and schedules a send.
    pub fn update(self: &Arc<Self>, host: &Arc<HostState>, change: impl FnOnce(&mut WireLayout)) {
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
            tokio::spawn(self.clone().send_loop(host.clone()));
        }
    }

    /// Sends the layout until nothing changed during the last send
    /// (coalescing: one send in flight, at most one more queued).
    async fn send_loop(self: Arc<Self>, host: Arc<HostState>) {
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
            self.send(&host, text).await;
        }
    }

    async fn send(&self, host: &HostState, page: Option<String>) {
        let inputs = SendPageInputs {
            page_key: self.key.clone(),
            page,
        };
        for attempt in 1..=SEND_PAGE_ATTEMPTS {
            if self.is_closed() {
                return;
            }
            match host.rpc.call::<SendPage>(&inputs).await {
                Ok(true) => return,
                Ok(false) => tracing::warn!("The server refused the layout of page {}", self.key),
                Err(e) => tracing::warn!("Sending the layout of page {} failed: {e}", self.key),
            }
            if attempt < SEND_PAGE_ATTEMPTS {
                tokio::time::sleep(host.config.retry_interval).await;
            }
        }
        tracing::error!("Gave up sending the layout of page {}", self.key);
    }

    /// After a reconnect: the last layout and loading state.
    pub async fn replay(&self, host: &HostState) {
        let (layout, loading) = {
            let state = lock(&self.state);
            (state.last_sent.clone(), state.loading.clone())
        };
        if let Some(layout) = layout {
            self.send(host, Some(layout)).await;
        }
        if let Some(loading) = loading {
            send_loading(host, &self.key, loading).await;
        }
    }
}
