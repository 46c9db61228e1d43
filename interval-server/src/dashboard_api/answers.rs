//! Answering transactions and pages from the dashboard: the typed values
//! checked against the pending render, the identity confirmation a
//! `CONFIRM_IDENTITY` requires, and the answer given to the host.

use interval_protocol::io::{IoResponse, IoResponseKind};
use interval_protocol::server::{IoResponse as IoResponseCall, IoResponseInputs};
use serde_json::Value;

use crate::api::{BrowserResponse, Reply};
use crate::auth::{SignedInVia, Viewer};
use crate::state::{AppState, IdentityRequirement};

/// What is wrong with the typed values of a RETURN to the pending render of
/// transaction `id`, checked as the form's fields are (see
/// [`crate::dashboard::values::check_typed`]); `None` when nothing is, or
/// when there is nothing to check them against.
pub(super) fn typed_errors(
    state: &AppState,
    id: &str,
    response: &BrowserResponse,
) -> Option<Vec<crate::api::FieldError>> {
    if response.kind != IoResponseKind::Return {
        return None;
    }
    let render: interval_protocol::io::IoRender = {
        let registry = state.registry();
        let pending = registry.transactions.get(id)?.pending_render.clone()?;
        serde_json::from_str(&pending).ok()?
    };
    if render.id != response.id {
        return None;
    }
    crate::dashboard::values::check_typed(&render, &response.values).err()
}

/// Why an answer did not reach the host.
#[derive(Debug)]
pub(super) enum Refused {
    /// Refused or failed (no such transaction, the host is away, ...).
    Failed(String),
    /// The identity confirmation was not met: shown on the form.
    Identity(String),
}

impl Refused {
    /// The message for the person.
    pub fn message(self) -> String {
        match self {
            Refused::Failed(message) | Refused::Identity(message) => message,
        }
    }
}

/// Gives `response` to the host of transaction or page `id`, which runs on
/// this node, for `viewer` (whose ownership was checked): its typed values
/// are checked against the pending render first when `check_types`, and
/// the identity confirmation a pending `CONFIRM_IDENTITY` requires.
pub(super) async fn answer_here(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    response: BrowserResponse,
    password: Option<&str>,
    check_types: bool,
) -> Result<Reply, Refused> {
    if check_types {
        if let Some(errors) = typed_errors(state, id, &response) {
            return Ok(Reply::Invalid { errors });
        }
    }
    if let Some(required) = identity_requirement(state, id) {
        meet_identity(state, viewer, &required, &response, password)
            .await
            .map_err(Refused::Identity)?;
    }
    respond(state, id, response).await.map_err(Refused::Failed)
}

/// The identity confirmation that the pending `CONFIRM_IDENTITY` of
/// transaction `id` requires (recorded at SEND_IO_CALL), if any.
pub(super) fn identity_requirement(state: &AppState, id: &str) -> Option<IdentityRequirement> {
    state
        .registry()
        .transactions
        .get(id)
        .and_then(|t| t.identity.clone())
}

/// Whether `response` may go to the host of a transaction, given the
/// identity confirmation `required` (see [`identity_requirement`]). Every
/// answer to a transaction with a requirement passes through here before
/// [`respond`]: the dashboard's forms and the typed API alike, on this
/// node or forwarded from another (which checks it where the person's
/// session is).
///
/// * An answer to another render, or not a RETURN: refused.
/// * `values` exactly `[false]`: passes and cancels the requirement.
/// * Otherwise the requirement must be met, and then it is cleared: the
///   dashboard has no password (loopback development mode, nothing can be
///   checked), or this session authenticated within `gracePeriodMs`, or
///   `password` passes the login's argon2 check (which counts as a new
///   authentication of the session).
pub(super) async fn meet_identity(
    state: &AppState,
    viewer: &Viewer,
    required: &IdentityRequirement,
    response: &BrowserResponse,
    password: Option<&str>,
) -> Result<(), String> {
    if response.id != required.render_id || response.kind != IoResponseKind::Return {
        return Err("This transaction is waiting for an identity confirmation.".into());
    }
    let declined = response.values.as_slice() == [Value::Bool(false)];
    let met = declined
        || viewer.via == SignedInVia::Open
        || state
            .auth
            .authenticated_within(
                &state.store,
                viewer,
                required.grace_period_ms,
                crate::auth::now(),
            )
            .await;
    if !met {
        let Some(password) = password.filter(|p| !p.is_empty()) else {
            return Err("Enter your password to confirm your identity.".into());
        };
        // The answer to a wrong password is delayed by the secret checks,
        // as the sign-in's is.
        let checked = state
            .auth
            .reauthenticate(&state.store, &state.secret_checks, viewer, password)
            .await
            .map_err(|e| {
                tracing::error!("{e}");
                "The server could not read its database; see its log.".to_owned()
            })?;
        match checked {
            Ok(true) => {}
            Ok(false) => return Err("Wrong password: your identity was not confirmed.".into()),
            Err(refused) => return Err(refused.message()),
        }
    }
    // Cleared by `respond` once the host has the answer: a failed send is
    // retried under the same check.
    Ok(())
}

pub(super) async fn respond(
    state: &AppState,
    id: &str,
    response: BrowserResponse,
) -> Result<Reply, String> {
    let wire = {
        let registry = state.registry();
        let host = match (registry.transactions.get(id), registry.pages.get(id)) {
            (Some(t), _) if t.completed => return Err("This transaction is over.".into()),
            (Some(t), _) => t.host.clone(),
            (None, Some(p)) => p.host.clone(),
            (None, None) => return Err(format!("No running transaction or open page {id}.")),
        };
        registry
            .hosts
            .get(&host)
            .filter(|h| !h.wire.is_closed())
            .map(|h| h.wire.clone())
            .ok_or("The host running this is not connected right now; try again in a moment.")?
    };
    let value = IoResponse {
        id: response.id,
        input_group_key: Some(response.input_group_key),
        transaction_id: id.to_owned(),
        kind: response.kind,
        choice: response.choice,
        values: response.values,
        values_meta: response
            .values_meta
            .and_then(|m| serde_json::from_value(m).ok()),
    };
    let inputs = IoResponseInputs {
        value: serde_json::to_string(&value).map_err(|e| e.to_string())?,
        transaction_id: id.to_owned(),
    };
    // Kept to show the step answered to a dashboard that attaches later and
    // in the history: before the host hears it, since it may complete the
    // transaction before its reply to this call arrives.
    let answered = match (&value.kind, &value.input_group_key) {
        (IoResponseKind::Return, Some(group)) => {
            let mut registry = state.registry();
            registry
                .transactions
                .get_mut(id)
                .filter(|t| t.append_ui && t.steps.iter().any(|(g, _)| g == group))
                .map(|t| {
                    let answers = t.answers.insert(group.clone(), value.values.clone());
                    let choice = match &value.choice {
                        Some(choice) => t.choices.insert(group.clone(), choice.clone()),
                        None => t.choices.remove(group),
                    };
                    (group.clone(), answers, choice)
                })
        }
        _ => None,
    };
    if let Err(e) = wire.call::<IoResponseCall>(&inputs).await {
        // Not taken: the step is still to answer, as it was.
        if let Some((group, answers, choice)) = answered {
            if let Some(t) = state.registry().transactions.get_mut(id) {
                restore(&mut t.answers, &group, answers);
                restore(&mut t.choices, &group, choice);
            }
        }
        return Err(format!("The host did not take the answer: {e}"));
    }
    // An identity confirmation answered (confirmed or declined) is met.
    if let Some(t) = state.registry().transactions.get_mut(id) {
        if t.identity.as_ref().is_some_and(|r| r.render_id == value.id) {
            t.identity = None;
        }
    }
    Ok(Reply::Ok)
}

/// Puts back in `map` what `key` had (`before`), or nothing.
fn restore<V>(map: &mut std::collections::HashMap<String, V>, key: &str, before: Option<V>) {
    match before {
        Some(before) => map.insert(key.to_owned(), before),
        None => map.remove(key),
    };
}
