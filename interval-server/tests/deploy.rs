//! Deployment: HTTPS and WSS with the server's own certificate, the errors
//! of bad certificate files, the `--tls-*` flags, and `/health` and
//! `/ready`.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use interval_protocol::host::{InitializeHost, InitializeHostInputs, InitializeHostReturns};
use interval_protocol::types::ActionDefinition;
use interval_server::{RunningServer, ServerConfig, ServerError};
use serde_json::Value;
use support::raw_host::RawHost;
use support::{server, server_with, KEY};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::Connector;

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM
/// files in a directory of its own (removed on drop).
struct Cert {
    dir: PathBuf,
    pem: String,
}

impl Cert {
    fn new() -> Cert {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
                .unwrap();
        let dir =
            std::env::temp_dir().join(format!("interval-tls-{}", interval_protocol::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), signing_key.serialize_pem()).unwrap();
        Cert {
            dir,
            pem: cert.pem(),
        }
    }

    fn cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    /// A file of the directory with these contents.
    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// An HTTP client that trusts this certificate only.
    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(self.pem.as_bytes()).unwrap())
            .build()
            .unwrap()
    }

    /// A rustls client configuration that trusts this certificate only.
    fn rustls(&self) -> Arc<rustls::ClientConfig> {
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from_pem_slice(self.pem.as_bytes()).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

impl Drop for Cert {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn tls_server(cert: &Cert) -> RunningServer {
    server_with(ServerConfig::default().tls(cert.cert(), cert.key())).await
}

async fn start_error(config: ServerConfig) -> String {
    match interval_server::start(config.port(0)).await {
        Ok(_) => panic!("the server started"),
        Err(ServerError::Config(message)) => message,
        Err(e) => panic!("another error: {e}"),
    }
}

async fn json(reply: reqwest::Response) -> (u16, Value) {
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap())
}

#[tokio::test]
async fn the_dashboard_answers_over_https_with_the_configured_certificate() {
    let cert = Cert::new();
    let server = tls_server(&cert).await;
    let port = server.addr().port();
    assert_eq!(server.url(), format!("https://127.0.0.1:{port}"));
    assert_eq!(
        server.endpoint(),
        format!("wss://127.0.0.1:{port}/websocket")
    );
    assert_eq!(
        server.state().base_url.get().map(String::as_str),
        Some(server.url().as_str()),
        "links point at https"
    );
    assert!(server.state().config.serves_https());

    let http = cert.client();
    let page = http.get(server.url()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<html"));
    let (status, health) = json(
        http.get(format!("{}/health", server.url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, &health["status"]), (200, &Value::from("ok")));
    // By name too: the certificate is for localhost as well.
    let reply = http
        .get(format!("https://localhost:{port}/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
}

#[tokio::test]
async fn plain_http_to_the_tls_port_fails_and_the_server_keeps_serving() {
    let cert = Cert::new();
    let server = tls_server(&cert).await;
    let plain = reqwest::Client::new()
        .get(format!("http://{}/health", server.addr()))
        .timeout(Duration::from_secs(15))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
    // A client that does not trust the certificate is refused as well.
    let untrusting = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap()
        .get(format!("{}/health", server.url()))
        .send()
        .await;
    assert!(untrusting.is_err(), "{untrusting:?}");
    // A client that opens a connection and says nothing holds up no one.
    let _silent = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let reply = cert
        .client()
        .get(format!("{}/health", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
}

#[tokio::test]
async fn a_host_connects_over_wss() {
    let cert = Cert::new();
    let server = tls_server(&cert).await;
    let mut request = server.endpoint().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("x-api-key", KEY.parse().unwrap());
    request
        .headers_mut()
        .insert("x-instance-id", "tls-host".parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async_tls_with_config(
        request,
        None,
        true,
        Some(Connector::Rustls(cert.rustls())),
    )
    .await
    .expect("connects over wss");
    let mut host = RawHost::over(socket);
    let inputs = InitializeHostInputs {
        actions: vec![ActionDefinition {
            slug: "over_tls".into(),
            ..Default::default()
        }],
        sdk_name: Some("@interval/sdk".into()),
        sdk_version: Some("2.1.0".into()),
        ..Default::default()
    };
    let reply = host.call::<InitializeHost>(&inputs).await;
    assert!(
        matches!(reply, Some(InitializeHostReturns::Success { .. })),
        "{reply:?}"
    );
    let (_, health) = json(
        cert.client()
            .get(format!("{}/health", server.url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(health["hosts"], 1, "{health}");
    host.close().await;
}

#[tokio::test]
async fn unreadable_or_mismatched_certificate_files_are_named_in_the_error() {
    let cert = Cert::new();
    let other = Cert::new();
    let missing = cert.dir.join("missing.pem");

    let message = start_error(ServerConfig::default().tls(&missing, cert.key())).await;
    assert!(
        message.contains("could not read the TLS certificate")
            && message.contains(&missing.display().to_string()),
        "{message}"
    );
    let message = start_error(ServerConfig::default().tls(cert.cert(), &missing)).await;
    assert!(
        message.contains("could not read the TLS key")
            && message.contains(&missing.display().to_string()),
        "{message}"
    );

    let garbage = cert.file("garbage.pem", "not a certificate\n");
    let message = start_error(ServerConfig::default().tls(&garbage, cert.key())).await;
    assert!(
        message.contains("holds no certificate") && message.contains("garbage.pem"),
        "{message}"
    );
    // The certificate given as the key.
    let message = start_error(ServerConfig::default().tls(cert.cert(), cert.cert())).await;
    assert!(
        message.contains("holds no private key") && message.contains("cert.pem"),
        "{message}"
    );
    let broken = cert.file(
        "broken.pem",
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    );
    let message = start_error(ServerConfig::default().tls(&broken, cert.key())).await;
    assert!(
        message.contains("not valid PEM") && message.contains("broken.pem"),
        "{message}"
    );

    let message = start_error(ServerConfig::default().tls(cert.cert(), other.key())).await;
    assert!(
        message.contains("does not go with the certificate")
            && message.contains(&other.key().display().to_string())
            && message.contains(&cert.cert().display().to_string()),
        "{message}"
    );
}

/// Runs the `interval-server` binary with `args` and no `INTERVAL_*`
/// variables of ours; returns its exit status and stderr.
fn run_cli(args: &[&str], env: &[(&str, &Path)]) -> (std::process::ExitStatus, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_interval-server"))
        .args(args)
        .env_remove("INTERVAL_TLS_CERT")
        .env_remove("INTERVAL_TLS_KEY")
        .envs(env.iter().map(|(k, v)| (k, v.as_os_str())))
        .output()
        .unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into(),
    )
}

#[test]
fn the_cli_wants_both_tls_files_or_neither() {
    let cert = Cert::new();
    let db = cert.dir.join("cli.db");
    let db = db.to_str().unwrap();
    let cert_path = cert.cert();
    let (status, stderr) = run_cli(
        &[
            "--port",
            "0",
            "--database",
            db,
            "--tls-cert",
            cert_path.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!status.success());
    assert!(
        stderr.contains("--tls-key (INTERVAL_TLS_KEY) is not"),
        "{stderr}"
    );

    let (status, stderr) = run_cli(
        &["--port", "0", "--database", db],
        &[("INTERVAL_TLS_KEY", &cert.key())],
    );
    assert!(!status.success());
    assert!(
        stderr.contains("--tls-cert (INTERVAL_TLS_CERT) is not"),
        "{stderr}"
    );

    let missing = cert.dir.join("nope.pem");
    let (status, stderr) = run_cli(
        &["--port", "0", "--database", db],
        &[
            ("INTERVAL_TLS_CERT", &missing),
            ("INTERVAL_TLS_KEY", &cert.key()),
        ],
    );
    assert!(!status.success());
    assert!(
        stderr.contains("could not read the TLS certificate") && stderr.contains("nope.pem"),
        "{stderr}"
    );
}

#[tokio::test]
async fn ready_answers_200_while_running_and_503_once_shutdown_begins() {
    let server = server_with(ServerConfig::default().shutdown_drain(Duration::from_secs(30))).await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", server.url())).send();

    let (status, ready) = json(get("/ready").await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(ready, serde_json::json!({"status": "ready"}));

    server.shutdown();
    // While it drains, the server still answers, but is not ready.
    let (status, ready) = json(get("/ready").await.unwrap()).await;
    assert_eq!(status, 503);
    assert_eq!(ready["status"], "unavailable");
    assert_eq!(ready["reason"], "the server is shutting down");
    let (status, health) = json(get("/health").await.unwrap()).await;
    assert_eq!((status, &health["status"]), (200, &Value::from("ok")));
}

#[tokio::test]
async fn without_a_drain_the_server_closes_its_port_at_once() {
    let server = server().await;
    let addr = server.addr();
    server.shutdown();
    tokio::time::timeout(Duration::from_secs(10), server.closed())
        .await
        .expect("the server stops");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn probes_need_no_login_but_pass_the_host_allow_list() {
    let server = server_with(
        ServerConfig::default()
            .dashboard_password("a long enough password")
            .public_url("https://tools.example.com"),
    )
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/health", "/ready"] {
        let url = format!("{}{path}", server.url());
        let reply = http.get(&url).send().await.unwrap();
        assert_eq!(reply.status(), 200, "{path} by IP address");
        let reply = http
            .get(&url)
            .header("host", "tools.example.com")
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{path} by the public name");
        let reply = http
            .get(&url)
            .header("host", "attacker.example")
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 421, "{path} for another name");
    }
    // The dashboard itself does need a login.
    let reply = http.get(server.url()).send().await.unwrap();
    assert_ne!(reply.status(), 200);
    assert!(server.state().config.serves_https());
}

/// Session cookies are `Secure` when the server is reached over HTTPS (TLS
/// here, or an `https://` public URL), and not over plain HTTP, where a
/// browser would drop them.
#[tokio::test]
async fn session_cookies_are_secure_over_https_only() {
    const PASSWORD: &str = "correct-horse-battery";
    let cert = Cert::new();
    let sign_in = |client: reqwest::Client, url: String| async move {
        let reply = client
            .post(format!("{url}/login"))
            .form(&[("email", "admin@localhost"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 303);
        reply.headers()["set-cookie"].to_str().unwrap().to_owned()
    };
    let no_redirects = |builder: reqwest::ClientBuilder| {
        builder
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    };

    let https = server_with(
        ServerConfig::default()
            .tls(cert.cert(), cert.key())
            .dashboard_password(PASSWORD),
    )
    .await;
    let client = no_redirects(
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(cert.pem.as_bytes()).unwrap()),
    );
    let cookie = sign_in(client, https.url()).await;
    assert!(cookie.contains("; Secure"), "{cookie}");

    let plain = server_with(ServerConfig::default().dashboard_password(PASSWORD)).await;
    let cookie = sign_in(no_redirects(reqwest::Client::builder()), plain.url()).await;
    assert!(!cookie.contains("Secure"), "{cookie}");
}
