//! The route tree a person sees in an environment (access applied).

use std::collections::HashSet;

use interval_protocol::types::AccessControl;

use crate::access;
use crate::api::{name_from_slug, ActionInfo, PageInfo, Reply};
use crate::keys::KeyKind;
use crate::people::Person;
use crate::state::AppState;

/// The route tree that `person` sees in `environment`: what the live hosts
/// serving them there (on any node) declare, merged, less what access keeps from them
/// (in production; see [`crate::access`]).
pub fn routes(state: &AppState, person: &Person, environment: KeyKind) -> Reply {
    let registry = state.registry();
    let mut actions: Vec<(ActionInfo, Option<AccessControl>)> = Vec::new();
    let mut pages: Vec<(PageInfo, Option<AccessControl>)> = Vec::new();
    let mut seen = HashSet::new();
    for (host_actions, host_pages) in registry.declared(person, environment) {
        for page in host_pages {
            if seen.insert(format!("page:{}", page.slug)) {
                pages.push((
                    PageInfo {
                        slug: page.slug.clone(),
                        name: page.name.clone(),
                        description: page.description.clone(),
                        has_handler: page.has_handler.or(page.has_index).unwrap_or(false),
                        unlisted: page.unlisted.unwrap_or(false),
                    },
                    page.access.clone(),
                ));
            }
        }
        for action in host_actions {
            let slug = action.full_slug();
            if seen.insert(format!("action:{slug}")) {
                actions.push((
                    ActionInfo {
                        name: action
                            .name
                            .clone()
                            .unwrap_or_else(|| name_from_slug(&action.slug)),
                        slug,
                        group_slug: action.group_slug.clone(),
                        description: action.description.clone(),
                        backgroundable: action.backgroundable.unwrap_or(false),
                        unlisted: action.unlisted.unwrap_or(false),
                        warn_on_close: action.warn_on_close.unwrap_or(true),
                        access: action.access.clone(),
                    },
                    action.access.clone(),
                ));
            }
        }
    }
    drop(registry);
    // Access applies in production only, as Interval: a development
    // environment is its developer's own.
    let production = environment == KeyKind::Live;
    let page_access = |slug: &str| {
        pages
            .iter()
            .find(|(p, _)| p.slug == slug)
            .map(|(_, access)| (access.as_ref(), access::parent_slug(slug)))
    };
    let allowed = |own: Option<&AccessControl>, parent: Option<String>| {
        let inherited = || access::effective(None, parent, page_access);
        !production || access::allows(own.or_else(inherited), person)
    };
    let mut visible_actions: Vec<ActionInfo> = actions
        .iter()
        .filter(|(a, own)| {
            let parent = a
                .group_slug
                .clone()
                .or_else(|| access::parent_slug(&a.slug));
            allowed(own.as_ref(), parent)
        })
        .map(|(a, _)| a.clone())
        .collect();
    let mut visible_pages: Vec<PageInfo> = pages
        .iter()
        .filter(|(p, own)| allowed(own.as_ref(), access::parent_slug(&p.slug)))
        .map(|(p, _)| p.clone())
        .collect();
    visible_actions.sort_by(|a, b| a.slug.cmp(&b.slug));
    visible_pages.sort_by(|a, b| a.slug.cmp(&b.slug));
    Reply::Routes {
        actions: visible_actions,
        pages: visible_pages,
    }
}

/// Whether `person` sees action `slug` in `environment`.
pub(super) fn sees_action(
    state: &AppState,
    person: &Person,
    environment: KeyKind,
    slug: &str,
) -> bool {
    matches!(routes(state, person, environment), Reply::Routes { actions, .. } if actions.iter().any(|a| a.slug == slug))
}

/// Whether `person` sees page `slug` in `environment`.
pub(super) fn sees_page(
    state: &AppState,
    person: &Person,
    environment: KeyKind,
    slug: &str,
) -> bool {
    matches!(routes(state, person, environment), Reply::Routes { pages, .. } if pages.iter().any(|p| p.slug == slug))
}
