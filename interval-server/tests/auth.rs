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

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The session cookie (`name=value`) a response sets.
fn cookie_of(response: &reqwest::Response) -> String {
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// On a new server on loopback everyone is the owner until the first-run
/// page gives the owner an address and a password; from then on people
/// sign in, and the page is gone.
#[tokio::test]
async fn the_first_run_page_sets_up_the_owner_and_ends_open_mode() {
    let server = support::server().await;
    let (http, url) = (http(), server.url());
    let open = http.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(open.status(), 200, "open mode needs no sign-in");
    assert!(open.text().await.unwrap().contains("Set up sign-in"));
    assert_eq!(
        http.get(format!("{url}/setup"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let short = http
        .post(format!("{url}/setup"))
        .form(&[("email", "owner@example.com"), ("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 400);
    let done = http
        .post(format!("{url}/setup"))
        .form(&[
            ("email", "owner@example.com"),
            ("first_name", "Olive"),
            ("password", "correct-horse-battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let cookie = cookie_of(&done);
    let closed = http.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(closed.status(), 303, "open mode ended");
    let page = http
        .get(format!("{url}/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Olive"));
    let again = http.get(format!("{url}/setup")).send().await.unwrap();
    assert_eq!(again.headers()["location"], "/login", "the page is gone");
    let taken = http
        .post(format!("{url}/setup"))
        .form(&[
            ("email", "eve@example.com"),
            ("password", "correct-horse-battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        taken.headers()["location"],
        "/login",
        "nobody takes it over"
    );
    // The owner signs in with the new address.
    let signed_in = http
        .post(format!("{url}/login"))
        .form(&[
            ("email", "owner@example.com"),
            ("password", "correct-horse-battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
}

/// An admin invites someone by link; the link makes one account, with the
/// role and teams of the invitation, and works once. People who are not
/// admins do not find the people page.
#[tokio::test]
async fn an_invitation_link_makes_one_account() {
    let server =
        server_with(ServerConfig::default().dashboard_password("correct-horse-battery")).await;
    let (http, url) = (http(), server.url());
    let admin = support::log_in(&server, "correct-horse-battery").await;
    let invited = http
        .post(format!("{url}/people/invite"))
        .header("cookie", &admin)
        .form(&[
            ("email", "new@example.com"),
            ("role", "member"),
            ("teams", "support, ops"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(invited.status(), 200);
    let page = invited.text().await.unwrap();
    let start = page.find("/invite/").expect("the page shows the link");
    let token: String = page[start + "/invite/".len()..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let link = format!("{url}/invite/{token}");
    let form = http.get(&link).send().await.unwrap();
    assert_eq!(form.status(), 200);
    assert!(form.text().await.unwrap().contains("new@example.com"));
    let joined = http
        .post(&link)
        .form(&[
            ("first_name", "Nell"),
            ("password", "another-long-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 303);
    let member = cookie_of(&joined);
    let person = server
        .state()
        .store
        .person_by_email("new@example.com")
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(person.role, interval_server::people::Role::Member);
    assert_eq!(person.teams, ["ops", "support"]);
    let reused = http
        .post(&link)
        .form(&[("password", "another-long-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), 404, "the link works once");
    let people = http
        .get(format!("{url}/people"))
        .header("cookie", &member)
        .send()
        .await
        .unwrap();
    assert_eq!(people.status(), 404, "members do not manage people");
    let invite = http
        .post(format!("{url}/people/invite"))
        .header("cookie", &member)
        .form(&[("email", "x@example.com"), ("role", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(invite.status(), 404, "nor invite anyone");
}

/// Behind a sign-in proxy the header says who it is, but only from the
/// proxy's address.
#[tokio::test]
async fn a_trusted_proxy_header_signs_people_in() {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let server =
        server_with(ServerConfig::default().trusted_proxy("X-Forwarded-Email", vec![loopback]))
            .await;
    server
        .state()
        .store
        .add_person(&interval_server::db::NewPerson {
            email: "bob@example.com",
            first_name: Some("Bob"),
            last_name: None,
            role: interval_server::people::Role::Member,
            password_hash: None,
        })
        .await
        .unwrap();
    let (http, url) = (http(), server.url());
    let bob = http
        .get(format!("{url}/"))
        .header("x-forwarded-email", "bob@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(bob.status(), 200);
    assert!(bob.text().await.unwrap().contains("Bob"));
    let stranger = http
        .get(format!("{url}/"))
        .header("x-forwarded-email", "eve@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 403);
    // No header, no open mode (a proxy is configured): sign in.
    let nobody = http.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(nobody.status(), 303);
}

/// Another proxy's header is not believed.
#[tokio::test]
async fn a_proxy_header_from_elsewhere_is_ignored() {
    let elsewhere: IpAddr = "10.9.8.7".parse().unwrap();
    let server =
        server_with(ServerConfig::default().trusted_proxy("X-Forwarded-Email", vec![elsewhere]))
            .await;
    let response = http()
        .get(format!("{}/", server.url()))
        .header("x-forwarded-email", "admin@localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "signed in from the wrong address");
}

/// A dashboard connection opened before "log out everywhere" loses its
/// rights too (within a second: it re-reads its person that often).
#[tokio::test]
async fn logging_out_everywhere_ends_open_dashboard_connections() {
    let server =
        server_with(ServerConfig::default().dashboard_password("correct-horse-battery")).await;
    let cookie = support::log_in(&server, "correct-horse-battery").await;
    let mut dashboard = support::Dashboard::connect_as(&server, Some(&cookie)).await;
    let routes = dashboard
        .request(interval_server::api::Request::Routes)
        .await;
    assert!(routes.is_ok(), "{routes:?}");
    let out = http()
        .post(format!("{}/logout/everywhere", server.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    tokio::time::sleep(interval_server::dashboard::live::VIEWER_FRESHNESS).await;
    let refused = dashboard
        .request(interval_server::api::Request::Routes)
        .await;
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("sign in again")),
        "{refused:?}"
    );
}

/// The keys page makes a key and shows it once; the key works for a host;
/// people who are not developers do not find the page.
#[tokio::test]
async fn the_keys_page_makes_a_key_shown_once() {
    let server =
        server_with(ServerConfig::default().dashboard_password("correct-horse-battery")).await;
    let (http, url) = (http(), server.url());
    let owner = support::log_in(&server, "correct-horse-battery").await;
    let made = http
        .post(format!("{url}/keys"))
        .header("cookie", &owner)
        .form(&[("name", "Laptop"), ("kind", "development")])
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 200);
    let page = made.text().await.unwrap();
    let start = page.find("dev_").expect("the new key is shown");
    let key: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert!(key.len() > 40, "{key}");
    support::raw_host::RawHost::initialized(&server.endpoint(), &key, "laptop", &["x"]).await;
    let listed = http
        .get(format!("{url}/keys"))
        .header("cookie", &owner)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listed.contains("Laptop"));
    assert!(!listed.contains(&key), "the key is shown once");

    server
        .state()
        .store
        .add_person(&interval_server::db::NewPerson {
            email: "bob@example.com",
            first_name: None,
            last_name: None,
            role: interval_server::people::Role::Member,
            password_hash: Some(interval_server::keys::hash("another-long-password").unwrap()),
        })
        .await
        .unwrap();
    let signed_in = http
        .post(format!("{url}/login"))
        .form(&[
            ("email", "bob@example.com"),
            ("password", "another-long-password"),
        ])
        .send()
        .await
        .unwrap();
    let member = cookie_of(&signed_in);
    for request in [
        http.get(format!("{url}/keys")),
        http.post(format!("{url}/keys"))
            .form(&[("name", "Mine"), ("kind", "live")]),
    ] {
        let reply = request.header("cookie", &member).send().await.unwrap();
        assert_eq!(reply.status(), 404);
    }
}
