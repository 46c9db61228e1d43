//! IO renders (§3.1) as HTML: one form per render, one module per family of
//! I/O methods (§4). Every input has a `<label for>`, its help text and its
//! error are tied to it with `aria-describedby`, and every button has a
//! name. Form fields are named `c<index>`; [`super::values`] reads them back.

pub mod combobox;
pub mod dates;
pub mod display;
pub mod file;
pub mod highlight;
pub mod input;
pub mod rows;
pub mod select;
pub mod sheet;
pub mod table;

use std::collections::HashMap;

use interval_protocol::io::{ButtonTheme, ChoiceButton, ComponentToRender, IoRender};
use maud::{html, Markup};
use serde_json::Value;

use super::routes::target_href;

/// Where a render is shown.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The transaction id, or the page key of a page layout.
    pub key: &'a str,
    /// A page's children: displays only, no submit button.
    pub page: bool,
    /// The last state the dashboard sent, per component index (tables and
    /// grids show the page, sort and search they asked for).
    pub states: &'a HashMap<usize, Value>,
    /// How a `CONFIRM_IDENTITY` in this render confirms who is answering.
    pub identity: IdentityPrompt,
    /// What the ids of this render's elements start with: a transaction in
    /// append-UI mode shows many steps on one page (`""` for the first).
    pub prefix: &'a str,
    /// Shown in append-UI mode: a display-only step waits for no answer,
    /// and an earlier step (`answered`) has no buttons.
    pub append: bool,
    /// An earlier step: read-only, no buttons (its props carry what was
    /// answered).
    pub answered: bool,
}

/// What a `CONFIRM_IDENTITY` form asks for (the server checks it again).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IdentityPrompt {
    /// The dashboard password, next to the confirm button.
    #[default]
    Password,
    /// Nothing: this session authenticated within the grace period.
    Recent,
    /// Nothing: the dashboard has no password, so identity cannot be
    /// confirmed (loopback development mode).
    NoPassword,
}

/// One component with its position.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// What its element ids start with (see [`Scope::prefix`]).
    pub prefix: &'a str,
    /// Position in `toRender`; form fields are named `c<index>`.
    pub index: usize,
    /// The component.
    pub component: &'a ComponentToRender,
    /// Its last state from the dashboard.
    pub state: Option<&'a Value>,
}

impl Field<'_> {
    /// The control's element id (its `<label for>`).
    pub fn id(&self) -> String {
        format!("{}c{}", self.prefix, self.index)
    }

    /// The form field name.
    pub fn name(&self) -> String {
        format!("c{}", self.index)
    }

    /// A string prop.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.component.props.get(key).and_then(Value::as_str)
    }

    /// A number prop.
    pub fn num(&self, key: &str) -> Option<f64> {
        self.component.props.get(key).and_then(Value::as_f64)
    }

    /// A boolean prop (absent: false).
    pub fn flag(&self, key: &str) -> bool {
        self.component
            .props
            .get(key)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// A prop.
    pub fn prop(&self, key: &str) -> Option<&Value> {
        self.component.props.get(key).filter(|v| !v.is_null())
    }

    /// `aria-describedby` for the control: its help text and its error.
    pub fn described_by(&self) -> String {
        let id = self.id();
        if self.str("helpText").is_some() {
            format!("{id}-help {id}-error")
        } else {
            format!("{id}-error")
        }
    }

    /// Whether a value must be given.
    pub fn required(&self) -> bool {
        !self.component.is_optional
    }
}

/// Whether `method` only displays something (its value is `null`).
pub fn is_display(method: &str) -> bool {
    method.starts_with("DISPLAY_")
}

/// The whole form for one render of a transaction (or a page's children).
pub fn form(render: &IoRender, scope: Scope<'_>) -> Markup {
    let exclusive = render
        .to_render
        .iter()
        .any(|c| matches!(c.method_name.as_str(), "CONFIRM" | "CONFIRM_IDENTITY"));
    let display_only = render.to_render.iter().all(|c| is_display(&c.method_name))
        && !render
            .choice_buttons
            .as_ref()
            .is_some_and(|b| !b.is_empty());
    let buttons = choice_buttons(render);
    let no_buttons = scope.page || exclusive || scope.answered || (scope.append && display_only);
    html! {
        form.io-form #(format!("form-{}{}", scope.prefix, scope.key)) novalidate
            data-key=(scope.key) data-render=(render.id) data-group=(render.input_group_key)
            data-prefix=(scope.prefix) data-answered[scope.answered] {
            @if let Some(message) = &render.validation_error_message {
                @if !scope.answered { p.group-error role="alert" { (message) } }
            }
            @for (index, component) in render.to_render.iter().enumerate() {
                @let field = Field { prefix: scope.prefix, index, component, state: scope.states.get(&index) };
                @if scope.answered && matches!(component.method_name.as_str(), "CONFIRM" | "CONFIRM_IDENTITY") {
                    (answered_confirm(field))
                } @else {
                    (component_with(field, scope.identity))
                }
            }
            @if !no_buttons {
                div.buttons {
                    @for button in &buttons {
                        button type="submit" name="__choice" value=(button.value)
                            class=(theme_class(button.theme)) { (button.label) }
                    }
                }
            } @else if scope.answered && !exclusive && !display_only {
                // The button it was given, as Interval marks an answered
                // step (known when it had one: Continue, by default).
                @if let [button] = buttons.as_slice() {
                    p.answered-choice {
                        span.check aria-hidden="true" { "✓" }
                        span.visually-hidden { "Submitted with " }
                        (button.label)
                    }
                }
            }
        }
    }
}

/// A confirmation answered in an earlier step: its question and the answer.
fn answered_confirm(field: Field<'_>) -> Markup {
    let answer = match field.component.props.get("defaultValue") {
        Some(Value::Bool(true)) => "Yes",
        Some(Value::Bool(false)) => "No",
        _ => "Not answered",
    };
    html! {
        div.component data-index=(field.index) data-method=(field.component.method_name) {
            div.confirm {
                p.label-text { (field.component.label) }
                p { "Answered: " (answer) }
            }
        }
    }
}

/// The render's submit buttons: its `choiceButtons`, else the legacy
/// `continueButton`, else one "Continue" (§3.1, §3.3).
pub fn choice_buttons(render: &IoRender) -> Vec<ChoiceButton> {
    match &render.choice_buttons {
        Some(buttons) if !buttons.is_empty() => buttons.clone(),
        _ => vec![ChoiceButton {
            label: "Continue".into(),
            value: "Continue".into(),
            theme: Some(ButtonTheme::Primary),
        }],
    }
}

/// The CSS class of a button theme.
pub fn theme_class(theme: Option<ButtonTheme>) -> &'static str {
    match theme {
        Some(ButtonTheme::Secondary) => "button secondary",
        Some(ButtonTheme::Danger) => "button danger",
        _ => "button primary",
    }
}

fn theme_of(value: Option<&Value>) -> &'static str {
    match value.and_then(Value::as_str) {
        Some("secondary") | Some("default") => "button secondary",
        Some("danger") => "button danger",
        Some("primary") => "button primary",
        _ => "button secondary",
    }
}

/// One component, by its method.
pub fn component(field: Field<'_>) -> Markup {
    component_with(field, IdentityPrompt::default())
}

/// One component, by its method; a `CONFIRM_IDENTITY` asks as `identity`
/// says. Every component, that one included, sits in the `.component`
/// wrapper the dashboard script counts to send its fields.
fn component_with(field: Field<'_>, identity: IdentityPrompt) -> Markup {
    let method = field.component.method_name.as_str();
    let inner = match method {
        "INPUT_TEXT" | "INPUT_EMAIL" | "INPUT_URL" | "INPUT_RICH_TEXT" => input::text(field),
        "INPUT_NUMBER" | "INPUT_SLIDER" => input::number(field),
        "INPUT_BOOLEAN" => input::boolean(field),
        "INPUT_DATE" | "INPUT_TIME" | "INPUT_DATETIME" => input::date_time(field),
        "INPUT_SPREADSHEET" => sheet::spreadsheet(field),
        "CONFIRM" => input::confirm(field),
        "CONFIRM_IDENTITY" => input::confirm_identity(field, identity),
        "SELECT_SINGLE" => select::single(field),
        "SELECT_MULTIPLE" => select::multiple(field),
        "SEARCH" => select::search(field),
        "SELECT_TABLE" | "DISPLAY_TABLE" => table::table(field),
        "DISPLAY_GRID" => table::grid(field),
        "UPLOAD_FILE" => file::upload(field),
        "DISPLAY_HEADING" => display::heading(field),
        "DISPLAY_MARKDOWN" => display::markdown(field),
        "DISPLAY_HTML" => display::html(field),
        "DISPLAY_CODE" => display::code(field),
        "DISPLAY_IMAGE" => display::image(field),
        "DISPLAY_VIDEO" => display::video(field),
        "DISPLAY_LINK" => display::link(field),
        "DISPLAY_OBJECT" => display::object(field),
        "DISPLAY_METADATA" => display::metadata(field),
        "DISPLAY_PROGRESS_STEPS"
        | "DISPLAY_PROGRESS_INDETERMINATE"
        | "DISPLAY_PROGRESS_THROUGH_LIST" => display::progress(field),
        "CREDENTIALS" => unsupported(
            field,
            "This server does not store credentials; the action cannot ask for them here.",
        ),
        other => unsupported(field, &format!("This dashboard cannot show {other}.")),
    };
    html! {
        div.component data-index=(field.index) data-method=(method) { (inner) }
    }
}

fn unsupported(field: Field<'_>, message: &str) -> Markup {
    html! {
        div.field {
            p.label-text { (field.component.label) }
            p.error-box role="alert" { (message) }
        }
    }
}

/// The usual frame of an input: label, help text, control, error slot.
pub fn labelled(field: Field<'_>, control: Markup) -> Markup {
    html! {
        div.field {
            label for=(field.id()) {
                (field.component.label)
                @if field.component.is_optional { " " span.optional { "(optional)" } }
            }
            (help(field))
            (control)
            (error(field))
        }
    }
}

/// The frame of a group of inputs (radios, checkboxes): a fieldset whose
/// legend is the label.
pub fn grouped(field: Field<'_>, controls: Markup) -> Markup {
    html! {
        fieldset.field #(field.id()) aria-describedby=(field.described_by()) {
            legend {
                (field.component.label)
                @if field.component.is_optional { " " span.optional { "(optional)" } }
            }
            (help(field))
            (controls)
            (error(field))
        }
    }
}

/// The component's help text, with its inline markdown (links, emphasis,
/// code) as Interval renders it, sanitized.
pub fn help(field: Field<'_>) -> Markup {
    html! {
        @if let Some(text) = field.str("helpText") {
            div.help.inline-markdown #(format!("{}-help", field.id())) { (super::sanitize::inline_markdown(text)) }
        }
    }
}

/// The component's error slot: the host's validation message, and where
/// the script shows the server's form checks.
pub fn error(field: Field<'_>) -> Markup {
    html! {
        p.error #(format!("{}-error", field.id())) data-error-for=(field.index) role="alert" {
            @if let Some(message) = &field.component.validation_error_message { (message) }
        }
    }
}

/// Buttons or links for menu items (§4.2 `menuItem`/`buttonItem`).
pub fn menu_items(items: &[Value]) -> Markup {
    html! {
        @for item in items {
            @let label = item.get("label").and_then(Value::as_str).unwrap_or("");
            @let class = theme_of(item.get("theme"));
            @let disabled = item.get("disabled").and_then(Value::as_bool).unwrap_or(false);
            @match (disabled, target_href(item)) {
                (false, Some((href, true))) => {
                    a class=(class) href=(href) target="_blank" rel="noopener noreferrer" { (label) }
                }
                (false, Some((href, false))) => { a class=(class) href=(href) { (label) } }
                _ => { button type="button" class=(class) disabled { (label) } }
            }
        }
    }
}

/// Text for a JSON value in a table cell, a list or a result.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "Yes" } else { "No" }.into(),
        // 36.0 from a Rust f64 reads as 36, as JavaScript shows it.
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::Object(o) => match o.get("label").or_else(|| o.get("value")) {
            Some(inner) => text_of(inner),
            None => value.to_string(),
        },
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(", "),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Builders for renders in tests.
    use super::*;
    use serde_json::json;

    /// A component of `method` with `label` and `props`.
    pub fn component(method: &str, label: &str, props: Value) -> ComponentToRender {
        ComponentToRender {
            method_name: method.into(),
            label: label.into(),
            props,
            props_meta: None,
            is_stateful: false,
            is_optional: false,
            is_multiple: false,
            validation_error_message: None,
            multiple_props: None,
        }
    }

    /// A render of `components`.
    pub fn render(components: Vec<ComponentToRender>) -> IoRender {
        IoRender {
            id: "r1".into(),
            input_group_key: "g1".into(),
            to_render: components,
            validation_error_message: None,
            kind: Default::default(),
            choice_buttons: None,
        }
    }

    /// The HTML of one component.
    pub fn one(method: &str, label: &str, props: Value) -> String {
        let c = component(method, label, props);
        super::component(Field {
            prefix: "",
            index: 0,
            component: &c,
            state: None,
        })
        .into_string()
    }

    #[test]
    fn confirm_identity_asks_for_the_password_only_when_it_can_check_it() {
        let r = render(vec![component(
            "CONFIRM_IDENTITY",
            "Delete everything?",
            json!({"gracePeriodMs": 60000}),
        )]);
        let states = HashMap::new();
        let show = |identity| {
            form(
                &r,
                Scope {
                    prefix: "",
                    append: false,
                    answered: false,
                    key: "tx",
                    page: false,
                    states: &states,
                    identity,
                },
            )
            .into_string()
        };
        let out = show(IdentityPrompt::Password);
        // In the wrapper whose count tells the script how many fields to send.
        assert!(
            out.contains(r#"class="component" data-index="0" data-method="CONFIRM_IDENTITY""#),
            "{out}"
        );
        assert!(
            out.contains(r#"<label for="c0">Your password</label>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"name="__password" type="password""#),
            "{out}"
        );
        assert!(out.contains(r#"name="c0" value="true""#), "{out}");
        assert!(out.contains(r#"name="c0" value="false""#), "{out}");
        // Within the grace period the field is there but not needed.
        let out = show(IdentityPrompt::Recent);
        assert!(out.contains("__password"), "{out}");
        assert!(out.contains("signed in recently"), "{out}");
        let out = show(IdentityPrompt::NoPassword);
        assert!(!out.contains("__password"), "{out}");
        assert!(out.contains("no password"), "{out}");
    }

    #[test]
    fn an_answered_step_is_marked_with_its_one_button() {
        let states = HashMap::new();
        let show = |r: &IoRender, answered| {
            form(
                r,
                Scope {
                    prefix: "",
                    append: true,
                    answered,
                    key: "tx",
                    page: false,
                    states: &states,
                    identity: IdentityPrompt::default(),
                },
            )
            .into_string()
        };
        let mut r = render(vec![component("INPUT_TEXT", "Name", json!({}))]);
        let out = show(&r, true);
        assert!(out.contains("answered-choice"), "{out}");
        assert!(out.contains("Submitted with </span>Continue"), "{out}");
        assert!(!out.contains("<button"), "{out}");
        // Waiting for its answer: the button, not the mark.
        let out = show(&r, false);
        assert!(
            !out.contains("answered-choice") && out.contains("<button"),
            "{out}"
        );
        // Of several buttons, which one was given is not known: no mark.
        r.choice_buttons = Some(
            ["Approve", "Reject"]
                .map(|label| ChoiceButton {
                    label: label.into(),
                    value: label.into(),
                    theme: None,
                })
                .to_vec(),
        );
        assert!(!show(&r, true).contains("answered-choice"));
        // Nor for a display-only step, which waited for no button.
        let shown = render(vec![component("DISPLAY_HEADING", "Hi", json!({}))]);
        assert!(!show(&shown, true).contains("answered-choice"));
    }

    #[test]
    fn a_form_has_labels_errors_and_buttons() {
        let mut name = component("INPUT_TEXT", "Name", json!({"helpText": "Full name"}));
        name.validation_error_message = Some("Too short".into());
        let mut r = render(vec![name, component("DISPLAY_HEADING", "Hi", json!({}))]);
        r.validation_error_message = Some("Group says no".into());
        r.choice_buttons = Some(vec![ChoiceButton {
            label: "Delete".into(),
            value: "delete".into(),
            theme: Some(ButtonTheme::Danger),
        }]);
        let states = HashMap::new();
        let out = form(
            &r,
            Scope {
                prefix: "",
                append: false,
                answered: false,
                key: "tx",
                page: false,
                states: &states,
                identity: IdentityPrompt::Password,
            },
        )
        .into_string();
        assert!(out.contains(r#"<label for="c0">Name</label>"#), "{out}");
        assert!(out.contains(r#"id="c0""#));
        assert!(out.contains(r#"aria-describedby="c0-help c0-error""#));
        assert!(out.contains("Too short"));
        assert!(out.contains("Group says no"));
        assert!(out.contains(r#"value="delete" class="button danger">Delete</button>"#));
        assert!(!out.contains("Continue"));
    }

    #[test]
    fn numbers_read_like_javascript() {
        assert_eq!(text_of(&json!(36.0)), "36");
        assert_eq!(text_of(&json!(1.5)), "1.5");
        assert_eq!(text_of(&json!(true)), "Yes");
    }

    #[test]
    fn text_is_escaped_everywhere() {
        let out = one(
            "INPUT_TEXT",
            "<script>x</script>",
            json!({"placeholder": "\"><b>"}),
        );
        assert!(!out.contains("<script>"));
        assert!(!out.contains("\"><b>"));
    }
}
