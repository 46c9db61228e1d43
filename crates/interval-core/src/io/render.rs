//! The render loop (§3.3): render, wait, validate, re-render with the same
//! input group key until the values are accepted.

use interval_protocol::host::{SendIoCall, SendIoCallInputs};
use interval_protocol::io::{ChoiceButton, IoRender, IoResponseKind, RenderKind};
use interval_protocol::superjson;
use serde_json::Value;

use super::component::Component;
use super::Io;
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
    #[allow(dead_code)]
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
    pub(crate) async fn run<R>(&self, mut call: Call<'_, R>) -> Result<Submitted<R>> {
        let transaction = &self.transaction;
        if transaction.is_canceled() {
            return Err(IoError::transaction_closed().into());
        }
        if self.inner.is_closed() {
            return Err(Error::NotConnected);
        }
        let group_key = uuid::Uuid::new_v4().to_string();
        let mut events = transaction.open_group(&group_key);
        let mut group_message: Option<String> = None;
        self.send_io_call(render_text(&group_key, &call, &group_message))
            .await?;

        if call.choice_buttons.is_none()
            && call
                .components
                .iter()
                .all(|c| c.resolves_immediately(transaction.append_ui))
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
                _ = self.inner.closing().cancelled() => return Err(Error::NotConnected),
            };
            let response = match event {
                None => return Err(IoError::transaction_closed().into()),
                Some(GroupEvent::RenderRefused(message)) => {
                    return Err(IoError::new(IoErrorKind::RenderError, message).into())
                }
                Some(GroupEvent::Response(response)) => response,
            };
            match response.kind {
                IoResponseKind::Canceled => return Err(IoError::canceled().into()),
                // No component of this call keeps state; the protocol still
                // re-renders on every SET_STATE.
                IoResponseKind::SetState => {}
                IoResponseKind::Return => {
                    let values = match superjson::decode(
                        Value::Array(response.values),
                        response.values_meta.as_ref(),
                    ) {
                        Value::Array(values) => values,
                        _ => Vec::new(),
                    };
                    group_message = None;
                    if values.len() != call.components.len() {
                        tracing::warn!(
                            "Received {} values for an IO call of {} components; asking again",
                            values.len(),
                            call.components.len()
                        );
                        group_message =
                            Some("Received an invalid response. Please try again.".into());
                    } else {
                        let mut all_valid = true;
                        for (component, value) in call.components.iter_mut().zip(values) {
                            all_valid &= component.accept(value);
                        }
                        if all_valid {
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
                }
            }
            self.send_io_call(render_text(&group_key, &call, &group_message))
                .await?;
        }
    }

    /// Sends one render of the call. While disconnected the render is kept
    /// as the transaction's pending call and sent by the reconnect replay.
    async fn send_io_call(&self, io_call: String) -> Result<()> {
        self.transaction.set_pending_io_call(io_call.clone());
        let inputs = SendIoCallInputs {
            transaction_id: self.transaction.id.clone(),
            io_call,
            skip_client_call: None,
        };
        match self.inner.rpc.call::<SendIoCall>(&inputs).await {
            Ok(reply) => match reply.refusal() {
                None => Ok(()),
                Some(message) => Err(IoError::new(IoErrorKind::RenderError, message).into()),
            },
            Err(Error::NotConnected) if !self.inner.is_closed() => {
                tracing::debug!("Not connected: the IO call will be sent after reconnecting");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// The JSON text of one render of `call` (a new render id every time).
fn render_text<R>(group_key: &str, call: &Call<'_, R>, group_message: &Option<String>) -> String {
    let render = IoRender {
        id: uuid::Uuid::new_v4().to_string(),
        input_group_key: group_key.to_owned(),
        to_render: call.components.iter().map(|c| c.render()).collect(),
        validation_error_message: group_message.clone(),
        kind: RenderKind::Render,
        choice_buttons: call.choice_buttons.clone(),
    };
    serde_json::to_string(&render).expect("a render serializes")
}
