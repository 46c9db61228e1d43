//! Opening pages from the dashboard: the host that serves the person,
//! their `ctx.user`, the page key the dashboard then follows.

use interval_protocol::server::{
    ClosePage, ClosePageInputs, OpenPage, OpenPageInputs, OpenPageReturns,
};
use interval_protocol::types::PageRef;
use serde_json::{Map, Value};

use super::routes::sees_page;
use super::transactions::Run;
use crate::access;
use crate::api::Reply;
use crate::state::{AppState, LivePage};

pub(super) async fn open_page(
    state: &AppState,
    run: Run<'_>,
    slug: &str,
    params: Map<String, Value>,
) -> Result<Reply, String> {
    let person = &run.viewer.person;
    let Some(user) = person.user() else {
        return Err("Viewers cannot open pages; ask an admin for another role.".into());
    };
    if !sees_page(state, person, run.environment, slug) {
        return Err(access::no_such_page(slug));
    }
    let browser = run.browser;
    let (host, wire) = state
        .registry()
        .pick_page_host(slug, person, run.environment)
        .ok_or_else(|| format!("No host is serving the page \"{slug}\" right now."))?;
    let page_key = interval_protocol::new_id().to_string();
    state.registry().pages.insert(
        page_key.clone(),
        LivePage {
            host: host.clone(),
            browser,
            layout: None,
        },
    );
    let inputs = OpenPageInputs {
        page_key: page_key.clone(),
        page: PageRef {
            slug: slug.to_owned(),
        },
        environment: run.environment.environment().into(),
        user,
        params,
        params_meta: None,
    };
    match wire.call::<OpenPage>(&inputs).await {
        Ok(OpenPageReturns::Success { .. }) => Ok(Reply::PageOpened { page_key }),
        Ok(OpenPageReturns::Error { message }) => {
            state.registry().pages.remove(&page_key);
            Err(message.unwrap_or_else(|| "The host could not open the page.".into()))
        }
        Err(e) => {
            state.registry().pages.remove(&page_key);
            Err(format!("The host could not open the page: {e}"))
        }
    }
}

/// Closes page `page_key` on its host.
pub(super) async fn close_page(state: &AppState, page_key: String) -> Reply {
    let target = {
        let mut registry = state.registry();
        let page = registry.pages.remove(&page_key);
        page.and_then(|p| registry.hosts.get(&p.host).map(|h| h.wire.clone()))
    };
    if let Some(wire) = target {
        let _ = wire.call::<ClosePage>(&ClosePageInputs { page_key }).await;
    }
    Reply::Ok
}
