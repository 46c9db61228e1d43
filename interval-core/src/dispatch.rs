//! Routes what the server sends: RESPONSEs to waiting calls, CALLs to the
//! host's method handlers (§2.3). Runs inside the connection's driver, so it
//! never blocks: calls are answered right there (the RESPONSE leaves in the
//! same write as the ACK) unless they must wait for initialization. Bad input
//! is logged and dropped; it never panics and never touches a running
//! transaction.

use std::sync::{Arc, Weak};

use interval_protocol::server::{
    ClosePage, CloseTransaction, IoResponse, OpenPage, StartTransaction,
};
use interval_protocol::{Method, RpcKind, RpcMessage};
use serde_json::Value;

use crate::action_run;
use crate::config::LogLevel;
use crate::error::Result;
use crate::host::Host;
use crate::page_run;
use crate::socket::{truncate, ConnectOptions, Connection, Incoming};

/// Opens a connection to `endpoint` whose incoming messages go to `host`
/// (which the connection does not keep alive).
pub(crate) async fn connect(host: &Arc<Host>, endpoint: &str) -> Result<Arc<Connection>> {
    let state = &host.state;
    let api_key = state.endpoint().and_then(|e| e.api_key);
    Connection::open(
        ConnectOptions {
            endpoint,
            api_key: api_key.as_deref(),
            instance_id: &state.instance_id,
            connect_timeout: state.config.connect_timeout,
        },
        handler(host),
    )
    .await
}

/// The [`Incoming`] handler of a connection of `host`.
fn handler(host: &Arc<Host>) -> Incoming {
    let host = Arc::downgrade(host);
    Arc::new(move |text| handle(&host, text))
}

/// Handles one RPC payload; returns the RESPONSE to send back at once, if
/// any.
fn handle(host: &Weak<Host>, text: String) -> Option<String> {
    let Some(host) = host.upgrade() else {
        tracing::debug!("dropping a message: the client is gone");
        return None;
    };
    let message: RpcMessage = match serde_json::from_str(&text) {
        Ok(message) => message,
        Err(e) => {
            tracing::error!(
                "Ignoring a malformed RPC message from the server ({e}): {}",
                truncate(&text)
            );
            return None;
        }
    };
    if host.state.config.log_level == LogLevel::Debug {
        tracing::debug!(
            "received {:?} {} #{}",
            message.kind,
            message.method_name,
            message.id
        );
    }
    match message.kind {
        RpcKind::Response => {
            host.state.rpc.resolve(message);
            None
        }
        RpcKind::Call => {
            let waits = matches!(
                message.method_name.as_str(),
                StartTransaction::NAME | OpenPage::NAME
            );
            if waits && !host.state.is_initialized() {
                // The server may start a transaction as soon as our ACK of
                // the INITIALIZE_HOST answer reaches it, before we read the
                // answer.
                tokio::spawn(async move {
                    host.state.wait_initialized().await;
                    let (id, method_name, reply) = handle_call(&host, message)?;
                    host.state.rpc.respond(id, method_name, reply);
                    Some(())
                });
                None
            } else {
                let (id, method_name, reply) = handle_call(&host, message)?;
                Some(RpcMessage::response(id, method_name, reply).to_text())
            }
        }
    }
}

/// Decodes the inputs of `M`, logging what was wrong.
fn inputs<M: Method>(data: Option<Value>) -> Option<M::Inputs> {
    match M::decode_inputs(data) {
        Ok(inputs) => Some(inputs),
        Err(e) => {
            tracing::error!("Ignoring {} with invalid inputs: {e}", M::NAME);
            None
        }
    }
}

/// Runs a server call; returns its id, method and the RESPONSE data.
fn handle_call(host: &Arc<Host>, message: RpcMessage) -> Option<(String, String, Value)> {
    let RpcMessage {
        id,
        method_name,
        data,
        ..
    } = message;
    let reply: Option<Value> = match method_name.as_str() {
        StartTransaction::NAME => inputs::<StartTransaction>(data).map(|inputs| {
            action_run::start(host, inputs);
            Value::Null
        }),
        IoResponse::NAME => inputs::<IoResponse>(data).map(|inputs| {
            host.registry.deliver(&inputs.value);
            Value::Null
        }),
        CloseTransaction::NAME => inputs::<CloseTransaction>(data).map(|inputs| {
            host.registry.close(&inputs.transaction_id);
            Value::Null
        }),
        OpenPage::NAME => inputs::<OpenPage>(data).map(|inputs| {
            serde_json::to_value(page_run::open(host, inputs)).unwrap_or(Value::Null)
        }),
        ClosePage::NAME => inputs::<ClosePage>(data).map(|inputs| {
            host.registry.close_page(&inputs.page_key);
            Value::Null
        }),
        other => {
            tracing::error!("Ignoring a call of unknown method {other:?} from the server");
            None
        }
    };
    reply.map(|reply| (id, method_name, reply))
}
