//! The render loop (§3.3): render, wait, validate, re-render with the same
//! input group key until the values are accepted; `SET_STATE` runs the
//! components' state handlers and re-renders as Node's host does: once for
//! each component that took a new state, then once more, always.

use std::future::{poll_fn, ready, Future};
use std::task::Poll;

use futures_util::future::Either;
use interval_protocol::io::{ChoiceButton, IoRender, IoResponse, IoResponseKind, RenderKind};
use interval_protocol::superjson;
use serde_json::Value;

use super::component::{poll_props_changed, Component};
use super::handle::Io;
use crate::error::{Error, IoError, IoErrorKind, Result};
use crate::inbox::{Closed, GroupEvent, Inbox};
use crate::target::Target;
use uuid::Uuid;

/// Takes the typed values out of the accepted components.
pub(crate) type Collect<R> = fn(&mut [Box<dyn Component>]) -> Result<R>;

/// A group-level validator: sees the clicked choice (`"Continue"` without
/// choice buttons) and the values; `Err` is shown above the form.
pub(crate) type GroupValidator<R> =
    dyn Fn(&str, &R) -> std::result::Result<(), String> + Send + Sync;

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
    /// Runs one IO call to completion. (Not an `async fn`: that would add a
    /// layer holding a second copy of `call` to every parked call.)
    pub(crate) fn run<'a, 'c: 'a, R: 'a>(
        &'a self,
        call: &'a mut Call<'c, R>,
    ) -> impl Future<Output = Result<Submitted<R>>> + use<'a, 'c, R> {
        match &self.target {
            Target::Page(_) => Either::Left(ready(Err(Error::Interval(
                "I/O calls cannot be awaited in a page handler: add display calls to the \
                 Layout with .child(..) instead"
                    .into(),
            )))),
            Target::Transaction(_) => Either::Right(run(self, call)),
        }
    }
}

/// The render loop, for a transaction's IO call or a page's children.
/// Takes `call` by reference: its owner holds the one copy.
pub(crate) async fn run<R>(io: &Io, call: &mut Call<'_, R>) -> Result<Submitted<R>> {
    let target = &io.target;
    if target.is_canceled() {
        return Err(IoError::transaction_closed().into());
    }
    for component in call.components.iter_mut() {
        component.init().map_err(|e| {
            Error::Interval(format!("Invalid props found for IO call with label {e}"))
        })?;
    }
    let inbox = target.open_group(interval_protocol::new_id());
    // Checked once the inbox is open: closing the client closes the open
    // inboxes after it marks itself closed.
    if io.host.is_closed() {
        return Err(Error::NotConnected);
    }
    let append_ui = target.append_ui();
    let settled = call.choice_buttons.is_none()
        && call
            .components
            .iter()
            .all(|c| c.resolves_immediately(append_ui));
    let mut group_message: Option<String> = None;
    let mut render_id = interval_protocol::new_id();
    // Boxed: the send (an RPC call with its timeouts) is much larger than
    // the wait that follows, and a parked transaction should only pay for
    // the wait.
    let first = render(render_id, inbox.key(), call, &group_message);
    Box::pin(target.send(&io.host, first, settled)).await?;

    if settled {
        for component in call.components.iter_mut() {
            component.accept(Value::Null);
        }
        let value = (call.collect)(&mut call.components)?;
        // Append-UI (§6.6): the step stays on the page, and, as Node's
        // does, its group keeps answering until the transaction is closed
        // (`CLOSE_TRANSACTION`): a table pages, sorts and searches, and a
        // value that arrives later is still shown.
        if append_ui && matches!(target, Target::Transaction(_)) {
            let components = std::mem::take(&mut call.components);
            tokio::spawn(serve_earlier(io.clone(), inbox, components));
        }
        return Ok(Submitted {
            value,
            choice: None,
        });
    }

    loop {
        // Each response is handled by a plain function: nothing of it is
        // kept across the awaits of this loop (a parked call's future stays
        // small).
        let event = match next(&inbox, &mut call.components).await {
            Woken::Event(event) => event,
            Woken::PropsChanged => {
                // Props changed on their own (values loading later).
                render_id = interval_protocol::new_id();
                let again = render(render_id, inbox.key(), call, &group_message);
                Box::pin(target.send(&io.host, again, false)).await?;
                continue;
            }
        };
        let step = match event {
            GroupEvent::Response(response) => on_response(call, *response),
            GroupEvent::Resend => {
                // Reconnected: the same render again. A refusal means the
                // server no longer runs the transaction (canceled or
                // forgotten while we were away): it ends as if canceled.
                let again = render(render_id, inbox.key(), call, &group_message);
                match Box::pin(target.send(&io.host, again, false)).await {
                    Ok(()) => continue,
                    Err(Error::Io(e)) if e.kind == IoErrorKind::RenderError => {
                        tracing::info!(
                            "The server refused the replayed IO call ({e}): ending the transaction"
                        );
                        target.cancel_by_server();
                        return Err(IoError::canceled().into());
                    }
                    Err(e) => return Err(e),
                }
            }
            GroupEvent::Closed(Closed::Transaction) => {
                return Err(IoError::transaction_closed().into())
            }
            GroupEvent::Closed(Closed::Client) => return Err(Error::NotConnected),
            GroupEvent::Closed(Closed::Canceled) => return Err(IoError::canceled().into()),
        };
        match step {
            Step::Done(submitted) => return submitted,
            Step::SetState(states) => {
                let key = inbox.key();
                Box::pin(take_states(io, key, call, states, &group_message, false)).await?;
            }
            Step::AskAgain(message) => group_message = message,
        }
        render_id = interval_protocol::new_id();
        let next = render(render_id, inbox.key(), call, &group_message);
        Box::pin(target.send(&io.host, next, false)).await?;
    }
}

/// Keeps serving an input group that resolved at once (an append-UI
/// display step): its `SET_STATE`s and the changes of its props render it
/// again, until the transaction or the client is closed. A RETURN to it is
/// ignored: it was answered already.
async fn serve_earlier(io: Io, inbox: std::sync::Arc<Inbox>, components: Vec<Box<dyn Component>>) {
    let mut call: Call<'_, ()> = Call {
        components,
        choice_buttons: None,
        collect: |_| Ok(()),
        validate: None,
    };
    loop {
        match next(&inbox, &mut call.components).await {
            Woken::PropsChanged => {}
            Woken::Event(GroupEvent::Response(response)) => match on_response(&mut call, *response)
            {
                Step::SetState(states) => {
                    let key = inbox.key();
                    let taken = take_states(&io, key, &mut call, states, &None, true);
                    if Box::pin(taken).await.is_err() {
                        return;
                    }
                }
                Step::Done(_) | Step::AskAgain(_) => continue,
            },
            // Not the waiting call: a reconnect replays the latest one.
            Woken::Event(GroupEvent::Resend) => continue,
            Woken::Event(GroupEvent::Closed(_)) => return,
        }
        let again = render(interval_protocol::new_id(), inbox.key(), &call, &None);
        if Box::pin(io.target.send_earlier(&io.host, again))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// What woke a waiting call.
enum Woken {
    /// Something arrived in its inbox.
    Event(GroupEvent),
    /// A component's props changed on their own.
    PropsChanged,
}

/// Waits for the next event of `inbox` or a change of the components'
/// props (events first).
fn next<'a>(
    inbox: &'a Inbox,
    components: &'a mut [Box<dyn Component>],
) -> impl Future<Output = Woken> + 'a {
    poll_fn(move |cx| {
        if let Poll::Ready(event) = inbox.poll_recv(cx) {
            return Poll::Ready(Woken::Event(event));
        }
        poll_props_changed(components, cx).map(|()| Woken::PropsChanged)
    })
}

/// Gives every component its new state (`SET_STATE`) as Node's host does
/// (`IOClient.ts`, §3.3): in order, each component whose state is not
/// falsy and not the one it has takes it, and each that took it renders the
/// call at once, with the props of that moment. The caller then renders the
/// call once more, whatever changed: a search given a new query is rendered
/// twice (the renders differ only in `id`), a state that changes nothing
/// once. Interval's dashboard needs that second render: its `io.search`
/// highlights the first result, so that Enter picks it, only when results
/// arrive after its loading flag was cleared, which the first render does.
/// Each render is sent, and answered, before the next; `earlier` for a step
/// of an append-UI transaction that resolved at once
/// ([`Target::send_earlier`]).
async fn take_states<R>(
    io: &Io,
    group_key: Uuid,
    call: &mut Call<'_, R>,
    states: Vec<Value>,
    group_message: &Option<String>,
    earlier: bool,
) -> Result<()> {
    for (index, state) in states.into_iter().enumerate() {
        let Some(component) = call.components.get_mut(index) else {
            break;
        };
        if !component.set_state(state).await {
            continue;
        }
        let again = render(interval_protocol::new_id(), group_key, call, group_message);
        if earlier {
            Box::pin(io.target.send_earlier(&io.host, again)).await?;
        } else {
            Box::pin(io.target.send(&io.host, again, false)).await?;
        }
    }
    Ok(())
}

/// What to do after a response.
enum Step<R> {
    /// The call is over (accepted, canceled, or failed).
    Done(Result<Submitted<R>>),
    /// Give the components these states (`SET_STATE`), then render again.
    SetState(Vec<Value>),
    /// Render again, with this group message.
    AskAgain(Option<String>),
}

/// Handles one response: a cancel, new states, or values to validate (the
/// choice, each field, then the group).
fn on_response<R>(call: &mut Call<'_, R>, response: IoResponse) -> Step<R> {
    if response.kind == IoResponseKind::Canceled {
        return Step::Done(Err(IoError::canceled().into()));
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
        return Step::AskAgain(Some(
            "Received an invalid response. Please try again.".into(),
        ));
    }
    if response.kind == IoResponseKind::SetState {
        return Step::SetState(values);
    }
    let choice = response.choice;
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
        return Step::AskAgain(Some("Please choose one of the buttons.".into()));
    }
    if !all_valid {
        return Step::AskAgain(None);
    }
    let value = match (call.collect)(&mut call.components) {
        Ok(value) => value,
        Err(e) => return Step::Done(Err(e)),
    };
    let clicked = choice.as_deref().unwrap_or_default();
    match call.validate.map(|validate| validate(clicked, &value)) {
        Some(Err(message)) => Step::AskAgain(Some(message)),
        _ => Step::Done(Ok(Submitted { value, choice })),
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
