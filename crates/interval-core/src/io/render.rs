//! The render loop (§3.3): render, wait, validate, re-render with the same
//! input group key until the values are accepted; `SET_STATE` runs the
//! components' state handlers and always re-renders.

use interval_protocol::io::{ChoiceButton, IoRender, IoResponseKind, RenderKind};
use interval_protocol::superjson;
use serde_json::Value;

use super::component::{props_changed, Component};
use super::{Io, Target};
use crate::error::{Error, IoError, IoErrorKind, Result};
use crate::transaction::GroupEvent;

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
    if io.inner.is_closed() {
        return Err(Error::NotConnected);
    }
    for component in call.components.iter_mut() {
        component.init().map_err(|e| {
            Error::Interval(format!("Invalid props found for IO call with label {e}"))
        })?;
    }
    let group_key = uuid::Uuid::new_v4().to_string();
    let mut events = target.open_group(&group_key);
    let mut group_message: Option<String> = None;
    // Boxed: the send (an RPC call with its timeouts) is much larger than
    // the wait that follows, and a parked transaction should only pay for
    // the wait.
    Box::pin(target.send(&io.inner, render(&group_key, &call, &group_message))).await?;

    let append_ui = target.append_ui();
    if call.choice_buttons.is_none()
        && call
            .components
            .iter()
            .all(|c| c.resolves_immediately(append_ui))
    {
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
        let event = tokio::select! {
            event = events.recv() => event,
            // Props changed on their own (values loading later): render again.
            () = props_changed(&mut call.components) => {
                Box::pin(target.send(&io.inner, render(&group_key, &call, &group_message))).await?;
                continue;
            }
            _ = io.inner.closing().cancelled() => return Err(Error::NotConnected),
        };
        let response = match event {
            None => return Err(IoError::transaction_closed().into()),
            Some(GroupEvent::RenderRefused(message)) => {
                return Err(IoError::new(IoErrorKind::RenderError, message).into())
            }
            Some(GroupEvent::Response(response)) => *response,
        };
        if response.kind == IoResponseKind::Canceled {
            return Err(IoError::canceled().into());
        }
        let values =
            match superjson::decode(Value::Array(response.values), response.values_meta.as_ref()) {
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
        } else if response.kind == IoResponseKind::SetState {
            for (component, state) in call.components.iter_mut().zip(values) {
                component.set_state(state).await;
            }
        } else {
            group_message = None;
            let choice_ok = match (&call.choice_buttons, &response.choice) {
                (Some(buttons), Some(choice)) => buttons.iter().any(|b| &b.value == choice),
                (Some(_), None) => false,
                (None, _) => true,
            };
            let mut all_valid = true;
            for (component, value) in call.components.iter_mut().zip(values) {
                all_valid &= component.accept(value);
            }
            if !choice_ok {
                tracing::warn!("Received an unknown choice {:?}", response.choice);
                group_message = Some("Please choose one of the buttons.".into());
            } else if all_valid {
                let value = (call.collect)(&mut call.components)?;
                match call.validate.map(|validate| validate(&value)) {
                    Some(Err(message)) => group_message = Some(message),
                    _ => {
                        return Ok(Submitted {
                            value,
                            choice: response.choice,
                        })
                    }
                }
            }
        }
        Box::pin(target.send(&io.inner, render(&group_key, &call, &group_message))).await?;
    }
}

/// One render of `call` (a new render id every time).
fn render<R>(group_key: &str, call: &Call<'_, R>, group_message: &Option<String>) -> IoRender {
    IoRender {
        id: uuid::Uuid::new_v4().to_string(),
        input_group_key: group_key.to_owned(),
        to_render: call.components.iter().map(|c| c.render()).collect(),
        validation_error_message: group_message.clone(),
        kind: RenderKind::Render,
        choice_buttons: call.choice_buttons.clone(),
    }
}
