//! Host connections: the handshake of §1.4 and every host method of §2.2.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocket;
use axum::http::HeaderMap;
use interval_protocol::host::{
    BeginHostShutdown, InitializeHost, InitializeHostReturns, MarkTransactionComplete, Notify,
    SendIoCall, SendLoadingCall, SendLog, SendPage, SendRedirect,
};
use interval_protocol::types::SuccessOrError;
use interval_protocol::{Method, RpcMessage};
use serde_json::Value;

use crate::api::Event;
use crate::db::{now_ms, NotificationRecord};
use crate::keys::KeyKind;
use crate::state::{AppState, KeyCheck};
use crate::wire::{Wire, WireOptions, POLICY_VIOLATION};

mod handshake;
mod transactions;

use handshake::initialize;
use transactions::{complete, send_io_call};

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
