//! The loading indicator of a transaction or page ([`Loading`]): `start`,
//! `update` and `complete_one`, sent debounced.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use interval_protocol::types::LoadingState;

use crate::loading_slot::send_loading;
use crate::state::HostState;
use crate::target::Target;

/// How long loading updates are batched (Node's debounce).
const LOADING_DEBOUNCE: Duration = Duration::from_millis(100);

/// The loading indicator of a transaction or page: `start`, `update` and
/// `complete_one` change it; changes within 100 ms are sent as one.
#[derive(Clone)]
pub struct Loading {
    host: Arc<HostState>,
    /// Its state lives with the transaction or page ([`LoadingSlot`]).
    target: Target,
}

impl fmt::Debug for Loading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loading")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// Options of [`Loading::start`] and [`Loading::update`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadingOptions {
    /// Short label.
    pub label: Option<String>,
    /// Longer description.
    pub description: Option<String>,
    /// Number of items to process (shows a progress bar).
    pub items_in_queue: Option<u64>,
}

impl LoadingOptions {
    /// Just a label.
    pub fn label(label: impl Into<String>) -> Self {
        LoadingOptions {
            label: Some(label.into()),
            ..Default::default()
        }
    }

    /// A description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Items to process.
    pub fn items_in_queue(mut self, n: u64) -> Self {
        self.items_in_queue = Some(n);
        self
    }
}

impl From<&str> for LoadingOptions {
    fn from(label: &str) -> Self {
        LoadingOptions::label(label)
    }
}

impl From<String> for LoadingOptions {
    fn from(label: String) -> Self {
        LoadingOptions::label(label)
    }
}

impl Loading {
    pub(crate) fn new(host: Arc<HostState>, target: Target) -> Self {
        Loading { host, target }
    }

    /// The current state.
    pub fn state(&self) -> Option<LoadingState> {
        self.target
            .with_loading(|slot| slot.state.as_deref().cloned())
    }

    /// Shows a new loading state (a label, or [`LoadingOptions`]).
    pub fn start(&self, options: impl Into<LoadingOptions>) {
        let options = options.into();
        self.set(|_| LoadingState {
            label: options.label,
            description: options.description,
            items_completed: options.items_in_queue.map(|_| 0),
            items_in_queue: options.items_in_queue,
            title: None,
        });
    }

    /// Changes the loading state (starts one if none was started).
    pub fn update(&self, options: impl Into<LoadingOptions>) {
        let options = options.into();
        self.set(|state| {
            let mut state = state.cloned().unwrap_or_default();
            if options.label.is_some() {
                state.label = options.label;
            }
            if options.description.is_some() {
                state.description = options.description;
            }
            if let Some(n) = options.items_in_queue {
                state.items_in_queue = Some(n);
                state.items_completed.get_or_insert(0);
            }
            state
        });
    }

    /// Marks one more item done (only with `items_in_queue`).
    pub fn complete_one(&self) {
        let counted = self.target.with_loading(|slot| {
            slot.state
                .as_ref()
                .is_some_and(|s| s.items_in_queue.is_some())
        });
        if !counted {
            tracing::warn!("loading.complete_one() without items_in_queue does nothing");
            return;
        }
        self.set(|state| {
            let mut state = state.cloned().unwrap_or_default();
            state.items_completed = Some(state.items_completed.unwrap_or(0) + 1);
            state
        });
    }

    fn set(&self, change: impl FnOnce(Option<&LoadingState>) -> LoadingState) {
        let arm = self.target.with_loading(|slot| {
            let state = change(slot.state.as_deref());
            slot.state = Some(Box::new(state));
            !std::mem::replace(&mut slot.armed, true)
        });
        if arm {
            let this = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(LOADING_DEBOUNCE).await;
                let state = this.target.with_loading(|slot| {
                    slot.armed = false;
                    slot.state.as_deref().cloned()
                });
                if let Some(state) = state {
                    this.send(state).await;
                }
            });
        }
    }

    async fn send(&self, state: LoadingState) {
        let id = match &self.target {
            Target::Transaction(t) => {
                t.set_loading(state.clone());
                t.id.to_string()
            }
            Target::Page(p) => {
                if p.is_closed() {
                    return;
                }
                p.set_loading(state.clone());
                p.key.clone()
            }
        };
        send_loading(&self.host, &id, state).await;
    }
}
