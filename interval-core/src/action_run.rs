//! Running actions: `START_TRANSACTION` starts the handler as a task; its
//! return value (or error, or panic) becomes the transaction's result,
//! sent with `MARK_TRANSACTION_COMPLETE`.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use interval_protocol::host::{MarkTransactionComplete, MarkTransactionCompleteInputs};
use interval_protocol::result::{ActionResult, ActionResultStatus, FailureData};
use interval_protocol::server::StartTransactionInputs;
use interval_protocol::superjson;
use interval_protocol::types::{ActionDefinition, ResultStatus};
use serde_json::Value;
use tracing::Instrument;

use crate::config::Config;
use crate::ctx::Ctx;
use crate::host::Host;
use crate::io::Io;
use crate::outcome::{ActionError, ErrorEvent, HandlerFuture, HandlerResult};
use crate::socket::lock;
use crate::state::HostState;
use crate::target::Target;
use crate::transaction::Transaction;

/// Handles `START_TRANSACTION`: ignored (as by the Node SDK) while shutting
/// down, before initialization, for a duplicate id or an unknown slug.
pub(crate) fn start(host: &Arc<Host>, inputs: StartTransactionInputs) {
    let state = &host.state;
    let slug = inputs.action.slug.clone();
    if state.is_shutting_down() {
        tracing::debug!(
            "Ignoring transaction {} of {slug}: shutting down",
            inputs.transaction_id
        );
        return;
    }
    let Some(session) = state.session() else {
        tracing::debug!(
            "Ignoring transaction {}: not initialized",
            inputs.transaction_id
        );
        return;
    };
    let Some((definition, handler)) = host.table().handlers.get(&slug).cloned() else {
        tracing::warn!(
            "Ignoring transaction {}: no action {slug:?}",
            inputs.transaction_id
        );
        return;
    };
    let transaction = Arc::new(Transaction::new(
        &inputs.transaction_id,
        inputs.display_resolves_immediately.unwrap_or(false),
    ));
    if !host.registry.insert(transaction.clone()) {
        tracing::debug!("Ignoring duplicate START_TRANSACTION {}", transaction.id);
        return;
    }
    let params_meta = inputs.params_meta;
    let params = match superjson::decode(Value::Object(inputs.params), params_meta.as_ref()) {
        Value::Object(params) => params,
        _ => Default::default(),
    };
    let (user, action) = {
        let mut interned = lock(&host.registry.interned);
        (interned.user(inputs.user), interned.action(inputs.action))
    };
    let ctx = Ctx::new(
        state.clone(),
        transaction.clone(),
        user,
        (params, params_meta),
        match *session.environment == *inputs.environment {
            true => session.environment.clone(),
            false => inputs.environment.as_str().into(),
        },
        session.organization.clone(),
        action,
    );
    let io = Io::new(state.clone(), Target::Transaction(transaction.clone()));
    let span = tracing::info_span!("transaction", transaction_id = %transaction.id, action = %slug);
    let running = handler(io, ctx.clone());
    tokio::spawn(run(host.clone(), ctx, definition, running).instrument(span));
}

/// Runs a transaction's handler to its end and reports the result. Kept
/// small: its task lives as long as the transaction, and what follows the
/// handler is boxed.
async fn run(host: Arc<Host>, ctx: Ctx, definition: Arc<ActionDefinition>, running: HandlerFuture) {
    tracing::debug!("started");
    let outcome = AssertUnwindSafe(running).catch_unwind().await;
    Box::pin(finish(&host, ctx, definition, outcome)).await
}

/// Reports how the handler ended and forgets the transaction.
async fn finish(
    host: &Host,
    ctx: Ctx,
    definition: Arc<ActionDefinition>,
    outcome: std::thread::Result<HandlerResult>,
) {
    let transaction = ctx.transaction();
    let result = match outcome {
        Ok(Ok(value)) => {
            let (data, meta) = superjson::encode(value);
            Some(ActionResult::success(data, meta))
        }
        Ok(Err(error)) if error.canceled => {
            tracing::info!("canceled by the runner");
            None
        }
        // Cut by an intentional close: not the action's failure.
        Ok(Err(error)) if host.state.is_closed() => {
            tracing::debug!("cut by the client's close: {error}");
            None
        }
        Ok(Err(error)) => {
            tracing::warn!("failed: {error}");
            Some(failure(&host.state.config, &ctx, Some(&definition), error))
        }
        Err(panic) => {
            let error = ActionError {
                name: "Error".into(),
                message: format!("The action panicked: {}", panic_message(&*panic)),
                cause: None,
                canceled: false,
            };
            tracing::error!("{}", error.message);
            Some(failure(&host.state.config, &ctx, Some(&definition), error))
        }
    };
    match result {
        Some(_) if transaction.is_closed() => {
            tracing::debug!("closed before it finished: no result sent")
        }
        Some(result) => complete(&host.state, &transaction.id, result).await,
        None => {}
    }
    if !transaction.append_ui || transaction.is_refused() {
        host.registry.close(&transaction.id);
    }
}

fn failure(
    config: &Config,
    ctx: &Ctx,
    definition: Option<&ActionDefinition>,
    error: ActionError,
) -> ActionResult {
    if let Some(on_error) = &config.on_error {
        let event = ErrorEvent {
            error: error.clone(),
            route: ctx.action().slug.clone(),
            route_definition: definition.cloned(),
            params: ctx.params().clone(),
            environment: ctx.environment().to_owned(),
            user: ctx.user().clone(),
            organization: ctx.organization().clone(),
        };
        if std::panic::catch_unwind(AssertUnwindSafe(|| on_error(event))).is_err() {
            tracing::error!("The on_error callback panicked");
        }
    }
    ActionResult::failure(FailureData {
        error: error.name,
        message: error.message,
        cause: error.cause,
    })
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// Sends `MARK_TRANSACTION_COMPLETE`, waiting out a dropped connection.
async fn complete(state: &HostState, transaction_id: &str, result: ActionResult) {
    let status = match result.status {
        ActionResultStatus::Success => ResultStatus::Success,
        ActionResultStatus::Failure => ResultStatus::Failure,
    };
    let inputs = MarkTransactionCompleteInputs {
        transaction_id: transaction_id.to_owned(),
        result_status: Some(status),
        result: Some(serde_json::to_string(&result).expect("a result serializes")),
        skip_client_call: None,
    };
    for _ in 0..state.config.max_resend_attempts.max(1) {
        if !state.wait_connected().await {
            break;
        }
        if state.is_closed() {
            break;
        }
        match state.rpc.call::<MarkTransactionComplete>(&inputs).await {
            Ok(true) => {
                tracing::debug!("completed ({status:?})");
                return;
            }
            Ok(false) => {
                tracing::warn!("The server refused the result of transaction {transaction_id}");
                return;
            }
            Err(e) if e.is_disconnect() => continue,
            Err(e) => {
                tracing::error!("Could not send the result of transaction {transaction_id}: {e}");
                return;
            }
        }
    }
    if state.is_closed() {
        tracing::debug!(
            "The client closed before the result of transaction {transaction_id} was sent"
        );
    } else {
        tracing::error!("Could not send the result of transaction {transaction_id}: not connected");
    }
}
