//! A host's renders and completions of its transactions (§2.2
//! SEND_IO_CALL, MARK_TRANSACTION_COMPLETE).

use interval_protocol::host::{
    MarkTransactionCompleteInputs, SendIoCallError, SendIoCallInputs, SendIoCallReturns,
};
use interval_protocol::io::IoRender;
use interval_protocol::result::{ActionResult, FailureData};
use interval_protocol::types::ResultStatus;
use serde_json::Value;

use crate::api::Event;
use crate::state::AppState;

pub(super) async fn send_io_call(
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

pub(super) async fn complete(
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
