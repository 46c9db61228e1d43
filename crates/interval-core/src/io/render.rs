//! The render loop (§3.3): render, wait, validate, re-render with the same
//! input group key until the values are accepted; `SET_STATE` runs the
//! components' state handlers and always re-renders.

use interval_protocol::io::{ChoiceButton, IoRender, IoResponse, IoResponseKind, RenderKind};
use interval_protocol::superjson;
use serde_json::Value;

use super::component::Component;
use super::{Io, Target};
use crate::error::{Error, IoError, Result};
use crate::inbox::{Closed, GroupEvent};
use uuid::Uuid;

/// Takes the typed values out of the accepted components.
pub(crate) type Collect<R> = fn(&mut [Box<dyn Component>]) -> Result<R>;

/// A group-level validator.
pub(crate) type GroupValidator<R> = dyn Fn(&R) -> std::result::Result<(), String> + Send + Sync;

/// What the runner submitted.
pub(crate) struct Submitted<R> {
    pub value: R,
    /// The choice button clicked (`"Continue"` when there were none).
    pub choice: Option<String>,
}

/// One IO call: the components and the group's options.
pub(crate) struct Call<'a, R> {
    pub components: Vec<Box<dyn Component>>,
    pub choice_buttons: Option<Vec<ChoiceButton>>,
    pub collect: Collect<R>,
    pub validate: Option<&'a GroupValidator<R>>,
}

impl Io {
    /// Runs one IO call to completion.
    pub(crate) async fn run<R>(&self, call: Call<'_, R>) -> Result<Submitted<R>> {
        if let Target::Page(_) = &self.target {
            return Err(Error::Interval(
                "I/O calls cannot be awaited in a page handler: add display calls to the \
                 Layout with .child(..) instead"
                    .into(),
            ));
        }
        run(self, call).await
    }
}

/// The render loop, for a transaction's IO call or a page's children.
pub(crate) async fn run<R>(io: &Io, mut call: Call<'_, R>) -> Result<Submitted<R>> {
    let target = &io.target;
    if target.is_canceled() {
        return Err(IoError::transaction_closed().into());
    }
    for component in call.components.iter_mut() {
        component.init().map_err(|e| {
            Error::Interval(format!("Invalid props found for IO call with label {e}"))
        })?;
    }
    let inbox = target.open_group(Uuid::new_v4());
    // Checked once the inbox is open: closing the client closes the open
    // inboxes after it marks itself closed.
    if io.inner.is_closed() {
        return Err(Error::NotConnected);
    }
    let append_ui = target.append_ui();
    let settled = call.choice_buttons.is_none()
        && call
            .components
            .iter()
            .all(|c| c.resolves_immediately(append_ui));
    let mut group_message: Option<String> = None;
    let mut render_id = Uuid::new_v4();
    // Boxed: the send (an RPC call with its timeouts) is much larger than
    // the wait that follows, and a parked transaction should only pay for
    // the wait.
    let first = render(render_id, inbox.key(), &call, &group_message);
    Box::pin(target.send(&io.inner, first, settled)).await?;

    if settled {
        for component in call.components.iter_mut() {
            component.accept(Value::Null);
        }
        let value = (call.collect)(&mut call.components)?;
        return Ok(Submitted {
            value,
            choice: None,
        });
    }

    loop {
        let response = match inbox.recv().await {
            GroupEvent::Response(response) => *response,
            GroupEvent::Resend => {
                // Reconnected: the same render again.
                let again = render(render_id, inbox.key(), &call, &group_message);
                Box::pin(target.send(&io.inner, again, false)).await?;
                continue;
            }
            GroupEvent::Closed(Closed::Transaction) => {
                return Err(IoError::transaction_closed().into())
            }
            GroupEvent::Closed(Closed::Client) => return Err(Error::NotConnected),
        };
        // Only what is needed is kept: the response is not held across the
        // awaits below (a parked call's future stays small).
        let IoResponse {
            kind,
            choice,
            values,
            values_meta,
            ..
        } = response;
        if kind == IoResponseKind::Canceled {
            return Err(IoError::canceled().into());
        }
        let values = match superjson::decode(Value::Array(values), values_meta.as_ref()) {
            Value::Array(values) => values,
            _ => Vec::new(),
        };
        if values.len() != call.components.len() {
            tracing::warn!(
                "Received {} values for an IO call of {} components; asking again",
                values.len(),
                call.components.len()
            );
            group_message = Some("Received an invalid response. Please try again.".into());
        } else if kind == IoResponseKind::SetState {
            Box::pin(set_states(&mut call.components, values)).await;
        } else {
            match accept(&mut call, values, choice) {
                Accepted::Done(submitted) => return submitted,
                Accepted::AskAgain(message) => group_message = message,
            }
        }
        render_id = Uuid::new_v4();
        let next = render(render_id, inbox.key(), &call, &group_message);
        Box::pin(target.send(&io.inner, next, false)).await?;
    }
}

/// Gives every component its new state (`SET_STATE`).
async fn set_states(components: &mut [Box<dyn Component>], states: Vec<Value>) {
    for (component, state) in components.iter_mut().zip(states) {
        component.set_state(state).await;
    }
}

/// What became of a `RETURN`.
enum Accepted<R> {
    /// The values were accepted (or could not be collected).
    Done(Result<Submitted<R>>),
    /// Render again, with this group message.
    AskAgain(Option<String>),
}

/// Validates a `RETURN`: the choice, each field, then the group.
fn accept<R>(call: &mut Call<'_, R>, values: Vec<Value>, choice: Option<String>) -> Accepted<R> {
    let choice_ok = match (&call.choice_buttons, &choice) {
        (Some(buttons), Some(choice)) => buttons.iter().any(|b| &b.value == choice),
        (Some(_), None) => false,
        (None, _) => true,
    };
    let mut all_valid = true;
    for (component, value) in call.components.iter_mut().zip(values) {
        all_valid &= component.accept(value);
    }
    if !choice_ok {
        tracing::warn!("Received an unknown choice {choice:?}");
        return Accepted::AskAgain(Some("Please choose one of the buttons.".into()));
    }
    if !all_valid {
        return Accepted::AskAgain(None);
    }
    let value = match (call.collect)(&mut call.components) {
        Ok(value) => value,
        Err(e) => return Accepted::Done(Err(e)),
    };
    match call.validate.map(|validate| validate(&value)) {
        Some(Err(message)) => Accepted::AskAgain(Some(message)),
        _ => Accepted::Done(Ok(Submitted { value, choice })),
    }
}

/// One render of `call`.
fn render<R>(
    id: Uuid,
    group_key: Uuid,
    call: &Call<'_, R>,
    group_message: &Option<String>,
) -> IoRender {
    IoRender {
        id: id.to_string(),
        input_group_key: group_key.to_string(),
        to_render: call.components.iter().map(|c| c.render()).collect(),
        validation_error_message: group_message.clone(),
        kind: RenderKind::Render,
        choice_buttons: call.choice_buttons.clone(),
    }
}
