//! The open transactions and pages of a host: registered when they start,
//! found by id when an IO response arrives, replayed after a reconnect, and
//! waited for by a safe shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use interval_protocol::host::{SendIoCall, SendIoCallInputs};
use interval_protocol::io::IoResponse;
use interval_protocol::types::{ActionRef, User};
use tokio::sync::watch;

use crate::error::Error;
use crate::inbox::{Closed, GroupEvent};
use crate::loading_slot::send_loading;
use crate::page_view::PageView;
use crate::socket::{lock, truncate};
use crate::state::HostState;
use crate::transaction::Transaction;

/// The open transactions and pages of a host.
pub(crate) struct Transactions {
    map: Mutex<HashMap<Arc<str>, Arc<Transaction>>>,
    pages: Mutex<HashMap<String, Arc<PageView>>>,
    /// Open transactions plus open pages (safe shutdown waits for zero).
    open: watch::Sender<usize>,
    /// Shared copies of what many transactions repeat.
    pub interned: Mutex<Interned>,
}

/// The last user seen and each action's reference: transactions of the same
/// person and action share one copy (their contexts hold `Arc`s).
#[derive(Default)]
pub(crate) struct Interned {
    user: Option<Arc<User>>,
    actions: HashMap<String, Arc<ActionRef>>,
}

impl Interned {
    /// The shared copy of `user`.
    pub fn user(&mut self, user: User) -> Arc<User> {
        match &self.user {
            Some(last) if **last == user => last.clone(),
            _ => self.user.insert(Arc::new(user)).clone(),
        }
    }

    /// The shared copy of `action`.
    pub fn action(&mut self, action: ActionRef) -> Arc<ActionRef> {
        match self.actions.get(&action.slug) {
            Some(known) if **known == action => known.clone(),
            _ => {
                let action = Arc::new(action);
                self.actions.insert(action.slug.clone(), action.clone());
                action
            }
        }
    }
}

impl Default for Transactions {
    fn default() -> Self {
        Transactions {
            map: Mutex::default(),
            pages: Mutex::default(),
            open: watch::Sender::new(0),
            interned: Mutex::default(),
        }
    }
}

impl Transactions {
    /// Registers a started transaction; `false` if the id is taken.
    pub fn insert(&self, transaction: Arc<Transaction>) -> bool {
        let mut map = lock(&self.map);
        if map.contains_key(&transaction.id) {
            return false;
        }
        map.insert(transaction.id.clone(), transaction);
        self.open.send_modify(|n| *n += 1);
        true
    }

    /// The open transaction `id`.
    pub fn get(&self, id: &str) -> Option<Arc<Transaction>> {
        lock(&self.map).get(id).cloned()
    }

    /// Forgets a transaction (`CLOSE_TRANSACTION`, or completion): its
    /// pending call, loading state and input groups. A call still waiting
    /// fails with `TRANSACTION_CLOSED`.
    pub fn close(&self, id: &str) {
        let removed = lock(&self.map).remove(id);
        if let Some(transaction) = removed {
            transaction.close();
            self.open.send_modify(|n| *n = n.saturating_sub(1));
        }
    }

    /// Registers an open page; `false` if the key is taken.
    pub fn insert_page(&self, page: Arc<PageView>) -> bool {
        let mut pages = lock(&self.pages);
        if pages.contains_key(&page.key) {
            return false;
        }
        pages.insert(page.key.clone(), page);
        self.open.send_modify(|n| *n += 1);
        true
    }

    /// The open page `key`.
    pub fn page(&self, key: &str) -> Option<Arc<PageView>> {
        lock(&self.pages).get(key).cloned()
    }

    /// Forgets a page (`CLOSE_PAGE`).
    pub fn close_page(&self, key: &str) {
        let removed = lock(&self.pages).remove(key);
        if let Some(page) = removed {
            page.close();
            self.open.send_modify(|n| *n = n.saturating_sub(1));
        }
    }

    /// Every open page.
    pub fn pages(&self) -> Vec<Arc<PageView>> {
        lock(&self.pages).values().cloned().collect()
    }

    /// Open transactions plus open pages.
    pub fn open_count(&self) -> usize {
        *self.open.borrow()
    }

    /// The number of open transactions (not pages).
    #[allow(dead_code)]
    pub fn transaction_count(&self) -> usize {
        lock(&self.map).len()
    }

    /// The client closed: every waiting IO call fails.
    pub fn close_all_groups(&self) {
        for transaction in self.all() {
            transaction.close_groups(Closed::Client);
        }
        for page in self.pages() {
            page.close_groups(Closed::Client);
        }
    }

    /// Resolves once nothing is open.
    pub async fn wait_until_empty(&self) {
        let mut open = self.open.subscribe();
        let _ = open.wait_for(|n| *n == 0).await;
    }

    /// Every open transaction.
    pub fn all(&self) -> Vec<Arc<Transaction>> {
        lock(&self.map).values().cloned().collect()
    }

    /// Handles `IO_RESPONSE`: routes by the transaction id inside the value.
    pub fn deliver(&self, value: &str) {
        let response: IoResponse = match serde_json::from_str(value) {
            Ok(response) => response,
            Err(e) => {
                tracing::error!("Ignoring an invalid IO response ({e}): {}", truncate(value));
                return;
            }
        };
        if let Some(page) = self.page(&response.transaction_id) {
            page.route(response);
            return;
        }
        match self.get(&response.transaction_id) {
            Some(transaction) => transaction.route(response),
            None => tracing::debug!(
                "Ignoring an IO response for unknown transaction {}",
                response.transaction_id
            ),
        }
    }

    /// After a reconnect: re-sends the last loading state of every open
    /// transaction and the layout and loading state of every open page, then
    /// asks every waiting IO call to send its render again (a refusal fails the
    /// call) and re-sends the settled renders of the others (retried for
    /// `max_resend_attempts` rounds; a refusal drops them).
    pub async fn replay(&self, host: &Arc<HostState>) {
        let pending: Vec<_> = self
            .all()
            .into_iter()
            .map(|transaction| {
                let pending = transaction.pending();
                (transaction, pending)
            })
            .collect();
        for (transaction, pending) in &pending {
            if let Some(loading) = &pending.loading {
                send_loading(host, &transaction.id, loading.clone()).await;
            }
        }
        for page in self.pages() {
            page.replay(host).await;
        }
        let tasks = pending.into_iter().filter_map(|(transaction, pending)| {
            let io_call = match (pending.settled_render, pending.waiting) {
                (Some(io_call), _) => io_call,
                (None, Some(inbox)) => {
                    let _ = inbox.push(GroupEvent::Resend);
                    return None;
                }
                (None, None) => return None,
            };
            let host = host.clone();
            let registry = self;
            Some(async move {
                let inputs = SendIoCallInputs {
                    transaction_id: transaction.id.to_string(),
                    io_call,
                    skip_client_call: None,
                };
                for round in 1..=host.config.max_resend_attempts.max(1) {
                    match host.rpc.call::<SendIoCall>(&inputs).await {
                        Ok(reply) => {
                            if let Some(refusal) = reply.refusal() {
                                // The server canceled or forgot it while we
                                // were away: it is no longer running.
                                tracing::info!(
                                    "The server refused the replayed IO call of transaction {}: {refusal}; ending it",
                                    transaction.id
                                );
                                transaction.cancel_by_server();
                                registry.close(&transaction.id);
                            }
                            return;
                        }
                        Err(Error::NotConnected) => return,
                        Err(e) => {
                            tracing::warn!("Replaying an IO call failed (round {round}): {e}");
                            tokio::time::sleep(host.config.retry_interval * round).await;
                        }
                    }
                }
            })
        });
        futures_util::future::join_all(tasks).await;
    }
}
