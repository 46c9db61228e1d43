//! Off loopback the dashboard needs a password; with one, it needs a login.

mod support;

use std::net::{IpAddr, Ipv4Addr};

use interval_server::ServerConfig;
use support::server_with;

#[tokio::test]
async fn binding_off_loopback_without_a_password_is_refused() {
    let config = ServerConfig::default()
        .host(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        .port(0);
    let error = interval_server::start(config).await.err().expect("refused");
    assert!(error.to_string().contains("without sign-in"), "{error}");
}

#[tokio::test]
async fn an_empty_or_short_password_is_refused() {
    for password in ["", "short-pass1"] {
        let config = ServerConfig::default()
            .host(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
            .port(0)
            .dashboard_password(password);
        let error = interval_server::start(config).await.err().expect("refused");
        assert!(
            error.to_string().contains("at least 12"),
            "{password:?}: {error}"
        );
    }
}

#[tokio::test]
async fn with_a_password_the_dashboard_requires_a_login() {
    let server =
        server_with(ServerConfig::default().dashboard_password("correct-horse-battery")).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = server.url();

    let page = http.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login");
    let socket =
        tokio_tungstenite::connect_async(format!("ws://{}/api/dashboard", server.addr())).await;
    assert!(
        socket.is_err(),
        "the dashboard socket opened without a login"
    );

    let wrong = http
        .post(format!("{url}/login"))
        .form(&[("email", "admin@localhost"), ("password", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = http
        .post(format!("{url}/login"))
        .form(&[
            ("email", "admin@localhost"),
            ("password", "correct-horse-battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 303);
    let cookie = right.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = http
        .get(format!("{url}/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    // Logging out is a POST (a cross-site link cannot do it), from the
    // dashboard's own button.
    let page = page.text().await.unwrap();
    assert!(page.contains("action=\"/logout\""), "no log out button");
    let by_link = http
        .get(format!("{url}/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(by_link.status(), 405);
    let out = http
        .post(format!("{url}/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let page = http
        .get(format!("{url}/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        303,
        "the session still works after logging out"
    );

    // Hosts and the HTTP API are unaffected: they use API keys.
    let health = http.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}
