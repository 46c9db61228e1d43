//! The tree of actions and pages served by the live hosts, and the URLs of
//! routes in the dashboard.

use serde_json::{Map, Value};

use crate::api::{ActionInfo, PageInfo, Reply};
use crate::keys::KeyKind;
use crate::people::Person;
use crate::state::AppState;

/// Every live action and page.
#[derive(Debug, Clone, Default)]
pub struct RouteTree {
    /// Actions, by slug.
    pub actions: Vec<ActionInfo>,
    /// Pages, by slug.
    pub pages: Vec<PageInfo>,
}

/// One entry of a page (or of the top level).
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    /// A nested page.
    Page(&'a PageInfo),
    /// An action.
    Action(&'a ActionInfo),
}

impl RouteTree {
    /// The routes `person` sees in `environment` now.
    pub fn load(state: &AppState, person: &Person, environment: KeyKind) -> RouteTree {
        match crate::dashboard_api::routes(state, person, environment) {
            Reply::Routes { actions, pages } => RouteTree { actions, pages },
            _ => RouteTree::default(),
        }
    }

    /// The page with this slug.
    pub fn page(&self, slug: &str) -> Option<&PageInfo> {
        self.pages.iter().find(|p| p.slug == slug)
    }

    /// The action with this full slug.
    pub fn action(&self, slug: &str) -> Option<&ActionInfo> {
        self.actions.iter().find(|a| a.slug == slug)
    }

    /// The listed routes directly under `parent` (`None`: the top level):
    /// pages first, then actions, each by name. Unlisted routes are left
    /// out (they stay reachable by URL).
    pub fn children(&self, parent: Option<&str>) -> Vec<Entry<'_>> {
        let mut pages: Vec<&PageInfo> = self
            .pages
            .iter()
            .filter(|p| !p.unlisted && self.parent_of(&p.slug) == parent)
            .collect();
        pages.sort_by(|a, b| a.name.cmp(&b.name));
        let mut actions: Vec<&ActionInfo> = self
            .actions
            .iter()
            .filter(|a| !a.unlisted && self.parent_of_action(a) == parent)
            .collect();
        actions.sort_by(|a, b| a.name.cmp(&b.name));
        pages
            .into_iter()
            .map(Entry::Page)
            .chain(actions.into_iter().map(Entry::Action))
            .collect()
    }

    /// The page an action sits in: its group when that page exists, else
    /// the nearest page above its slug.
    fn parent_of_action<'a>(&self, action: &'a ActionInfo) -> Option<&'a str> {
        match action.group_slug.as_deref() {
            Some(group) if self.page(group).is_some() => Some(group),
            _ => self.parent_of(&action.slug),
        }
    }

    /// The nearest page above `slug` that exists.
    fn parent_of<'a>(&self, slug: &'a str) -> Option<&'a str> {
        let mut rest = slug;
        while let Some((parent, _)) = rest.rsplit_once('/') {
            if self.page(parent).is_some() {
                return Some(parent);
            }
            rest = parent;
        }
        None
    }

    /// The pages above `slug`, outermost first (for breadcrumbs).
    pub fn ancestors(&self, slug: &str) -> Vec<&PageInfo> {
        let mut out = Vec::new();
        let mut rest = slug;
        while let Some((parent, _)) = rest.rsplit_once('/') {
            if let Some(page) = self.page(parent) {
                out.push(page);
            }
            rest = parent;
        }
        out.reverse();
        out
    }

    /// Listed actions whose name, slug or description contains every word
    /// of `query` (case-insensitive).
    pub fn search(&self, query: &str) -> Vec<&ActionInfo> {
        let words: Vec<String> = query.split_whitespace().map(|w| w.to_lowercase()).collect();
        self.actions
            .iter()
            .filter(|a| !a.unlisted)
            .filter(|a| {
                let text = format!(
                    "{} {} {}",
                    a.name,
                    a.slug,
                    a.description.as_deref().unwrap_or_default()
                )
                .to_lowercase();
                words.iter().all(|w| text.contains(w.as_str()))
            })
            .collect()
    }
}

/// The dashboard URL of a route (action or page) with query parameters.
pub fn href(slug: &str, params: Option<&Map<String, Value>>) -> String {
    let path: String = slug
        .trim_matches('/')
        .split('/')
        .map(|segment| url::form_urlencoded::byte_serialize(segment.as_bytes()).collect::<String>())
        .collect::<Vec<_>>()
        .join("/");
    let mut out = format!("/actions/{path}");
    if let Some(params) = params.filter(|p| !p.is_empty()) {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in params {
            match value {
                Value::String(s) => query.append_pair(key, s),
                Value::Null => query.append_pair(key, ""),
                other => query.append_pair(key, &other.to_string()),
            };
        }
        out.push('?');
        out.push_str(&query.finish());
    }
    out
}

/// Where a menu item, link or table cell points: `(href, external)`.
/// Accepts `{route|action, params}` and `{url|href}`; unsafe URLs give
/// `None`.
pub fn target_href(item: &Value) -> Option<(String, bool)> {
    let params = item.get("params").and_then(Value::as_object);
    if let Some(route) = item
        .get("route")
        .or_else(|| item.get("action"))
        .and_then(Value::as_str)
    {
        return Some((href(route, params), false));
    }
    let url = item
        .get("url")
        .or_else(|| item.get("href"))
        .and_then(Value::as_str)?;
    super::sanitize::link_url(url)
        .map(|u| (u.to_owned(), !(u.starts_with('/') || u.starts_with('#'))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(slug: &str, group: Option<&str>, unlisted: bool) -> ActionInfo {
        ActionInfo {
            slug: slug.into(),
            group_slug: group.map(Into::into),
            name: crate::api::name_from_slug(slug),
            description: None,
            backgroundable: false,
            unlisted,
            warn_on_close: true,
            access: None,
        }
    }

    fn page(slug: &str) -> PageInfo {
        PageInfo {
            slug: slug.into(),
            name: crate::api::name_from_slug(slug),
            description: None,
            has_handler: false,
            unlisted: false,
        }
    }

    #[test]
    fn nests_pages_and_hides_unlisted_routes() {
        let tree = RouteTree {
            actions: vec![
                action("hello", None, false),
                action("users/ban", Some("users"), false),
                action("users/admin/reset", Some("users/admin"), false),
                action("secret", None, true),
            ],
            pages: vec![page("users"), page("users/admin")],
        };
        let top: Vec<String> = tree
            .children(None)
            .iter()
            .map(|e| match e {
                Entry::Page(p) => format!("page:{}", p.slug),
                Entry::Action(a) => a.slug.clone(),
            })
            .collect();
        assert_eq!(top, ["page:users", "hello"]);
        assert_eq!(tree.children(Some("users")).len(), 2);
        assert_eq!(tree.ancestors("users/admin/reset").len(), 2);
        assert_eq!(tree.search("ban").len(), 1);
        assert!(tree.search("secret").is_empty(), "unlisted");
        assert!(tree.action("secret").is_some(), "still reachable");
    }

    #[test]
    fn builds_hrefs() {
        let params = json!({"id": 3, "q": "a b"});
        assert_eq!(
            href("users/ban", params.as_object()),
            "/actions/users/ban?id=3&q=a+b"
        );
        assert_eq!(
            target_href(&json!({"url": "javascript:alert(1)"})),
            None,
            "unsafe"
        );
        assert_eq!(
            target_href(&json!({"route": "x"})),
            Some(("/actions/x".into(), false))
        );
        assert_eq!(
            target_href(&json!({"url": "https://e.com"})),
            Some(("https://e.com".into(), true))
        );
    }
}
