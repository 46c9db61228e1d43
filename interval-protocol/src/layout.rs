//! Page layouts (§5.2): the `page` of `SEND_PAGE`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::io::IoRender;

/// The literal `"BASIC"`, the only layout kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LayoutKind {
    /// `"BASIC"`.
    #[default]
    #[serde(rename = "BASIC")]
    Basic,
}

/// A page's layout.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// Always `"BASIC"`.
    pub kind: LayoutKind,
    /// Absent: no title; `Some(None)` (JSON null): still loading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Option<String>>,
    /// Same convention as `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<String>>,
    /// The page's display components, rendered as one group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<IoRender>,
    /// Buttons at the top of the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub menu_items: Option<Vec<Value>>,
    /// Errors raised while building the layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<LayoutError>>,
}

/// An error raised while building part of a layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutError {
    /// Which part failed: `title`, `description`, `children` or `menuItems`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout_key: Option<String>,
    /// The error's name.
    pub error: String,
    /// The error's message.
    pub message: String,
    /// The error's cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// A stack trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}
