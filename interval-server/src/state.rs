//! The server's shared state: configuration, the store, sign-in, secret
//! checks, and the registry of what runs on this node now
//! ([`crate::registry`]), with what happens when hosts come and go.
//! Persistent state lives in the [`Store`].

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::api::Event;
use crate::auth::Auth;
use crate::config::ServerConfig;
use crate::db::{Store, StoredKey};
use crate::keys::{ApiKey, KeyKind};
use crate::limits::ConnectionSlots;
use crate::outbox::DashboardBacklog;
pub(crate) use crate::registry::{Host, IdentityRequirement, LivePage, LiveTransaction, Registry};
use crate::secret_checks::{Refused, SecretChecks};
use crate::wire::{Wire, POLICY_VIOLATION};
use interval_protocol::types::Organization;
use rand::Rng;

/// Everything the handlers share.
pub struct AppState {
    /// The configuration.
    pub config: ServerConfig,
    /// This server node's id among the nodes sharing the database.
    pub node_id: String,
    /// The database.
    pub store: Store,
    /// The one organization of this server.
    pub organization: Organization,
    /// The base URL, known once bound.
    pub base_url: OnceLock<String>,
    /// Dashboard login.
    pub auth: Auth,
    /// Rations checks of secrets (passwords, live keys).
    pub secret_checks: SecretChecks,
    /// Slots for dashboard connections.
    pub dashboard_slots: Arc<ConnectionSlots>,
    /// Host calls being handled now, and the most at once.
    host_calls: Arc<(AtomicUsize, AtomicUsize)>,
    /// The owner's development key for this run, when none is configured.
    run_key: Option<RunKey>,
    registry: Mutex<Registry>,
    next_id: AtomicU64,
    /// Wakes the notification delivery worker.
    pub(crate) deliveries: crate::delivery::Queue,
    /// The link to the other nodes (PostgreSQL only), once started.
    pub(crate) cluster: OnceLock<Arc<crate::cluster::Cluster>>,
    /// Cancelled when the server begins to stop (draining first, with
    /// [`ServerConfig::shutdown_drain`]): it takes no new connections.
    pub(crate) stopping: tokio_util::sync::CancellationToken,
}

/// A development key valid while the server runs (kept as a hash, in
/// memory only): the owner's, when no key is configured.
pub struct RunKey {
    hash: String,
    owner: String,
}

impl RunKey {
    /// The key `key` of account `owner`.
    pub fn new(key: &str, owner: &str) -> RunKey {
        RunKey {
            hash: crate::keys::token_hash(key),
            owner: owner.to_owned(),
        }
    }
}

/// The id of the run key among API keys.
const RUN_KEY_ID: &str = "this-run";

/// Why a host connection with an instance id already used by another API
/// key is refused (instance ids are bound to the key that first used them,
/// so that one key's host cannot take over another's transactions).
pub const INSTANCE_OF_ANOTHER_KEY: &str =
    "This instance id is in use by a host with another API key.";

/// The close code of a server that is going away (RFC 6455).
const GOING_AWAY: u16 = 1001;

/// Why the connection of a host whose API key was revoked is closed.
pub const KEY_REVOKED: &str = "This API key was revoked.";

/// Counts one host call in flight (see [`AppState::host_calls_in_flight`]).
pub(crate) struct HostCallGuard(Arc<(AtomicUsize, AtomicUsize)>);

impl Drop for HostCallGuard {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The outcome of [`AppState::check_api_key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// A known key.
    Valid(ApiKey),
    /// Not a key of this server.
    Invalid,
    /// Not checked: too many failures or attempts.
    Refused(Refused),
}

impl AppState {
    /// State over `store`.
    pub fn new(config: ServerConfig, store: Store, auth: Auth, run_key: Option<RunKey>) -> Self {
        AppState {
            secret_checks: SecretChecks::new(config.secret_checks),
            host_calls: Arc::default(),
            dashboard_slots: ConnectionSlots::new(
                config.limits.max_dashboard_connections,
                config.limits.max_dashboard_connections_per_address,
            ),
            config,
            store,
            node_id: interval_protocol::new_id().to_string(),
            auth,
            organization: Organization {
                name: "Local".into(),
                slug: "local".into(),
            },
            base_url: OnceLock::new(),
            run_key,
            registry: Mutex::default(),
            next_id: AtomicU64::new(1),
            deliveries: Default::default(),
            cluster: OnceLock::new(),
            stopping: Default::default(),
        }
    }

    /// Checks an API key presented from `address`: a development key is
    /// looked up; a live key's secret is checked against its hash, rationed
    /// like the dashboard password. An unknown key counts as a failure of
    /// `address` (and is answered after the same growing delay).
    pub async fn check_api_key(
        &self,
        address: Option<std::net::IpAddr>,
        presented: &str,
    ) -> Result<KeyCheck, crate::db::DbError> {
        if let Some(run_key) = &self.run_key {
            if crate::keys::token_hash(presented) == run_key.hash {
                return Ok(KeyCheck::Valid(ApiKey {
                    kind: KeyKind::Development,
                    id: RUN_KEY_ID.into(),
                    owner: Some(run_key.owner.clone()),
                }));
            }
        }
        let (account, verify): (String, Box<dyn FnOnce() -> bool + Send>) =
            match self.store.look_up_key(presented).await? {
                StoredKey::Development { id, owner_id } => {
                    self.store.key_used(&id).await?;
                    return Ok(KeyCheck::Valid(ApiKey {
                        kind: KeyKind::Development,
                        id,
                        owner: owner_id,
                    }));
                }
                StoredKey::Live { id, hash } => {
                    let presented = presented.to_owned();
                    (id, Box::new(move || crate::keys::verify(&presented, &hash)))
                }
                StoredKey::Unknown => ("unknown key".to_owned(), Box::new(|| false)),
            };
        let check = self
            .secret_checks
            .check(address, &format!("live key {account}"), verify)
            .await;
        Ok(match check {
            Ok(true) => {
                self.store.key_used(&account).await?;
                KeyCheck::Valid(ApiKey {
                    kind: KeyKind::Live,
                    id: account,
                    owner: None,
                })
            }
            Ok(false) => KeyCheck::Invalid,
            Err(refused) => KeyCheck::Refused(refused),
        })
    }

    /// Counts a host call as being handled until the guard is dropped.
    pub(crate) fn host_call_started(&self) -> HostCallGuard {
        let (now, peak) = &*self.host_calls;
        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(n, Ordering::SeqCst);
        HostCallGuard(self.host_calls.clone())
    }

    /// Host calls being handled now, and the most handled at once since
    /// the server started (every host together).
    pub fn host_calls_in_flight(&self) -> (usize, usize) {
        let (now, peak) = &*self.host_calls;
        (now.load(Ordering::SeqCst), peak.load(Ordering::SeqCst))
    }

    /// Whether transaction `id` is running (started, and not over).
    pub fn is_running(&self, id: &str) -> bool {
        self.registry()
            .transactions
            .get(id)
            .is_some_and(|t| !t.completed)
    }

    /// How many transactions the server keeps in memory (running ones, and
    /// finished ones that a dashboard still shows).
    pub fn transactions_in_memory(&self) -> usize {
        self.registry().transactions.len()
    }

    pub(crate) fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many hosts are connected and ready.
    pub fn registry_host_count(&self) -> usize {
        self.registry()
            .hosts
            .values()
            .filter(|h| h.is_live())
            .count()
    }

    /// The budgets' accounting of every dashboard connection (see
    /// [`crate::Limits::browser_requests_in_flight`] and
    /// [`crate::Limits::browser_queued_bytes`]), by connection id. A closed
    /// connection is listed until the requests it had started have ended.
    pub fn dashboard_backlogs(&self) -> Vec<DashboardBacklog> {
        let mut backlogs: Vec<DashboardBacklog> = self
            .registry()
            .browsers
            .values()
            .map(|outbox| outbox.backlog())
            .collect();
        backlogs.sort_by_key(|b| b.connection);
        backlogs
    }

    /// The answer to a host or dashboard connecting while this server
    /// stops: 503, so that a load balancer (nginx's `proxy_next_upstream
    /// http_503`) tries another node; `None` while it runs.
    pub fn refuse_while_stopping(&self) -> Option<axum::response::Response> {
        use axum::response::IntoResponse;
        self.stopping.is_cancelled().then(|| {
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "This server is shutting down; connect to another node.",
            )
                .into_response()
        })
    }

    /// A new connection id.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The base URL of the dashboard.
    pub fn base_url(&self) -> String {
        self.base_url
            .get()
            .cloned()
            .unwrap_or_else(|| format!("http://{}", self.config.addr()))
    }

    /// Closes every host and dashboard connection (the server is shutting
    /// down): hosts hear 1001 "going away" and reconnect, dashboards
    /// reconnect by themselves.
    pub fn close_connections(&self) {
        let registry = self.registry();
        for host in registry.hosts.values() {
            if !host.wire.is_closed() {
                host.wire.close(GOING_AWAY, "The server is shutting down.");
            }
        }
        for outbox in registry.browsers.values() {
            outbox.close();
        }
    }

    /// Closes the connections of hosts that use key `key_id` (it was
    /// revoked); returns how many.
    pub fn disconnect_key(&self, key_id: &str) -> usize {
        let registry = self.registry();
        let mut closed = 0;
        for host in registry.hosts.values().filter(|h| h.key_id == key_id) {
            if !host.wire.is_closed() {
                host.wire.close(POLICY_VIOLATION, KEY_REVOKED);
                closed += 1;
            }
        }
        closed
    }

    /// Registers a new host connection. An older connection with the same
    /// instance id is closed, as Interval does.
    pub async fn host_connected(
        &self,
        instance_id: &str,
        wire: Arc<Wire>,
        key: &ApiKey,
    ) -> Result<u64, &'static str> {
        let conn_id = self.next_id();
        match self
            .store
            .bind_instance(instance_id, key.kind.environment(), &key.id)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Err(INSTANCE_OF_ANOTHER_KEY),
            Err(e) => {
                tracing::error!("{e}");
                return Err("Internal server error.");
            }
        }
        let mut registry = self.registry();
        if let Some(old) = registry.hosts.get(instance_id) {
            if old.key != key.kind || old.key_id != key.id {
                return Err(INSTANCE_OF_ANOTHER_KEY);
            }
            if !old.wire.is_closed() {
                old.wire.close(
                    POLICY_VIOLATION,
                    "New connection established for same ID, closing previous connection.",
                );
            }
        }
        let (actions, pages) = registry
            .hosts
            .remove(instance_id)
            .map(|h| (h.actions, h.pages))
            .unwrap_or_default();
        registry.hosts.insert(
            instance_id.to_owned(),
            Host {
                wire,
                conn_id,
                key: key.kind,
                key_id: key.id.clone(),
                owner: key.owner.clone(),
                sdk_version: String::new(),
                ready: false,
                shutting_down: false,
                actions,
                pages,
            },
        );
        Ok(conn_id)
    }

    /// A host connection closed: dashboards are told, and unless the same
    /// instance comes back within the grace period its unfinished
    /// transactions are marked as dropped.
    pub fn host_disconnected(self: &Arc<Self>, instance_id: &str, conn_id: u64) {
        {
            let mut registry = self.registry();
            if registry.hosts.get(instance_id).map(|h| h.conn_id) != Some(conn_id) {
                return; // replaced by a newer connection
            }
            if let Some(host) = registry.hosts.get_mut(instance_id) {
                host.ready = false;
            }
            let affected: Vec<String> = registry
                .transactions
                .iter_mut()
                .filter(|(_, t)| t.host == instance_id && !t.completed)
                .map(|(id, t)| {
                    t.host_gone = true;
                    id.clone()
                })
                .collect();
            for id in affected {
                registry.emit(&id, Event::HostClosed { id: id.clone() });
            }
            let pages: Vec<String> = registry
                .pages
                .iter()
                .filter(|(_, p)| p.host == instance_id)
                .map(|(key, _)| key.clone())
                .collect();
            for key in pages {
                registry.emit(&key, Event::HostClosed { id: key.clone() });
                registry.pages.remove(&key);
            }
        }
        let state = self.clone();
        let instance_id = instance_id.to_owned();
        tokio::spawn(async move {
            state.withdraw_host(&instance_id).await;
            tokio::time::sleep(state.config.host_reconnect_grace).await;
            state.drop_host_if_gone(&instance_id, conn_id).await;
        });
    }

    async fn drop_host_if_gone(&self, instance_id: &str, conn_id: u64) {
        let dropped: Vec<String> = {
            let mut registry = self.registry();
            if registry.hosts.get(instance_id).map(|h| h.conn_id) != Some(conn_id) {
                return; // it came back
            }
            registry.hosts.remove(instance_id);
            registry
                .transactions
                .iter()
                .filter(|(_, t)| t.host == instance_id && !t.completed)
                .map(|(id, _)| id.clone())
                .collect()
        };
        for id in dropped {
            if let Err(e) = self
                .store
                .set_status(&id, "HOST_CONNECTION_DROPPED", None)
                .await
            {
                tracing::error!("{e}");
            }
            let mut registry = self.registry();
            registry.emit(&id, Event::HostDropped { id: id.clone() });
            if let Some(t) = registry.transactions.get_mut(&id) {
                t.completed = true;
            }
            registry.forget_if_done(&id);
        }
        tracing::info!("host {instance_id} did not come back; its open transactions were dropped");
    }

    /// The host's INITIALIZE_HOST answer was delivered: it may now get
    /// transactions, and the transactions it had before a drop are its again.
    pub async fn host_ready(&self, instance_id: &str, conn_id: u64) {
        let returning: Vec<String> = {
            let mut registry = self.registry();
            match registry.hosts.get_mut(instance_id) {
                Some(host) if host.conn_id == conn_id => host.ready = true,
                _ => return,
            }
            registry
                .transactions
                .iter_mut()
                .filter(|(_, t)| t.host == instance_id && t.host_gone && !t.completed)
                .map(|(id, t)| {
                    t.host_gone = false;
                    // Taken over below (status RUNNING): the replayed render
                    // writes its status again.
                    t.stored_status = None;
                    id.clone()
                })
                .collect()
        };
        self.announce_host(instance_id).await;
        for id in returning {
            // One a dashboard waited for across a server restart, or after
            // the node that ran it went away (see the dashboard API's
            // `attach`), is running again, on this node.
            if !self.take_over(&id, instance_id).await {
                tracing::warn!("transaction {id} is still another node's");
            }
            self.registry()
                .emit(&id, Event::HostReconnected { id: id.clone() });
        }
    }

    /// Revives a transaction interrupted by a server restart when its host
    /// replays it (same instance id as recorded).
    pub async fn revive(&self, transaction_id: &str, instance_id: &str) -> bool {
        let record = match self.store.transaction(transaction_id).await {
            Ok(Some(record)) => record,
            _ => return false,
        };
        if record.status == "COMPLETED" || record.host_instance_id.as_deref() != Some(instance_id) {
            return false;
        }
        // Dropped by a server that stopped, or run by a node that went away
        // (waited for, up to the node timeout): this node's now.
        if !self.take_over(transaction_id, instance_id).await {
            return false;
        }
        {
            // A dashboard may be waiting for it already (see `attach`).
            let mut registry = self.registry();
            let append_ui = registry
                .hosts
                .get(instance_id)
                .is_some_and(|h| h.appends_ui());
            let live = registry
                .transactions
                .entry(transaction_id.to_owned())
                .or_insert_with(|| {
                    LiveTransaction::new(
                        record.action_slug.clone(),
                        instance_id.to_owned(),
                        record.runner_id.clone().unwrap_or_default(),
                    )
                });
            let waited = std::mem::replace(&mut live.host_gone, false);
            live.stored_status = None;
            live.append_ui = append_ui;
            // This node's dashboards that followed it on the node that had it
            // follow it here now: the replayed render reaches them.
            if let Some(abroad) = registry.remote.abroad.remove(transaction_id) {
                if let Some(live) = registry.transactions.get_mut(transaction_id) {
                    live.browsers.extend(abroad.browsers);
                }
            }
            if waited {
                registry.emit(
                    transaction_id,
                    Event::HostReconnected {
                        id: transaction_id.to_owned(),
                    },
                );
            }
        }
        // A dashboard on a third node followed it on the node that went
        // away: it follows it here now.
        if let Some(cluster) = self.cluster() {
            match self.store.browser_node(transaction_id).await {
                Ok(Some(node)) if node != self.node_id => {
                    cluster.moved(&node, transaction_id).await
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("{e}"),
            }
        }
        tracing::info!("transaction {transaction_id} resumed by its host after a restart");
        true
    }
}

/// A new transaction id: 21 URL-safe characters, like Interval's nanoids.
pub fn new_transaction_id() -> String {
    const ALPHABET: &[u8] = b"ModuleSymbhasOwnPr-0123456789ABCDEFGHNRVfgctiUvz_KqYTJkLxpZXIjQW";
    let mut rng = rand::rng();
    (0..21)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
