//! A host's INITIALIZE_HOST (§1.4): what it declares, checked and recorded.

use interval_protocol::host::{InitializeHostInputs, InitializeHostReturns};
use interval_protocol::slug::{check_action_slug, check_page_slug};
use serde_json::Value;

use super::to_value;
use crate::keys::KeyKind;
use crate::state::AppState;

pub(super) async fn initialize(
    state: &AppState,
    instance: &str,
    key: KeyKind,
    inputs: InitializeHostInputs,
) -> InitializeHostReturns {
    // Refused: nothing changes (a host that had initialized before keeps
    // what it declared then).
    let declared = inputs.actions.len() + inputs.groups.as_ref().map_or(0, Vec::len);
    let max = state.config.limits.max_host_routes;
    if declared > max {
        return InitializeHostReturns::Error {
            message: format!(
                "This host declares {declared} actions and pages; this server accepts at most \
                 {max} per host. Split them over several hosts or raise the server's limit."
            ),
            sdk_alert: None,
        };
    }
    let invalid_slugs: Vec<String> = inputs
        .actions
        .iter()
        .filter_map(|a| {
            let problem = check_action_slug(&a.slug).err().or_else(|| {
                a.group_slug
                    .as_deref()
                    .and_then(|g| check_page_slug(g).err())
            })?;
            tracing::debug!("invalid slug {:?}: {problem}", a.full_slug());
            Some(a.full_slug())
        })
        .collect();
    let actions: Vec<_> = inputs
        .actions
        .into_iter()
        .filter(|a| !invalid_slugs.contains(&a.full_slug()))
        .collect();
    let pages: Vec<_> = inputs
        .groups
        .unwrap_or_default()
        .into_iter()
        .filter(|p| check_page_slug(&p.slug).is_ok())
        .collect();
    let definitions = |items: Vec<(String, Value)>| items;
    if let Err(e) = state
        .store
        .save_definitions(
            &definitions(
                actions
                    .iter()
                    .map(|a| (a.full_slug(), to_value(a)))
                    .collect(),
            ),
            &definitions(
                pages
                    .iter()
                    .map(|p| (p.slug.clone(), to_value(p)))
                    .collect(),
            ),
        )
        .await
    {
        tracing::error!("{e}");
    }
    if let Some(host) = state.registry().hosts.get_mut(instance) {
        host.sdk_version = inputs.sdk_version.unwrap_or_default();
        host.actions = actions;
        host.pages = pages;
    }
    if !invalid_slugs.is_empty() {
        tracing::warn!(
            "host {instance} declared invalid slugs: {}",
            invalid_slugs.join(", ")
        );
    }
    let environment = key.environment();
    let base = state.base_url();
    let warnings = unknown_teams_warning(state, instance).await;
    InitializeHostReturns::Success {
        environment: environment.into(),
        invalid_slugs,
        organization: state.organization.clone(),
        dashboard_url: format!("{base}/"),
        force_peer_messages: None,
        sdk_alert: None,
        warnings,
    }
}

/// At most one warning, as Interval: the team slugs that `access`
/// definitions of host `instance` name and the organization does not have.
async fn unknown_teams_warning(state: &AppState, instance: &str) -> Vec<String> {
    let known: Vec<String> = match state.store.teams().await {
        Ok(teams) => teams.into_iter().map(|t| t.slug).collect(),
        Err(e) => {
            tracing::error!("{e}");
            return vec![];
        }
    };
    let registry = state.registry();
    let Some(host) = registry.hosts.get(instance) else {
        return vec![];
    };
    let accesses = host
        .actions
        .iter()
        .filter_map(|a| a.access.as_ref())
        .chain(host.pages.iter().filter_map(|p| p.access.as_ref()));
    let unknown = crate::access::unknown_teams(accesses, &known);
    if unknown.is_empty() {
        return vec![];
    }
    vec![format!(
        "Access definitions name teams this organization does not have: {}. \
         Only admins can run those actions until the teams exist.",
        unknown.join(", ")
    )]
}
