//! IO calls: the render object a host sends and the response a browser
//! returns (§3.1, §3.4).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::superjson::Meta;

/// The literal `"RENDER"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RenderKind {
    /// `"RENDER"`.
    #[default]
    #[serde(rename = "RENDER")]
    Render,
}

/// One IO call (a single method or a group) rendered as one form step; the
/// `ioCall` of `SEND_IO_CALL` and the `children` of a page layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IoRender {
    /// New UUID v4 for every render message.
    pub id: String,
    /// Stable UUID v4 for the lifetime of the IO call.
    pub input_group_key: String,
    /// One entry per component, in group order.
    pub to_render: Vec<ComponentToRender>,
    /// Group-level validation error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_error_message: Option<String>,
    /// Always `"RENDER"`.
    pub kind: RenderKind,
    /// Submit buttons; the chosen `value` comes back as the response's `choice`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice_buttons: Option<Vec<ChoiceButton>>,
}

/// One component of an [`IoRender`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentToRender {
    /// Wire method name, e.g. `"INPUT_TEXT"`.
    pub method_name: String,
    /// The label (for `DISPLAY_MARKDOWN`, the markdown).
    pub label: String,
    /// superjson `json` of the props.
    pub props: Value,
    /// superjson meta of the props.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub props_meta: Option<Meta>,
    /// The browser sends `SET_STATE` for it.
    #[serde(default)]
    pub is_stateful: bool,
    /// May be submitted without a value.
    #[serde(default)]
    pub is_optional: bool,
    /// Returns an array.
    #[serde(default)]
    pub is_multiple: bool,
    /// Component-level validation error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_error_message: Option<String>,
    /// Default selections when `is_multiple`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple_props: Option<Value>,
}

/// Visual weight of a button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ButtonTheme {
    /// Deprecated; shown as primary.
    Default,
    /// The main action.
    Primary,
    /// A secondary action.
    Secondary,
    /// A destructive action.
    Danger,
}

/// A submit button of an IO call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceButton {
    /// Text on the button.
    pub label: String,
    /// Value reported as `choice`.
    pub value: String,
    /// Visual weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<ButtonTheme>,
}

/// What a browser's answer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IoResponseKind {
    /// Submit the values.
    Return,
    /// New state for stateful components (paging, search).
    SetState,
    /// The transaction was canceled.
    Canceled,
}

/// The browser's answer to an IO call; the `value` of `IO_RESPONSE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IoResponse {
    /// The `id` of the render being answered (`"UNKNOWN"` on some cancels).
    pub id: String,
    /// The group being answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_group_key: Option<String>,
    /// The transaction id, or the page key for page IO.
    pub transaction_id: String,
    /// What the answer does.
    pub kind: IoResponseKind,
    /// The clicked choice button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
    /// One entry per component (empty for `CANCELED`).
    #[serde(default)]
    pub values: Vec<Value>,
    /// superjson meta of `values`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_meta: Option<Meta>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_keys_are_camel_case_and_omit_absent() {
        let r = IoRender {
            id: "i".into(),
            input_group_key: "g".into(),
            to_render: vec![ComponentToRender {
                method_name: "INPUT_TEXT".into(),
                label: "Name".into(),
                props: serde_json::json!({}),
                props_meta: None,
                is_stateful: false,
                is_optional: true,
                is_multiple: false,
                validation_error_message: None,
                multiple_props: None,
            }],
            validation_error_message: None,
            kind: RenderKind::Render,
            choice_buttons: None,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"id":"i","inputGroupKey":"g","toRender":[{"methodName":"INPUT_TEXT","label":"Name","props":{},"isStateful":false,"isOptional":true,"isMultiple":false}],"kind":"RENDER"}"#
        );
    }

    #[test]
    fn parses_a_cancel_with_unknown_ids() {
        let r: IoResponse = serde_json::from_str(
            r#"{"id":"UNKNOWN","inputGroupKey":"UNKNOWN","transactionId":"t","kind":"CANCELED","values":[]}"#,
        )
        .unwrap();
        assert_eq!(r.kind, IoResponseKind::Canceled);
    }
}
