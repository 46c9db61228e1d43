//! Types shared by several methods (§2.1).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who may run an action or open a page, as defined in code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AccessControl {
    /// Exactly the string `"entire-organization"`.
    EntireOrganization(EntireOrganization),
    /// Only members of these teams (by slug); an empty list means admins only.
    Teams {
        /// Team slugs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        teams: Option<Vec<String>>,
    },
}

/// The literal `"entire-organization"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntireOrganization {
    /// `"entire-organization"`.
    #[serde(rename = "entire-organization")]
    EntireOrganization,
}

impl AccessControl {
    /// Everyone in the organization may run it.
    pub fn entire_organization() -> Self {
        AccessControl::EntireOrganization(EntireOrganization::EntireOrganization)
    }

    /// Only these teams (by slug) may run it.
    pub fn teams<I: IntoIterator<Item = S>, S: Into<String>>(teams: I) -> Self {
        AccessControl::Teams {
            teams: Some(teams.into_iter().map(Into::into).collect()),
        }
    }
}

/// One action in `INITIALIZE_HOST.actions`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionDefinition {
    /// Full slug of the parent page, absent for top-level actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_slug: Option<String>,
    /// The action's own slug segment.
    pub slug: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Longer description shown in the dashboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Keeps running when the browser leaves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backgroundable: Option<bool>,
    /// Hidden from navigation, still runnable by URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlisted: Option<bool>,
    /// Warn before leaving a running action (server default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_on_close: Option<bool>,
    /// Code-defined permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessControl>,
}

impl ActionDefinition {
    /// The full slug: `groupSlug/slug`, or `slug` at the top level.
    pub fn full_slug(&self) -> String {
        match &self.group_slug {
            Some(group) => format!("{group}/{}", self.slug),
            None => self.slug.clone(),
        }
    }
}

/// One page in `INITIALIZE_HOST.groups`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageDefinition {
    /// The full slug path, e.g. `"users/admin"`.
    pub slug: String,
    /// Display name (required by the protocol).
    pub name: String,
    /// Longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The page has a handler that renders a layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_handler: Option<bool>,
    /// Deprecated alias of `has_handler`, read but never sent.
    #[serde(default, skip_serializing)]
    pub has_index: Option<bool>,
    /// Hidden from navigation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlisted: Option<bool>,
    /// Code-defined permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessControl>,
}

/// The role of the user running an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    /// Organization admin.
    Admin,
    /// Developer.
    Developer,
    /// Action runner.
    Member,
}

/// The person running a transaction or viewing a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// E-mail address.
    pub email: String,
    /// First name; the key is always present, the value may be null.
    pub first_name: Option<String>,
    /// Last name; the key is always present, the value may be null.
    pub last_name: Option<String>,
    /// Role in the organization.
    pub role: UserRole,
    /// Slugs of the user's teams.
    pub teams: Vec<String>,
}

/// The organization a host is connected to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
}

/// `START_TRANSACTION.action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRef {
    /// The full slug.
    pub slug: String,
    /// Absolute dashboard URL of the action, with its params.
    pub url: String,
}

/// `OPEN_PAGE.page`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRef {
    /// The full slug.
    pub slug: String,
}

/// A loading state shown while an action works (§2.2 `SEND_LOADING_CALL`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadingState {
    /// Short label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Number of items to process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_in_queue: Option<u64>,
    /// Number of items processed so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_completed: Option<u64>,
    /// Deprecated alias of `label`, read but never sent.
    #[serde(default, skip_serializing)]
    pub title: Option<String>,
}

/// Severity of an [`SdkAlert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SdkAlertSeverity {
    /// Informational.
    Info,
    /// Upgrade recommended.
    Warning,
    /// Unsupported.
    Error,
}

/// A server's notice that this SDK version is outdated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SdkAlert {
    /// The version from which the alert no longer applies.
    pub min_sdk_version: String,
    /// How serious it is.
    pub severity: SdkAlertSeverity,
    /// What to tell the developer.
    #[serde(default)]
    pub message: Option<String>,
}

/// Where a link or redirect points (§2.1 `LinkProps`, with the legacy
/// `action` spelling).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LinkTarget {
    /// An external URL.
    Url {
        /// The URL.
        url: String,
        /// Suggested file name when the link is a download.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        download: Option<String>,
    },
    /// Another action or page of this organization.
    Route {
        /// Full slug of the route.
        route: String,
        /// Query parameters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        params: Option<Map<String, Value>>,
    },
    /// Legacy spelling of [`LinkTarget::Route`].
    Action {
        /// Full slug of the action.
        action: String,
        /// Query parameters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        params: Option<Map<String, Value>>,
    },
}

/// Where a notification is delivered (`deliveryInstructions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryInstruction {
    /// E-mail address, or Slack channel/user.
    pub to: String,
    /// The delivery method; the server picks when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<DeliveryMethod>,
}

/// A notification channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DeliveryMethod {
    /// E-mail.
    Email,
    /// Slack.
    Slack,
}

/// Outcome of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ResultStatus {
    /// The handler returned a value.
    Success,
    /// The handler failed.
    Failure,
    /// The runner canceled it.
    Canceled,
    /// The action redirected the runner.
    Redirected,
}

/// A `{ type: "success" } | { type: "error", message? }` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SuccessOrError {
    /// It worked.
    Success,
    /// It did not.
    Error {
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}
