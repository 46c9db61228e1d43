//! Host connections: the handshake of §1.4 and every host method of §2.2.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocket;
use axum::http::HeaderMap;
use interval_protocol::host::{
    BeginHostShutdown, InitializeHost, InitializeHostInputs, InitializeHostReturns,
    MarkTransactionComplete, MarkTransactionCompleteInputs, Notify, SendIoCall, SendIoCallError,
    SendIoCallInputs, SendIoCallReturns, SendLoadingCall, SendLog, SendPage, SendRedirect,
};
use interval_protocol::io::IoRender;
use interval_protocol::result::{ActionResult, FailureData};
use interval_protocol::slug::{check_action_slug, check_page_slug};
use interval_protocol::types::{ResultStatus, SuccessOrError};
use interval_protocol::{Method, RpcMessage};
use serde_json::Value;

use crate::api::Event;
use crate::db::{now_ms, NotificationRecord};
use crate::keys::KeyKind;
use crate::state::{AppState, KeyCheck};
use crate::wire::{Wire, WireOptions, POLICY_VIOLATION};

/// What Interval tells a host with a wrong key.
pub const INVALID_KEY: &str =
    "Invalid API key, please check the apiKey property. Get an API key at the dashboard's keys page.";
/// What Interval tells a host without a key.
pub const MISSING_KEY: &str =
    "Missing API key, please check the apiKey property. Get an API key at the dashboard's keys page.";

/// Serves one host connection until it closes.
pub async fn serve(
    state: Arc<AppState>,
    peer: Option<IpAddr>,
    headers: HeaderMap,
    socket: WebSocket,
) {
    let limits = state.config.limits;
    let (wire, mut calls) = Wire::spawn(
        socket,
        WireOptions {
            calls_per_second: limits.host_calls_per_second,
            send_timeout: limits.send_timeout,
            response_timeout: limits.response_timeout,
            ping_interval: Some(limits.host_ping_interval),
            pong_timeout: limits.host_pong_timeout,
        },
    );
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let key = match header("x-api-key") {
        None => {
            wire.close(POLICY_VIOLATION, MISSING_KEY);
            return;
        }
        Some(key) => match state.check_api_key(peer, &key).await {
            Ok(KeyCheck::Valid(kind)) => kind,
            Ok(KeyCheck::Invalid) => {
                tracing::warn!("refused a host with an invalid API key");
                wire.close(POLICY_VIOLATION, INVALID_KEY);
                return;
            }
            Ok(KeyCheck::Refused(refused)) => {
                tracing::warn!("refused a host: {}", refused.message());
                wire.close(POLICY_VIOLATION, &refused.message());
                return;
            }
            Err(e) => {
                tracing::error!("{e}");
                wire.close(1011, "Internal server error.");
                return;
            }
        },
    };
    let instance_id =
        header("x-instance-id").unwrap_or_else(|| interval_protocol::new_id().to_string());
    let conn_id = match state.host_connected(&instance_id, wire.clone(), &key).await {
        Ok(conn_id) => conn_id,
        Err(refusal) => {
            tracing::warn!("refused host {instance_id}: {refusal}");
            wire.close(POLICY_VIOLATION, refusal);
            return;
        }
    };
    let key = key.kind;
    if wire.authenticate().await.is_err() {
        wire.close(POLICY_VIOLATION, "Failed confirming authentication.");
    }
    tracing::debug!("host {instance_id} connected");

    // Calls are handled concurrently, as Interval does, but no more than
    // `host_calls_in_flight` at once: past that the connection's calls wait
    // (and, its queue full, the server stops reading it), so a host that
    // sends and never reads its answers holds a bounded number of calls.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(
        limits.host_calls_in_flight.max(1),
    ));
    while let Some(call) = calls.recv().await {
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let state = state.clone();
        let wire = wire.clone();
        let instance_id = instance_id.clone();
        tokio::spawn(async move {
            let _counted = state.host_call_started();
            handle(&state, &wire, &instance_id, conn_id, key, call).await;
            drop(permit);
        });
    }
    tracing::debug!("host {instance_id} disconnected");
    state.host_disconnected(&instance_id, conn_id);
}

fn decode<M: Method>(call: &RpcMessage) -> Option<M::Inputs> {
    M::decode_inputs(call.data.clone())
        .map_err(|e| tracing::warn!("ignoring {} with invalid inputs: {e}", M::NAME))
        .ok()
}

fn to_value<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

async fn handle(
    state: &Arc<AppState>,
    wire: &Wire,
    instance: &str,
    conn_id: u64,
    key: KeyKind,
    call: RpcMessage,
) {
    let reply = match call.method_name.as_str() {
        InitializeHost::NAME => match decode::<InitializeHost>(&call) {
            Some(inputs) => {
                let reply = initialize(state, instance, key, inputs).await;
                if let InitializeHostReturns::Error { message, .. } = &reply {
                    tracing::warn!("refused to initialize host {instance}: {message}");
                }
                let ok = matches!(reply, InitializeHostReturns::Success { .. });
                // Transactions go out only once the host has its answer.
                if wire.respond(&call, to_value(Some(reply))).await.is_ok() && ok {
                    state.host_ready(instance, conn_id).await;
                }
                return;
            }
            None => None,
        },
        SendIoCall::NAME => match decode::<SendIoCall>(&call) {
            Some(i) => Some(to_value(send_io_call(state, instance, conn_id, i).await)),
            None => None,
        },
        SendLoadingCall::NAME => decode::<SendLoadingCall>(&call).map(|inputs| {
            let mut registry = state.registry();
            let id = inputs.transaction_id.clone();
            let mut loading = inputs.state;
            if loading.label.is_none() {
                loading.label = loading.title.take();
            }
            // Only for a transaction or page this connection runs.
            let known = match registry.own_transaction(instance, conn_id, &id) {
                Some(t) if !t.completed => {
                    t.loading = Some(loading.clone());
                    true
                }
                Some(_) => false,
                None => registry.own_page(instance, conn_id, &id).is_some(),
            };
            if known && inputs.skip_client_call != Some(true) {
                registry.emit(
                    &id,
                    Event::Loading {
                        transaction_id: id.clone(),
                        state: loading,
                    },
                );
            }
            Value::Bool(known)
        }),
        SendLog::NAME => match decode::<SendLog>(&call) {
            None => None,
            Some(inputs) => Some(
                async {
                    if state
                        .registry()
                        .own_transaction(instance, conn_id, &inputs.transaction_id)
                        .is_none()
                    {
                        return Value::Bool(false);
                    }
                    let at = inputs.timestamp.map(|t| t as i64).unwrap_or_else(now_ms);
                    let index = inputs.index.map(|i| i as i64);
                    match state
                        .store
                        .add_log(&inputs.transaction_id, index, &inputs.data, at)
                        .await
                    {
                        Ok((index, inserted)) => {
                            // A retried line (same index) is stored and shown once.
                            if inserted && inputs.skip_client_call != Some(true) {
                                state.registry().emit(
                                    &inputs.transaction_id,
                                    Event::Log {
                                        transaction_id: inputs.transaction_id.clone(),
                                        index,
                                        data: inputs.data,
                                        timestamp: at,
                                    },
                                );
                            }
                            Value::Bool(true)
                        }
                        Err(e) => {
                            tracing::error!("{e}");
                            Value::Bool(false)
                        }
                    }
                }
                .await,
            ),
        },
        SendRedirect::NAME => match decode::<SendRedirect>(&call) {
            None => None,
            Some(inputs) => Some(
                async {
                    let id = inputs.transaction_id.clone();
                    let replace = inputs.replace.unwrap_or(false);
                    let transaction = {
                        let mut registry = state.registry();
                        match registry.own_transaction(instance, conn_id, &id) {
                            Some(t) => {
                                t.redirect = Some((inputs.target.clone(), replace));
                                true
                            }
                            None => false,
                        }
                    };
                    if transaction {
                        if let Err(e) = state.store.set_result_status(&id, "REDIRECTED").await {
                            tracing::error!("{e}");
                        }
                    }
                    let mut registry = state.registry();
                    let known = transaction || registry.own_page(instance, conn_id, &id).is_some();
                    if known {
                        registry.emit(
                            &id,
                            Event::Redirect {
                                transaction_id: id.clone(),
                                target: inputs.target,
                                replace,
                            },
                        );
                    }
                    Value::Bool(known)
                }
                .await,
            ),
        },
        MarkTransactionComplete::NAME => match decode::<MarkTransactionComplete>(&call) {
            Some(i) => Some(Value::Bool(complete(state, instance, conn_id, i).await)),
            None => None,
        },
        SendPage::NAME => decode::<SendPage>(&call).map(|inputs| {
            let layout = match inputs.page.as_deref().map(serde_json::from_str) {
                None => None,
                Some(Ok(layout)) => Some(layout),
                Some(Err(e)) => {
                    tracing::warn!("refusing an invalid page layout: {e}");
                    return Value::Bool(false);
                }
            };
            let mut registry = state.registry();
            match registry.own_page(instance, conn_id, &inputs.page_key) {
                Some(page) => {
                    page.layout = layout.clone();
                    registry.emit(
                        &inputs.page_key,
                        Event::PageRender {
                            page_key: inputs.page_key.clone(),
                            layout,
                        },
                    );
                    Value::Bool(true)
                }
                None => Value::Bool(false),
            }
        }),
        BeginHostShutdown::NAME => match decode::<BeginHostShutdown>(&call) {
            None => None,
            Some(_) => {
                if let Some(host) = state.registry().hosts.get_mut(instance) {
                    host.shutting_down = true;
                }
                // The other nodes stop offering its actions too.
                state.withdraw_host(instance).await;
                Some(to_value(SuccessOrError::Success))
            }
        },
        Notify::NAME => match decode::<Notify>(&call) {
            None => None,
            Some(inputs) => Some(
                async {
                    // About a transaction this host ran, as every host method is.
                    let ran_it = state
                        .store
                        .transaction(&inputs.transaction_id)
                        .await
                        .ok()
                        .flatten()
                        .is_some_and(|t| t.host_instance_id.as_deref() == Some(instance));
                    if !ran_it {
                        return Value::Bool(false);
                    }
                    let instructions = inputs.delivery_instructions.unwrap_or_default();
                    let record = NotificationRecord {
                        id: interval_protocol::new_id().to_string(),
                        message: inputs.message,
                        title: inputs.title,
                        transaction_id: Some(inputs.transaction_id),
                        deliveries: to_value(&instructions),
                        created_at: now_ms(),
                    };
                    // Delivered when the host connected with a live key.
                    let key = state.registry().hosts.get(instance).map(|h| h.key);
                    let key = key.unwrap_or(crate::keys::KeyKind::Development);
                    Value::Bool(
                        crate::delivery::queue_notification(
                            state,
                            &record,
                            inputs.idempotency_key.as_deref(),
                            key,
                            &instructions,
                        )
                        .await
                        .is_ok(),
                    )
                }
                .await,
            ),
        },
        other => {
            // Interval's server and the Node SDK log a CALL of an unknown
            // method and never answer it, which leaves the caller waiting
            // (forever in Node, until its response timeout here). The
            // protocol has no error RESPONSE, so this server answers at once
            // with the protocol's generic error object, `{type: "error",
            // message}` (what BEGIN_HOST_SHUTDOWN and INITIALIZE_HOST refuse
            // with), and keeps the connection open: a caller expecting
            // another shape fails on it with a clear validation error
            // instead of hanging.
            tracing::warn!("refusing a call of unknown method {other:?} from host {instance}");
            Some(to_value(SuccessOrError::Error {
                message: Some(format!(
                    "Unknown method {other:?}: this server does not answer it."
                )),
            }))
        }
    };
    if let Some(reply) = reply {
        if let Err(e) = wire.respond(&call, reply).await {
            tracing::debug!("could not answer {}: {e}", call.method_name);
        }
    }
}

async fn initialize(
    state: &AppState,
    instance: &str,
    key: KeyKind,
    inputs: InitializeHostInputs,
) -> InitializeHostReturns {
    // Refused: nothing changes (a host that had initialized before keeps
    // what it declared then).
    let declared = inputs.actions.len() + inputs.groups.as_ref().map_or(0, Vec::len);
    let max = state.config.limits.max_host_routes;
    if declared > max {
        return InitializeHostReturns::Error {
            message: format!(
                "This host declares {declared} actions and pages; this server accepts at most \
                 {max} per host. Split them over several hosts or raise the server's limit."
            ),
            sdk_alert: None,
        };
    }
    let invalid_slugs: Vec<String> = inputs
        .actions
        .iter()
        .filter_map(|a| {
            let problem = check_action_slug(&a.slug).err().or_else(|| {
                a.group_slug
                    .as_deref()
                    .and_then(|g| check_page_slug(g).err())
            })?;
            tracing::debug!("invalid slug {:?}: {problem}", a.full_slug());
            Some(a.full_slug())
        })
        .collect();
    let actions: Vec<_> = inputs
        .actions
        .into_iter()
        .filter(|a| !invalid_slugs.contains(&a.full_slug()))
        .collect();
    let pages: Vec<_> = inputs
        .groups
        .unwrap_or_default()
        .into_iter()
        .filter(|p| check_page_slug(&p.slug).is_ok())
        .collect();
    let definitions = |items: Vec<(String, Value)>| items;
    if let Err(e) = state
        .store
        .save_definitions(
            &definitions(
                actions
                    .iter()
                    .map(|a| (a.full_slug(), to_value(a)))
                    .collect(),
            ),
            &definitions(
                pages
                    .iter()
                    .map(|p| (p.slug.clone(), to_value(p)))
                    .collect(),
            ),
        )
        .await
    {
        tracing::error!("{e}");
    }
    if let Some(host) = state.registry().hosts.get_mut(instance) {
        host.sdk_version = inputs.sdk_version.unwrap_or_default();
        host.actions = actions;
        host.pages = pages;
    }
    if !invalid_slugs.is_empty() {
        tracing::warn!(
            "host {instance} declared invalid slugs: {}",
            invalid_slugs.join(", ")
        );
    }
    let environment = key.environment();
    let base = state.base_url();
    let warnings = unknown_teams_warning(state, instance).await;
    InitializeHostReturns::Success {
        environment: environment.into(),
        invalid_slugs,
        organization: state.organization.clone(),
        dashboard_url: format!("{base}/"),
        force_peer_messages: None,
        sdk_alert: None,
        warnings,
    }
}

/// At most one warning, as Interval: the team slugs that `access`
/// definitions of host `instance` name and the organization does not have.
async fn unknown_teams_warning(state: &AppState, instance: &str) -> Vec<String> {
    let known: Vec<String> = match state.store.teams().await {
        Ok(teams) => teams.into_iter().map(|t| t.slug).collect(),
        Err(e) => {
            tracing::error!("{e}");
            return vec![];
        }
    };
    let registry = state.registry();
    let Some(host) = registry.hosts.get(instance) else {
        return vec![];
    };
    let accesses = host
        .actions
        .iter()
        .filter_map(|a| a.access.as_ref())
        .chain(host.pages.iter().filter_map(|p| p.access.as_ref()));
    let unknown = crate::access::unknown_teams(accesses, &known);
    if unknown.is_empty() {
        return vec![];
    }
    vec![format!(
        "Access definitions name teams this organization does not have: {}. \
         Only admins can run those actions until the teams exist.",
        unknown.join(", ")
    )]
}

async fn send_io_call(
    state: &AppState,
    instance: &str,
    conn_id: u64,
    inputs: SendIoCallInputs,
) -> SendIoCallReturns {
    let refuse = |registry: &crate::state::Registry, message: &str| {
        let understands = registry
            .hosts
            .get(instance)
            .is_some_and(|h| h.understands_io_errors());
        if understands {
            SendIoCallReturns::Error(SendIoCallError {
                kind: interval_protocol::host::ErrorTag::Error,
                message: Some(message.to_owned()),
            })
        } else {
            SendIoCallReturns::Accepted(false)
        }
    };
    let render: IoRender = match serde_json::from_str(&inputs.io_call) {
        Ok(render) => render,
        Err(e) => {
            tracing::warn!("refusing an invalid IO call from host {instance}: {e}");
            return refuse(&state.registry(), "Invalid IO call.");
        }
    };
    if render
        .to_render
        .iter()
        .any(|c| c.method_name == "CREDENTIALS")
    {
        return refuse(
            &state.registry(),
            "IO method io.experimental.credentials is not currently supported.",
        );
    }
    let id = inputs.transaction_id.clone();
    // A host replaying a call after a server restart gets its transaction back.
    let live = state.registry().transactions.contains_key(&id);
    let known = live || state.revive(&id, instance).await;
    let status = {
        let mut registry = state.registry();
        if !known {
            return refuse(&registry, "Transaction not found.");
        }
        // Another host's transaction reads as an unknown one.
        let Some(transaction) = registry.own_transaction(instance, conn_id, &id) else {
            return refuse(&registry, "Transaction not found.");
        };
        if transaction.completed {
            return refuse(&registry, "Transaction is already completed.");
        }
        let group = render.input_group_key.clone();
        if transaction.append_ui {
            let at = transaction.steps.iter().position(|(g, _)| *g == group);
            let newest = at.is_some_and(|at| at + 1 == transaction.steps.len());
            if let (Some(at), false) = (at, newest) {
                // An earlier step rendered again (a table shown earlier,
                // paged): it replaces that step; what waits for an answer
                // stays the newest group's (gotcha 20).
                transaction.steps[at].1 = inputs.io_call;
                if inputs.skip_client_call != Some(true) {
                    registry.emit(
                        &id,
                        Event::Render {
                            transaction_id: id.clone(),
                            render,
                            append: true,
                        },
                    );
                }
                return SendIoCallReturns::Accepted(true);
            }
            match at {
                Some(at) => transaction.steps[at].1 = inputs.io_call.clone(),
                None => {
                    if transaction.steps.len() >= MAX_STEPS {
                        transaction.steps.remove(0);
                    }
                    transaction.steps.push((group, inputs.io_call.clone()));
                }
            }
        }
        let append = transaction.append_ui;
        // The requirement lasts until it is met or declined (a re-render of the
        // same call keeps it; a new CONFIRM_IDENTITY call replaces it).
        if let Some(identity) = render
            .to_render
            .iter()
            .find(|c| c.method_name == "CONFIRM_IDENTITY")
        {
            if transaction.identity.as_ref().map(|r| &r.render_id) != Some(&render.id) {
                transaction.identity = Some(crate::state::IdentityRequirement {
                    render_id: render.id.clone(),
                    grace_period_ms: identity
                        .props
                        .get("gracePeriodMs")
                        .and_then(serde_json::Value::as_f64)
                        .filter(|ms| ms.is_finite() && *ms > 0.0)
                        .map(|ms| ms as u64),
                });
            }
        }
        transaction.pending_render = Some(inputs.io_call);
        transaction.loading = None;
        transaction.redirect = None;
        let awaiting = render
            .to_render
            .iter()
            .any(|c| !c.method_name.starts_with("DISPLAY_"));
        let status = if awaiting {
            "AWAITING_INPUT"
        } else {
            "RUNNING"
        };
        let write = transaction.stored_status.replace(status) != Some(status);
        if inputs.skip_client_call != Some(true) {
            registry.emit(
                &id,
                Event::Render {
                    transaction_id: id.clone(),
                    render,
                    append,
                },
            );
        }
        write.then_some(status)
    };
    if let Some(status) = status {
        if let Err(e) = state.store.set_status(&id, status, None).await {
            tracing::error!("{e}");
        }
    }
    SendIoCallReturns::Accepted(true)
}

/// The steps of an append-UI transaction kept for dashboards that attach
/// later: the oldest go first.
const MAX_STEPS: usize = 100;

async fn complete(
    state: &AppState,
    instance: &str,
    conn_id: u64,
    inputs: MarkTransactionCompleteInputs,
) -> bool {
    let id = inputs.transaction_id;
    let owned = state
        .registry()
        .own_transaction(instance, conn_id, &id)
        .is_some();
    if !owned {
        // A retry of a completion already stored is fine, from the host
        // that ran the transaction; anyone else is refused.
        return state
            .store
            .transaction(&id)
            .await
            .ok()
            .flatten()
            .is_some_and(|t| {
                t.status == "COMPLETED" && t.host_instance_id.as_deref() == Some(instance)
            });
    }
    // No result means success without data (as Interval); a result that
    // cannot be read is stored as a failure saying so, never as a success.
    let result: Option<ActionResult> = inputs.result.as_deref().map(|text| {
        serde_json::from_str(text).unwrap_or_else(|e| {
            tracing::warn!("host {instance} completed {id} with an unreadable result: {e}");
            ActionResult::failure(FailureData {
                error: "Error".into(),
                message: format!("The result sent by the host could not be read ({e})."),
                cause: None,
            })
        })
    });
    let status = match &result {
        Some(r) if r.status == interval_protocol::result::ActionResultStatus::Failure => {
            ResultStatus::Failure
        }
        _ => ResultStatus::Success,
    };
    let status_text = match status {
        ResultStatus::Failure => "FAILURE",
        _ => "SUCCESS",
    };
    let steps = {
        let mut registry = state.registry();
        let Some(transaction) = registry.own_transaction(instance, conn_id, &id) else {
            return false;
        };
        transaction.completed = true;
        transaction.pending_render = None;
        transaction.loading = None;
        transaction.steps_to_keep()
    };
    let stored = serde_json::to_value(&result).ok();
    // The status stored wins: one set before (CANCELED, REDIRECTED) stays.
    let stored_status = match state
        .store
        .complete(&id, status_text, stored.as_ref())
        .await
    {
        Ok(stored_status) => stored_status,
        Err(e) => {
            tracing::error!("{e}");
            return false;
        }
    };
    // The history shows the steps above the result (before the dashboards
    // hear of the completion: a reload then finds them).
    if stored_status.is_some() && !steps.is_empty() {
        if let Err(e) = state.store.save_steps(&id, &steps).await {
            tracing::warn!("the steps of {id} were not kept: {e}");
        }
    }
    let result_status = stored_status
        .and_then(|s| serde_json::from_value(Value::String(s)).ok())
        .unwrap_or(status);
    let mut registry = state.registry();
    if inputs.skip_client_call != Some(true) {
        registry.emit(
            &id,
            Event::Completed {
                transaction_id: id.clone(),
                result_status,
                result,
            },
        );
    }
    // Finished with no dashboard to leave it (run in the background): an
    // append-UI host may forget it now.
    let close = crate::dashboard_api::closable(&registry, &id);
    registry.forget_if_done(&id);
    drop(registry);
    if let Some((wire, _)) = close {
        tokio::spawn(async move {
            crate::dashboard_api::close_on_host(&wire, &id).await;
        });
    }
    true
}
