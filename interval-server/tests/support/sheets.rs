//! The e2e routes of a spreadsheet and of an upload to host-provided URLs
//! (as node-host.mjs declares them, written with interval-rs), and the
//! store those URLs point at: a small HTTP server on another loopback port
//! (another origin, as S3 is) that takes PUTs with CORS headers and serves
//! the files back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use interval_core::io::{FileUrls, SpreadsheetType};
use interval_core::{Action, Error};
use serde::Deserialize;
use serde_json::json;

/// A row of the "Count stock" spreadsheet.
#[derive(Deserialize)]
struct Stock {
    #[serde(rename = "Item")]
    item: String,
    #[serde(rename = "Amount")]
    amount: f64,
    #[serde(rename = "Paid")]
    paid: bool,
}

/// "Count stock": a spreadsheet with typed columns and default rows.
pub fn stock() -> Action {
    Action::new(|io, _ctx| async move {
        let rows: Vec<Stock> = io
            .experimental()
            .spreadsheet("Stock")
            .column("Item", SpreadsheetType::String)
            .column("Amount", SpreadsheetType::Number)
            .column("Paid", SpreadsheetType::Boolean)
            .default_value(json!([
                {"Item": "Bolts", "Amount": 3, "Paid": true},
                {"Item": "Nuts", "Amount": 5, "Paid": false},
            ]))
            .await?;
        let rows: Vec<String> = rows
            .iter()
            .map(|r| format!("{}:{}:{}", r.item, r.amount, r.paid))
            .collect();
        Ok::<_, Error>(json!({ "count": rows.len(), "rows": rows.join(", ") }))
    })
    .name("Count stock")
    .description("A spreadsheet to fill in")
}

/// "Upload a receipt": a file uploaded to the URLs the host makes for
/// `store` (a file named `refused…` gets a URL the store refuses).
pub fn receipt(store: String) -> Action {
    Action::new(move |io, _ctx| {
        let store = store.clone();
        async move {
            let file = io
                .input()
                .file("Receipt")
                .presigned_urls(move |file| {
                    let store = store.clone();
                    async move {
                        let place = if file.name.starts_with("refused") {
                            "refuse"
                        } else {
                            "files"
                        };
                        let key = format!("{}-{}", interval_protocol::new_id().simple(), file.name);
                        Ok::<_, String>(FileUrls {
                            upload_url: format!("{store}/{place}/{key}?signature=e2e"),
                            download_url: format!("{store}/{place}/{key}"),
                        })
                    }
                })
                .await?;
            let text = file.text().await?;
            Ok::<_, Error>(json!({ "name": file.name, "contents": text }))
        }
    })
    .name("Upload a receipt")
    .description("A file stored where the action says")
}

type Files = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// The store: `PUT /files/<key>` keeps a file, `GET` gives it back,
/// `/refuse/<key>` refuses it (403); CORS headers for any origin, as a
/// bucket configured for browser uploads sends.
pub struct Store {
    /// Its base URL (`http://127.0.0.1:<port>`).
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Store {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn object(
    State(files): State<Files>,
    method: Method,
    Path((place, key)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let mut response = match (method, place.as_str()) {
        (Method::OPTIONS, _) => StatusCode::NO_CONTENT.into_response(),
        (Method::PUT, "refuse") => (StatusCode::FORBIDDEN, "AccessDenied").into_response(),
        (Method::PUT, _) => {
            files.lock().unwrap().insert(key, body.to_vec());
            StatusCode::OK.into_response()
        }
        (Method::GET, _) => match files.lock().unwrap().get(&key) {
            Some(bytes) => bytes.clone().into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    };
    let headers: &mut HeaderMap = response.headers_mut();
    let cors = [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, PUT"),
        (header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"),
    ];
    for (name, value) in cors {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

impl Store {
    /// Starts it on a free loopback port.
    pub async fn start() -> Store {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/{place}/{key}", any(object))
            .with_state(Files::default());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Store { url, task }
    }
}
