//! The relay of uploads to host-provided URLs (src/dashboard/relay.rs),
//! over the dashboard API and HTTP as the page uses them: relay URLs only
//! for the URLs the host gave the field in the render shown, one per file;
//! a PUT to a relay URL reaches the host's URL; an address the relay may
//! not reach (cloud metadata) is refused and nothing is sent.

mod support;

use interval_core::io::FileUrls;
use interval_core::{Action, Error, Interval};
use interval_server::api::{Reply, Request, UploadRequest};
use serde_json::json;
use support::{server, Dashboard, KEY};

/// A host whose upload URLs go to `base` (a file named `meta…` to the
/// cloud metadata address instead).
fn host(endpoint: String, base: String) -> Interval {
    let upload = Action::new(move |io, _ctx| {
        let base = base.clone();
        async move {
            let file = io
                .input()
                .file("Receipt")
                .presigned_urls(move |file| {
                    let base = base.clone();
                    async move {
                        let at = match file.name.starts_with("meta") {
                            true => "http://169.254.169.254".to_owned(),
                            false => base,
                        };
                        Ok::<_, String>(FileUrls {
                            upload_url: format!("{at}/put/{}", file.name),
                            download_url: format!("{at}/get/{}", file.name),
                        })
                    }
                })
                .await?;
            Ok::<_, Error>(file.name)
        }
    });
    Interval::builder()
        .endpoint(endpoint)
        .api_key(KEY)
        .action("upload", upload)
        .build()
}

/// The input group of the next form shown whose HTML contains `needle`.
async fn form_with(dashboard: &mut Dashboard, needle: &str) -> String {
    loop {
        for patch in dashboard.next_patches().await {
            if let Some((_, rest)) = patch.html.split_once("data-group=\"") {
                if patch.html.contains(needle) {
                    return rest.split('"').next().unwrap().to_owned();
                }
            }
        }
    }
}

/// Chooses a file named `name` on the picker of the form shown (input
/// group `group`), as the page does; returns the URLs the server hands out
/// for it.
async fn choose(
    dashboard: &mut Dashboard,
    tx: &str,
    group: &str,
    name: &str,
) -> Result<Reply, String> {
    let state = json!({"files": [{"name": name, "type": "text/plain"}], "name": name, "type": "text/plain"});
    let reply = dashboard
        .request(Request::SetState {
            transaction_id: tx.into(),
            input_group_key: group.into(),
            index: 0,
            state,
        })
        .await;
    assert_eq!(reply, Ok(Reply::Ok));
    // The host's new renders, with one pair of URLs: as Node's, the one the
    // picker's new state triggers, then the one after every SET_STATE (both
    // are waited for: a later choice must not take the second for its own).
    let group = form_with(dashboard, "data-file-urls=\"1\"").await;
    assert_eq!(form_with(dashboard, "data-file-urls=\"1\"").await, group);
    let ask = |count: usize| Request::UploadUrls {
        transaction_id: tx.into(),
        files: vec![
            UploadRequest {
                name: name.into(),
                mime: "text/plain".into(),
                size: 4,
            };
            count
        ],
        input_group_key: Some(group.clone()),
        index: Some(0),
    };
    // Not as many files as the host gave URLs for: nothing is handed out.
    assert!(dashboard.request(ask(2)).await.is_err());
    dashboard.request(ask(1)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_are_relayed_to_the_urls_the_host_gave_and_nowhere_else() {
    let server = server().await;
    // The store: records what it is sent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let store = format!("http://{}", listener.local_addr().unwrap());
    let (sent, mut received) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/put/{name}",
        axum::routing::put(
            move |axum::extract::Path(name): axum::extract::Path<String>, body: String| async move {
                let _ = sent.send((name, body));
                axum::http::StatusCode::OK
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let host = host(server.endpoint(), store.clone());
    host.listen().await.expect("the host connects");
    let mut dashboard = Dashboard::connect(&server).await;
    dashboard.wait_for_action("upload").await;
    assert_eq!(dashboard.request(Request::Html).await, Ok(Reply::Ok));
    let started = |reply| match reply {
        Ok(Reply::TransactionStarted { transaction_id, .. }) => transaction_id,
        other => panic!("not started: {other:?}"),
    };
    let start = || Request::StartTransaction {
        slug: "upload".into(),
        params: Default::default(),
        queued_action_id: None,
    };
    let http = reqwest::Client::new();

    let tx = started(dashboard.request(start()).await);
    let group = form_with(&mut dashboard, "data-host-urls").await;
    let Ok(Reply::UploadUrls { urls }) = choose(&mut dashboard, &tx, &group, "a.txt").await else {
        panic!("no relay URLs");
    };
    // The page PUTs to this server; the host keeps its download URL.
    assert!(
        urls[0]
            .upload_url
            .starts_with(&format!("{}/uploads/relay/", server.url())),
        "{urls:?}"
    );
    assert_eq!(urls[0].download_url, format!("{store}/get/a.txt"));
    let put = http
        .put(&urls[0].upload_url)
        .body("data")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 204);
    assert_eq!(received.recv().await, Some(("a.txt".into(), "data".into())));
    // Once stored, the relay URL is spent.
    let again = http
        .put(&urls[0].upload_url)
        .body("more")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);

    // Another file: the host re-renders the picker with new URLs.
    let Ok(Reply::UploadUrls { urls }) = choose(&mut dashboard, &tx, &group, "meta.txt").await
    else {
        panic!("no relay URLs");
    };
    let refused = http
        .put(&urls[0].upload_url)
        .body("data")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 502);
    let message = refused.text().await.unwrap();
    assert!(message.contains("is not allowed"), "{message}");

    // Unknown tokens get nothing.
    let unknown = format!("{}/uploads/relay/nope", server.url());
    let put = http.put(&unknown).body("x").send().await.unwrap();
    assert_eq!(put.status(), 404);
    assert!(received.try_recv().is_err(), "the store got more");
    host.immediately_close();
}
