//! Routes what the server sends: RESPONSEs to waiting calls, CALLs to the
//! host's method handlers (§2.3). Bad input is logged and dropped; it never
//! panics and never touches a running transaction.

use std::sync::Arc;

use interval_protocol::server::{
    ClosePage, CloseTransaction, IoResponse, OpenPage, StartTransaction,
};
use interval_protocol::{Method, RpcKind, RpcMessage};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::client::Inner;
use crate::socket::truncate;
use crate::transaction;

/// Reads RPC payloads until the client is gone.
pub(crate) async fn run(inner: Arc<Inner>, mut incoming: mpsc::Receiver<String>) {
    while let Some(text) = incoming.recv().await {
        let message: RpcMessage = match serde_json::from_str(&text) {
            Ok(message) => message,
            Err(e) => {
                tracing::error!(
                    "Ignoring a malformed RPC message from the server ({e}): {}",
                    truncate(&text)
                );
                continue;
            }
        };
        if inner.config.log_level == crate::LogLevel::Debug {
            tracing::debug!(
                "received {:?} {} #{}",
                message.kind,
                message.method_name,
                message.id
            );
        }
        match message.kind {
            RpcKind::Response => inner.rpc.resolve(message),
            // Calls are handled concurrently, as the official SDK does.
            RpcKind::Call => {
                tokio::spawn(handle_call(inner.clone(), message));
            }
        }
    }
}

/// Decodes the inputs of `M`, logging what was wrong.
fn inputs<M: Method>(message: &RpcMessage) -> Option<M::Inputs> {
    match M::decode_inputs(message.data.clone()) {
        Ok(inputs) => Some(inputs),
        Err(e) => {
            tracing::error!("Ignoring {} with invalid inputs: {e}", M::NAME);
            None
        }
    }
}

async fn handle_call(inner: Arc<Inner>, message: RpcMessage) {
    if matches!(
        message.method_name.as_str(),
        StartTransaction::NAME | OpenPage::NAME
    ) {
        inner.wait_initialized().await;
    }
    let reply: Option<Value> = match message.method_name.as_str() {
        StartTransaction::NAME => inputs::<StartTransaction>(&message).map(|inputs| {
            transaction::start(&inner, inputs);
            Value::Null
        }),
        IoResponse::NAME => inputs::<IoResponse>(&message).map(|inputs| {
            transaction::deliver(&inner, &inputs.value);
            Value::Null
        }),
        CloseTransaction::NAME => inputs::<CloseTransaction>(&message).map(|inputs| {
            inner.transactions.close(&inputs.transaction_id);
            Value::Null
        }),
        OpenPage::NAME => inputs::<OpenPage>(&message).map(|inputs| {
            serde_json::to_value(crate::page::open(&inner, inputs)).unwrap_or(Value::Null)
        }),
        ClosePage::NAME => inputs::<ClosePage>(&message).map(|inputs| {
            inner.transactions.close_page(&inputs.page_key);
            Value::Null
        }),
        other => {
            tracing::error!("Ignoring a call of unknown method {other:?} from the server");
            None
        }
    };
    if let Some(reply) = reply {
        inner
            .rpc
            .respond(message.id, message.method_name, reply)
            .await;
    }
}
