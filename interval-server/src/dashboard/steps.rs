//! The steps of a transaction in append-UI mode as they stay on the page
//! (PROTOCOL §6.6): earlier steps read-only with what was answered, in the
//! live view and in the history of a finished run.

use std::collections::HashMap;

use interval_protocol::io::IoRender;
use maud::{html, Markup};
use serde_json::Value;

use super::io::{form, is_display, IdentityPrompt, Scope};
use crate::db::StepRecord;

/// The element that shows step `index` of a transaction in append-UI mode.
pub(super) fn step_id(index: usize) -> String {
    format!("io-step-{index}")
}

/// What the ids of step `index` start with: the first keeps the plain ids.
pub(super) fn step_prefix(index: usize) -> String {
    match index {
        0 => String::new(),
        n => format!("s{n}-"),
    }
}

/// An earlier step as it stays on the page: its inputs read-only with what
/// was answered (`answers`, one value per component).
pub(super) fn answered(render: &IoRender, answers: Option<&Vec<Value>>) -> IoRender {
    let mut render = render.clone();
    render.validation_error_message = None;
    for (index, component) in render.to_render.iter_mut().enumerate() {
        if is_display(&component.method_name) {
            continue;
        }
        component.validation_error_message = None;
        if let Some(props) = component.props.as_object_mut() {
            props.insert("disabled".into(), Value::Bool(true));
            if let Some(value) = answers.and_then(|a| a.get(index)) {
                props.insert("defaultValue".into(), value.clone());
            }
        }
    }
    render
}

/// The steps of finished transaction `transaction_id` as they were kept
/// at its completion, read-only: what its page showed above the result.
/// A step that cannot be read is left out.
pub(super) fn finished(transaction_id: &str, steps: &[StepRecord]) -> Markup {
    let renders: Vec<(IoRender, Option<&Vec<Value>>)> = steps
        .iter()
        .filter_map(|step| {
            let render = serde_json::from_value(step.render.clone()).ok()?;
            Some((render, step.answers.as_ref()))
        })
        .collect();
    if renders.is_empty() {
        return html! {};
    }
    let states = HashMap::new();
    html! {
        // Nothing in a finished run answers any more: its controls (a
        // table's pager too) are disabled, and read as such.
        fieldset.steps.finished disabled {
            legend.visually-hidden { "Steps" }
            @for (index, (render, answers)) in renders.iter().enumerate() {
                @let prefix = step_prefix(index);
                div.step #(step_id(index)) {
                    (form(&answered(render, *answers), Scope {
                        key: transaction_id,
                        page: false,
                        states: &states,
                        identity: IdentityPrompt::default(),
                        prefix: &prefix,
                        append: true,
                        answered: true,
                    }))
                }
            }
        }
    }
}
