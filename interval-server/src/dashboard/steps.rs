//! The steps of a transaction in append-UI mode as they stay on the page
//! (PROTOCOL §6.6): earlier steps read-only with what was answered, in the
//! live view and in the history of a finished run.

use std::collections::HashMap;

use interval_protocol::io::IoRender;
use maud::{html, Markup};
use serde::Deserialize;
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
/// was answered (`answers`, one value per component), and of its buttons
/// the one given (`choice`, a button's value), when known.
pub(super) fn answered(
    render: &IoRender,
    answers: Option<&Vec<Value>>,
    choice: Option<&str>,
) -> IoRender {
    let mut render = render.clone();
    render.validation_error_message = None;
    keep_button_given(&mut render, choice);
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

/// Of `render`'s choice buttons, only the one whose value is `choice` (the
/// answered step is marked with it); all of them if it is not known.
pub(crate) fn keep_button_given(render: &mut IoRender, choice: Option<&str>) {
    if let (Some(buttons), Some(choice)) = (render.choice_buttons.as_mut(), choice) {
        if buttons.iter().any(|b| b.value == choice) {
            buttons.retain(|b| b.value == choice);
        }
    }
}

/// The steps of finished transaction `transaction_id` as they were kept
/// at its completion, read-only: what its page showed above the result.
/// A step that cannot be read is left out.
pub(super) fn finished(transaction_id: &str, steps: &[StepRecord]) -> Markup {
    let renders: Vec<(IoRender, &StepRecord)> = steps
        .iter()
        .filter_map(|step| Some((IoRender::deserialize(&step.render).ok()?, step)))
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
            @for (index, (render, step)) in renders.iter().enumerate() {
                @let prefix = step_prefix(index);
                div.step #(step_id(index)) {
                    (form(&answered(render, step.answers.as_ref(), step.choice.as_deref()), Scope {
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

#[cfg(test)]
mod tests {
    use interval_protocol::io::ChoiceButton;

    use super::*;
    use crate::dashboard::io::testing::{component, render};

    fn buttons(labels: &[&str]) -> Option<Vec<ChoiceButton>> {
        Some(
            labels
                .iter()
                .map(|l| ChoiceButton {
                    label: (*l).into(),
                    value: l.to_lowercase(),
                    theme: None,
                })
                .collect(),
        )
    }

    #[test]
    fn an_answered_step_keeps_what_was_answered_and_the_button_given() {
        let mut r = render(vec![component("INPUT_TEXT", "Name", serde_json::json!({}))]);
        r.choice_buttons = buttons(&["Approve", "Reject"]);
        let shown = answered(&r, Some(&vec![Value::from("Ada")]), Some("reject"));
        let props = &shown.to_render[0].props;
        assert_eq!(props["defaultValue"], "Ada");
        assert_eq!(props["disabled"], true);
        assert_eq!(shown.choice_buttons, buttons(&["Reject"]));
        // A choice that is not one of its buttons, or none: all of them.
        assert_eq!(
            answered(&r, None, Some("other")).choice_buttons,
            r.choice_buttons
        );
        assert_eq!(answered(&r, None, None).choice_buttons, r.choice_buttons);
    }

    #[test]
    fn a_finished_run_shows_its_steps_read_only() {
        let mut r = render(vec![component("INPUT_TEXT", "Name", serde_json::json!({}))]);
        r.choice_buttons = buttons(&["Approve", "Reject"]);
        let steps = vec![StepRecord {
            render: serde_json::to_value(&r).unwrap_or_default(),
            answers: Some(vec![Value::from("Ada")]),
            choice: Some("approve".into()),
        }];
        let out = finished("tx", &steps).into_string();
        assert!(
            out.contains("<fieldset class=\"steps finished\" disabled>"),
            "{out}"
        );
        assert!(out.contains(r#"value="Ada""#), "{out}");
        assert!(out.contains("Submitted with </span>Approve"), "{out}");
        assert!(!out.contains("Reject") && !out.contains("<button"), "{out}");
        // Nothing kept: nothing shown.
        assert_eq!(finished("tx", &[]).into_string(), "");
    }
}
