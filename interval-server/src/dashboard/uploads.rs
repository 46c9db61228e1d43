//! Files uploaded for `UPLOAD_FILE` components (§4.4, `fileUrls` absent):
//! the dashboard asks for a pair of URLs per file, PUTs the bytes to the
//! upload URL (at most [`MAX_UPLOAD_BYTES`]), and the host reads them back
//! from the download URL. Files live on disk next to the database (or in a
//! temporary directory) and are deleted when their transaction completes.
//! Both URLs carry a random token; nothing else grants access.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::Dashboard;
use crate::api::{FileUrls, UploadRequest};

/// The largest file the dashboard accepts (50 MB, the SDKs' own limit for
/// buffers).
pub const MAX_UPLOAD_BYTES: u64 = 50_000_000;

/// At most this many files per transaction.
const MAX_FILES_PER_TRANSACTION: usize = 100;

struct Upload {
    transaction_id: String,
    mime: String,
    path: PathBuf,
    uploaded: bool,
}

/// The uploaded files of one server.
pub struct Uploads {
    dir: PathBuf,
    temporary: bool,
    files: Mutex<HashMap<String, Upload>>,
    /// Upload URLs of the hosts, relayed ([`super::relay`]).
    pub relays: super::relay::Relays,
}

impl Uploads {
    /// Keeps files in `<database>.uploads/`, or in a fresh temporary
    /// directory (removed on drop) when the database is in memory. The
    /// directory is created with the first upload.
    pub fn new(database: Option<&Path>) -> std::io::Result<Uploads> {
        let (dir, temporary) = match database {
            Some(db) => (db.with_extension("uploads"), false),
            None => (
                std::env::temp_dir()
                    .join(format!("interval-uploads-{}", interval_protocol::new_id())),
                true,
            ),
        };
        Ok(Uploads {
            dir,
            temporary,
            files: Mutex::new(HashMap::new()),
            relays: Default::default(),
        })
    }

    fn files(&self) -> MutexGuard<'_, HashMap<String, Upload>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A pair of URLs for each file of `transaction_id`.
    pub fn urls(
        &self,
        base_url: &str,
        transaction_id: &str,
        requests: &[UploadRequest],
    ) -> Result<Vec<FileUrls>, String> {
        if let Some(big) = requests.iter().find(|r| r.size > MAX_UPLOAD_BYTES) {
            return Err(format!(
                "{} is larger than the {} MB limit.",
                big.name,
                MAX_UPLOAD_BYTES / 1_000_000
            ));
        }
        crate::private_files::create_dir_all(&self.dir).map_err(|e| {
            tracing::error!("could not create {}: {e}", self.dir.display());
            "The server could not store files; see its log.".to_owned()
        })?;
        let mut files = self.files();
        let existing = files
            .values()
            .filter(|f| f.transaction_id == transaction_id)
            .count();
        if existing + requests.len() > MAX_FILES_PER_TRANSACTION {
            return Err("Too many files for one transaction.".into());
        }
        Ok(requests
            .iter()
            .map(|request| {
                let token = interval_protocol::new_id().simple().to_string();
                files.insert(
                    token.clone(),
                    Upload {
                        transaction_id: transaction_id.to_owned(),
                        mime: request.mime.clone(),
                        path: self.dir.join(&token),
                        uploaded: false,
                    },
                );
                let url = format!("{base_url}/uploads/{token}");
                FileUrls {
                    upload_url: url.clone(),
                    download_url: url,
                }
            })
            .collect())
    }

    /// Deletes the files of every transaction that `running` says is not
    /// running any more (finished while no dashboard showed it, say).
    pub fn sweep(&self, running: impl Fn(&str) -> bool) {
        let finished: HashSet<String> = self
            .files()
            .values()
            .map(|f| f.transaction_id.clone())
            .filter(|id| !running(id))
            .collect();
        for id in finished {
            self.forget_transaction(&id);
        }
    }

    /// Deletes the files of a finished transaction.
    pub fn forget_transaction(&self, transaction_id: &str) {
        self.relays.forget_transaction(transaction_id);
        let gone: Vec<PathBuf> = {
            let mut files = self.files();
            let tokens: Vec<String> = files
                .iter()
                .filter(|(_, f)| f.transaction_id == transaction_id)
                .map(|(t, _)| t.clone())
                .collect();
            tokens
                .iter()
                .filter_map(|t| files.remove(t))
                .map(|f| f.path)
                .collect()
        };
        for path in gone {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for Uploads {
    fn drop(&mut self) {
        if self.temporary && self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `PUT /uploads/{token}`: stores the body, refusing more than
/// [`MAX_UPLOAD_BYTES`].
pub async fn upload(
    State(dashboard): State<Arc<Dashboard>>,
    UrlPath(token): UrlPath<String>,
    body: Body,
) -> Response {
    let path = match dashboard.uploads.files().get(&token) {
        Some(upload) if !upload.uploaded => upload.path.clone(),
        Some(_) => return (StatusCode::CONFLICT, "Already uploaded.").into_response(),
        None => return (StatusCode::NOT_FOUND, "Unknown upload URL.").into_response(),
    };
    let written = write_limited(&path, body).await;
    match written {
        Ok(()) => {
            if let Some(upload) = dashboard.uploads.files().get_mut(&token) {
                upload.uploaded = true;
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err((status, message)) => {
            let _ = tokio::fs::remove_file(&path).await;
            (status, message).into_response()
        }
    }
}

async fn write_limited(path: &Path, body: Body) -> Result<(), (StatusCode, String)> {
    let failed = |e: std::io::Error| {
        tracing::error!("could not store an upload: {e}");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server could not store the file; see its log.".to_owned(),
        )
    };
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await.map_err(failed)?;
    let mut stream = body.into_data_stream();
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        size += chunk.len() as u64;
        if size > MAX_UPLOAD_BYTES {
            return Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Files are limited to {} MB.", MAX_UPLOAD_BYTES / 1_000_000),
            ));
        }
        file.write_all(&chunk).await.map_err(failed)?;
    }
    file.flush().await.map_err(failed)
}

/// `GET /uploads/{token}`: the file, as an attachment (never rendered as
/// a page of this origin).
pub async fn download(
    State(dashboard): State<Arc<Dashboard>>,
    UrlPath(token): UrlPath<String>,
) -> Response {
    let (path, mime) = match dashboard.uploads.files().get(&token) {
        Some(upload) if upload.uploaded => (upload.path.clone(), upload.mime.clone()),
        _ => return (StatusCode::NOT_FOUND, "No such file.").into_response(),
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mime = if mime.is_empty() || !mime.is_ascii() {
                "application/octet-stream".to_owned()
            } else {
                mime
            };
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CONTENT_DISPOSITION, "attachment".to_owned()),
                ],
                bytes,
            )
                .into_response()
        }
        Err(_) => (StatusCode::NOT_FOUND, "No such file.").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_per_file_and_cleanup() {
        let uploads = Uploads::new(None).unwrap();
        let dir = uploads.dir.clone();
        let request = |size| UploadRequest {
            name: "a.txt".into(),
            mime: "text/plain".into(),
            size,
        };
        let urls = uploads
            .urls("http://h", "tx", &[request(3), request(4)])
            .unwrap();
        assert_eq!(urls.len(), 2);
        assert!(urls[0].upload_url.starts_with("http://h/uploads/"));
        assert_ne!(urls[0].upload_url, urls[1].upload_url);
        assert!(uploads
            .urls("http://h", "tx", &[request(MAX_UPLOAD_BYTES + 1)])
            .is_err());
        uploads.forget_transaction("tx");
        assert!(uploads.files().is_empty());
        drop(uploads);
        assert!(!dir.exists());
    }

    #[test]
    fn a_sweep_deletes_the_files_of_finished_transactions_only() {
        let uploads = Uploads::new(None).unwrap();
        let request = UploadRequest {
            name: "a.txt".into(),
            mime: "text/plain".into(),
            size: 1,
        };
        uploads
            .urls("http://h", "done", std::slice::from_ref(&request))
            .unwrap();
        uploads.urls("http://h", "running", &[request]).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&uploads.dir)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o077,
                0,
                "the uploads directory is mode {:o}",
                mode & 0o777
            );
        }
        let paths: Vec<(String, PathBuf)> = uploads
            .files()
            .values()
            .map(|f| (f.transaction_id.clone(), f.path.clone()))
            .collect();
        for (_, path) in &paths {
            std::fs::write(path, b"x").unwrap();
        }
        uploads.sweep(|id| id == "running");
        for (id, path) in &paths {
            assert_eq!(path.exists(), id == "running", "{id}");
        }
        assert_eq!(uploads.files().len(), 1);
    }
}
