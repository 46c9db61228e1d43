//! The host: the shared state plus what only the top of the runtime needs:
//! the routes it declares (`INITIALIZE_HOST`), the table of their handlers,
//! its open transactions and pages, and the embedded server it started.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use interval_protocol::host::{InitializeHost, InitializeHostInputs, InitializeHostReturns};
use interval_protocol::types::SdkAlert;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::registry::Transactions;
use crate::routes::{Route, RouteTable, Routes};
use crate::socket::lock;
use crate::state::{now_ms, Endpoint, HostState, Session, Status};

/// The SDK name reported in `INITIALIZE_HOST`.
///
/// A real Interval server gates behaviour on these two strings (PROTOCOL.md
/// §2.6): only hosts named `@interval/sdk` get `{type:"error"}` init
/// failures (others get a bare `null`) and have code-defined `access`
/// applied. So interval-rs reports the official name.
pub const SDK_NAME: &str = "@interval/sdk";

/// The SDK version reported in `INITIALIZE_HOST`.
///
/// The server compares versions as *strings*: `>= "0.38.0"` enables append-UI
/// mode and `CLOSE_TRANSACTION`, `>= "0.38.1"` environment slugs, `>= "1.4.0"`
/// `SEND_IO_CALL` error objects, and SDK alerts apply when their
/// `minSdkVersion` sorts above ours. `2.1.0` is the protocol level interval-rs
/// implements (the newest Node SDK), so every gate opens and no "outdated"
/// alert meant for older Node SDKs fires; the `+interval-rs.…` build suffix
/// sorts after `2.1.0` and lets a server tell this SDK apart.
pub const SDK_VERSION: &str = concat!("2.1.0+interval-rs.", env!("CARGO_PKG_VERSION"));

/// One host: what the [`Interval`](crate::Interval) handle points to.
pub(crate) struct Host {
    pub state: Arc<HostState>,
    /// Open transactions and pages.
    pub registry: Transactions,
    routes: Mutex<Routes>,
    /// The handlers of the routes the server last accepted.
    table: Mutex<RouteTable>,
    reinitialize_pending: AtomicBool,
    #[cfg(feature = "embedded")]
    server: Mutex<Option<crate::embedded::Embedded>>,
}

impl Host {
    /// A host of `routes`, not connected yet.
    pub fn new(config: Config, routes: Routes) -> Self {
        Host {
            state: Arc::new(HostState::new(config)),
            registry: Transactions::default(),
            table: Mutex::new(routes.flatten()),
            routes: Mutex::new(routes),
            reinitialize_pending: AtomicBool::new(false),
            #[cfg(feature = "embedded")]
            server: Mutex::new(None),
        }
    }

    /// The handlers of the declared routes.
    pub fn table(&self) -> MutexGuard<'_, RouteTable> {
        lock(&self.table)
    }

    /// The configured endpoint, or else (with the `embedded` feature) a
    /// server started in this process.
    pub async fn resolve_endpoint(&self) -> Result<Endpoint> {
        if let Some(endpoint) = self.state.endpoint() {
            return Ok(endpoint);
        }
        #[cfg(feature = "embedded")]
        {
            let server = crate::embedded::start(self.state.config.api_key.as_deref()).await?;
            let endpoint = Endpoint {
                url: server.endpoint(),
                api_key: Some(server.api_key()),
            };
            *lock(&self.server) = Some(server);
            self.state.set_endpoint(endpoint.clone());
            Ok(endpoint)
        }
        #[cfg(not(feature = "embedded"))]
        {
            Err(Error::Config(
                "no endpoint: set INTERVAL_ENDPOINT or call .endpoint(\"ws://host:port/websocket\") \
                 (or enable the `embedded` feature to run a server in-process)"
                    .into(),
            ))
        }
    }

    /// The dashboard URL of the embedded server, when one was started.
    #[cfg(feature = "embedded")]
    pub fn embedded_dashboard_url(&self) -> Option<String> {
        lock(&self.server).as_ref().map(|s| s.url())
    }

    /// Stops the embedded server, if one was started.
    pub fn stop_embedded_server(&self) {
        #[cfg(feature = "embedded")]
        if let Some(server) = lock(&self.server).take() {
            server.stop();
        }
    }

    /// Sends `INITIALIZE_HOST` with the current routes.
    pub async fn initialize(&self, first: bool) -> Result<()> {
        let table = lock(&self.routes).flatten();
        let inputs = InitializeHostInputs {
            actions: table.actions.clone(),
            groups: Some(table.pages.clone()),
            callable_action_names: None,
            sdk_name: Some(SDK_NAME.into()),
            sdk_version: Some(SDK_VERSION.into()),
            request_id: None,
            timestamp: Some(now_ms()),
        };
        let reply = self.state.rpc.call::<InitializeHost>(&inputs).await?;
        match reply {
            None => Err(Error::Interval("Unknown error".into())),
            Some(InitializeHostReturns::Error { message, sdk_alert }) => {
                report_alert(sdk_alert.as_ref());
                Err(Error::Interval(message))
            }
            Some(InitializeHostReturns::Success {
                environment,
                invalid_slugs,
                organization,
                dashboard_url,
                sdk_alert,
                warnings,
                ..
            }) => {
                report_alert(sdk_alert.as_ref());
                if !invalid_slugs.is_empty() {
                    tracing::warn!(
                        "The server rejected these action slugs (use only letters, digits, '-', '_' and '.'): {}",
                        invalid_slugs.join(", ")
                    );
                }
                for warning in warnings {
                    tracing::warn!("{warning}");
                }
                *lock(&self.table) = table;
                tracing::debug!("Environment: {environment}");
                self.state.initialized(Session {
                    organization: Arc::new(organization),
                    environment: environment.as_str().into(),
                });
                if first {
                    tracing::info!("Connected! Access your actions at: {dashboard_url}");
                } else {
                    tracing::debug!("Re-initialized with the server");
                }
                Ok(())
            }
        }
    }

    /// Adds (or replaces) a top-level route.
    pub fn insert_route(self: &Arc<Self>, slug: String, route: Route) {
        lock(&self.routes).insert(slug, route);
        self.routes_changed();
    }

    /// Removes a top-level route.
    pub fn remove_route(self: &Arc<Self>, slug: &str) -> Option<Route> {
        let removed = lock(&self.routes).remove(slug);
        self.routes_changed();
        removed
    }

    /// Debounces re-declaring the routes after a run-time change.
    fn routes_changed(self: &Arc<Self>) {
        let status = self.state.status();
        if status != Status::Connected || self.reinitialize_pending.swap(true, Ordering::SeqCst) {
            if status == Status::Idle {
                *lock(&self.table) = lock(&self.routes).flatten();
            }
            return;
        }
        let host = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(host.state.config.reinitialize_batch_timeout).await;
            host.reinitialize_pending.store(false, Ordering::SeqCst);
            if let Err(e) = host.initialize(false).await {
                tracing::error!("Could not declare the changed routes: {e}");
            }
        });
    }
}

fn report_alert(alert: Option<&SdkAlert>) {
    if let Some(alert) = alert {
        let message = alert.message.as_deref().unwrap_or("Please upgrade.");
        tracing::warn!(
            "SDK alert ({:?}, min version {}): {message}",
            alert.severity,
            alert.min_sdk_version
        );
    }
}
