//! This server as one node of several sharing a database: its heartbeat,
//! and taking over the transactions of a node that went away.
//!
//! Every node writes a heartbeat ([`crate::ServerConfig::node_heartbeat`]);
//! one whose heartbeat is older than [`crate::ServerConfig::node_timeout`]
//! is gone. Hosts and browsers of a node that went away reconnect (through
//! the load balancer) to another node; a host replaying its pending call
//! there gets its transaction back once the transaction is that node's
//! ([`crate::db::Store::claim_transaction`]), as after a server restart.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::db::now_ms;
use crate::state::AppState;

/// Writes this node's heartbeat until `stop` is cancelled.
pub(crate) fn spawn_heartbeat(state: Arc<AppState>, stop: CancellationToken) -> JoinHandle<()> {
    let started = now_ms();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(state.config.node_heartbeat);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = ticks.tick() => {}
            }
            if let Err(e) = state.store.heartbeat(&state.node_id, started).await {
                tracing::warn!("{e}");
            }
        }
    })
}

impl AppState {
    fn node_timeout_ms(&self) -> i64 {
        i64::try_from(self.config.node_timeout.as_millis()).unwrap_or(i64::MAX)
    }

    /// Makes transaction `id` of host `instance` this node's, waiting up
    /// to the node timeout (and a heartbeat) for the node that had it to be
    /// gone; whether it is this node's now.
    pub(crate) async fn take_over(&self, id: &str, instance: &str) -> bool {
        let patience = self.config.node_timeout + self.config.node_heartbeat * 2;
        let deadline = tokio::time::Instant::now() + patience;
        let poll = (self.config.node_heartbeat / 2).max(Duration::from_millis(50));
        loop {
            match self
                .store
                .claim_transaction(id, instance, &self.node_id, self.node_timeout_ms())
                .await
            {
                Ok(true) => return true,
                Ok(false) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(poll).await
                }
                Ok(false) => return false,
                Err(e) => {
                    tracing::error!("{e}");
                    return false;
                }
            }
        }
    }

    /// Marks the unfinished transactions of nodes that are gone (at start:
    /// of this server before a restart) as dropped; returns how many.
    pub(crate) async fn interrupt_orphans(&self) -> Result<usize, crate::db::DbError> {
        self.store
            .interrupt_orphans("HOST_CONNECTION_DROPPED", self.node_timeout_ms())
            .await
    }
}

impl AppState {
    /// The link to the other nodes, when the store is PostgreSQL.
    pub(crate) fn cluster(&self) -> Option<&Arc<crate::cluster::Cluster>> {
        self.cluster.get()
    }

    /// Records host `instance` (connected to this node, ready) with what it
    /// declared, so that the other nodes list it and forward to it.
    pub(crate) async fn announce_host(&self, instance: &str) {
        let Some(cluster) = self.cluster() else {
            return;
        };
        let record = {
            let registry = self.registry();
            let Some(host) = registry.hosts.get(instance) else {
                return;
            };
            crate::db::HostRecord {
                instance_id: instance.to_owned(),
                node_id: self.node_id.clone(),
                key_kind: host.key.environment().to_owned(),
                owner_id: host.owner.clone(),
                actions: serde_json::to_value(&host.actions).unwrap_or_default(),
                pages: serde_json::to_value(&host.pages).unwrap_or_default(),
            }
        };
        if let Err(e) = self.store.host_up(&record).await {
            tracing::warn!("{e}");
        }
        cluster.hosts_changed().await;
    }

    /// Host `instance` left this node: the other nodes stop listing it.
    pub(crate) async fn withdraw_host(&self, instance: &str) {
        let Some(cluster) = self.cluster() else {
            return;
        };
        if let Err(e) = self.store.host_down(instance, &self.node_id).await {
            tracing::warn!("{e}");
        }
        cluster.hosts_changed().await;
    }
}
