//! A team on one server: people with roles and teams, access declared in
//! code by an official `@interval/sdk` host (tests/e2e/team-node-host.mjs),
//! the queue and notifications per person, sessions across restarts, the
//! `user add` command line, and revoked keys.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use interval_protocol::result::ActionResultStatus;
use interval_server::api::{Event, Reply, Request};
use interval_server::db::NewPerson;
use interval_server::people::{Person, Role};
use interval_server::{RunningServer, ServerConfig};
use serde_json::{json, Map, Value};
use support::raw_host::RawHost;
use support::{log_in, server_with, Dashboard, NodeHost, KEY, WAIT};

/// The owner's (`admin@localhost`) password.
const OWNER_PASSWORD: &str = "owner-password-1234";
/// Everyone else's.
const PASSWORD: &str = "member-password-1234";

fn team_host_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/team-node-host.mjs")
}

/// A file name in the temporary directory, unique to this run.
fn temp_path(name: &str, extension: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "interval-team-{name}-{}.{extension}",
        interval_protocol::new_id()
    ))
}

/// Removes a database file and what SQLite and the uploads keep beside it.
fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let _ = std::fs::remove_dir_all(format!("{}.uploads", path.display()));
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A server whose owner has [`OWNER_PASSWORD`] (so everyone signs in).
async fn team_server() -> RunningServer {
    server_with(ServerConfig::default().dashboard_password(OWNER_PASSWORD)).await
}

/// An account with [`PASSWORD`], in `teams`.
async fn add_person(
    server: &RunningServer,
    email: &str,
    first_name: &str,
    role: Role,
    teams: &[&str],
) -> Person {
    let hash = tokio::task::spawn_blocking(|| interval_server::keys::hash(PASSWORD))
        .await
        .unwrap()
        .unwrap();
    let store = &server.state().store;
    let person = store
        .add_person(&NewPerson {
            email,
            first_name: Some(first_name),
            last_name: None,
            role,
            password_hash: Some(hash),
        })
        .await
        .unwrap();
    for team in teams {
        store.join_team(team, &person.id).await.unwrap();
    }
    person
}

/// Signs in as `email` over HTTP; the session cookie (`name=value`).
async fn log_in_as(server: &RunningServer, email: &str, password: &str) -> String {
    let reply = http()
        .post(format!("{}/login", server.url()))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 303, "signing in as {email}");
    let cookie = reply.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("interval_session="), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

/// A new live key.
async fn live_key(server: &RunningServer) -> String {
    server
        .state()
        .store
        .create_live_key("production", None)
        .await
        .unwrap()
}

/// The team host script run with `key`; what the SDK logs goes to `log`.
fn team_host(server: &RunningServer, key: &str, log: &Path) -> NodeHost {
    NodeHost::script_with_key(
        server,
        &team_host_script(),
        key,
        &[("TEAM_HOST_LOG", log.as_os_str())],
    )
}

/// The slugs of the actions and pages `dashboard`'s person sees.
async fn routes(dashboard: &mut Dashboard) -> (Vec<String>, Vec<String>) {
    match dashboard.request(Request::Routes).await {
        Ok(Reply::Routes { actions, pages }) => {
            let mut actions: Vec<String> = actions.into_iter().map(|a| a.slug).collect();
            let mut pages: Vec<String> = pages.into_iter().map(|p| p.slug).collect();
            actions.sort();
            pages.sort();
            (actions, pages)
        }
        other => panic!("no routes: {other:?}"),
    }
}

fn params(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("params are an object"),
    }
}

/// Starts `slug`; its transaction id, or the server's refusal.
async fn start(dashboard: &mut Dashboard, slug: &str, with: Value) -> Result<String, String> {
    let reply = dashboard
        .request(Request::StartTransaction {
            slug: slug.into(),
            params: params(with),
            queued_action_id: None,
        })
        .await?;
    match reply {
        Reply::TransactionStarted { transaction_id } => Ok(transaction_id),
        other => panic!("unexpected reply {other:?}"),
    }
}

/// Runs `slug` to its end; the value its handler returned.
async fn run(dashboard: &mut Dashboard, slug: &str, with: Value) -> (String, Value) {
    let tx = start(dashboard, slug, with)
        .await
        .unwrap_or_else(|e| panic!("{slug} did not start: {e}"));
    loop {
        match dashboard.event().await {
            Event::Completed {
                transaction_id,
                result,
                ..
            } if transaction_id == tx => {
                let result = result.unwrap_or_else(|| panic!("{slug} sent no result"));
                assert_eq!(result.status, ActionResultStatus::Success, "{result:?}");
                return (tx, result.data);
            }
            Event::Render { .. } => panic!("{slug} asked for input"),
            _ => continue,
        }
    }
}

async fn queue(dashboard: &mut Dashboard) -> Vec<interval_server::db::QueuedRecord> {
    match dashboard.request(Request::Queue).await {
        Ok(Reply::Queue { queued }) => queued,
        other => panic!("no queue: {other:?}"),
    }
}

async fn notifications(dashboard: &mut Dashboard) -> Vec<interval_server::db::NotificationRecord> {
    match dashboard.request(Request::Notifications).await {
        Ok(Reply::Notifications { notifications }) => notifications,
        other => panic!("no notifications: {other:?}"),
    }
}

/// Waits until `path` has a line containing `needle`; that line.
async fn wait_for_line(path: &Path, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains(needle)) {
            return line.to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the host never logged {needle:?}; it logged:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const ALL_ACTIONS: [&str; 6] = [
    "assign",
    "billing/invoice",
    "lookup",
    "notify",
    "purge",
    "refund",
];

#[tokio::test(flavor = "multi_thread")]
async fn the_official_node_host_declares_access_and_each_person_sees_what_their_teams_may_run() {
    let server = team_server().await;
    let store = &server.state().store;
    store.put_team("support", "Support").await.unwrap();
    store.put_team("finance", "Finance").await.unwrap();
    add_person(
        &server,
        "sam@example.com",
        "Sam",
        Role::Member,
        &["support"],
    )
    .await;
    add_person(
        &server,
        "fay@example.com",
        "Fay",
        Role::Member,
        &["finance"],
    )
    .await;
    let key = live_key(&server).await;
    let log = temp_path("host", "log");
    let _host = team_host(&server, &key, &log);

    let owner = log_in(&server, OWNER_PASSWORD).await;
    let mut admin = Dashboard::connect_as(&server, Some(&owner)).await;
    for slug in ALL_ACTIONS {
        admin.wait_for_action(slug).await;
    }
    // INITIALIZE_HOST's warning names the team nobody created, and only it.
    let warning = wait_for_line(&log, "teams this organization does not have").await;
    assert!(warning.contains("ghosts"), "{warning}");
    assert!(
        !warning.contains("support") && !warning.contains("finance"),
        "{warning}"
    );

    let sam = log_in_as(&server, "sam@example.com", PASSWORD).await;
    let fay = log_in_as(&server, "fay@example.com", PASSWORD).await;
    let mut sam = Dashboard::connect_as(&server, Some(&sam)).await;
    let mut fay = Dashboard::connect_as(&server, Some(&fay)).await;

    // What each may run: the support team's refund, not the finance page's
    // invoice (its access is the page's), and never the admins-only purge.
    assert_eq!(
        routes(&mut sam).await,
        (
            vec![
                "assign".into(),
                "lookup".into(),
                "notify".into(),
                "refund".into()
            ],
            vec![]
        )
    );
    assert_eq!(
        routes(&mut fay).await,
        (
            vec![
                "assign".into(),
                "billing/invoice".into(),
                "lookup".into(),
                "notify".into()
            ],
            vec!["billing".into()]
        )
    );
    let (admin_actions, admin_pages) = routes(&mut admin).await;
    assert_eq!(admin_actions, ALL_ACTIONS);
    assert_eq!(admin_pages, ["billing"]);

    // What they may not run does not exist for them.
    for (dashboard, forbidden) in [
        (&mut sam, ["purge", "billing/invoice"]),
        (&mut fay, ["purge", "refund"]),
    ] {
        for slug in forbidden {
            assert_eq!(
                start(dashboard, slug, json!({})).await,
                Err(format!("There is no action \"{slug}\".")),
            );
        }
    }

    // What they may run starts, and the handler sees who runs it.
    let (_, user) = run(&mut sam, "refund", json!({})).await;
    assert_eq!(
        user,
        json!({"email": "sam@example.com", "firstName": "Sam", "lastName": null, "role": "member", "teams": ["support"]})
    );
    let (_, user) = run(&mut fay, "billing/invoice", json!({})).await;
    assert_eq!(user["email"], "fay@example.com");
    assert_eq!(user["role"], "member");
    assert_eq!(user["teams"], json!(["finance"]));
    let (_, user) = run(&mut fay, "lookup", json!({})).await;
    assert_eq!(user["email"], "fay@example.com");
    let (_, user) = run(&mut admin, "purge", json!({})).await;
    assert_eq!(user["email"], "admin@localhost");
    assert_eq!(user["role"], "admin");
    assert_eq!(user["teams"], json!([]));
    let _ = std::fs::remove_file(&log);
}

#[tokio::test(flavor = "multi_thread")]
async fn enqueue_with_an_assignee_reaches_that_person_only() {
    let server = team_server().await;
    server
        .state()
        .store
        .put_team("support", "Support")
        .await
        .unwrap();
    add_person(&server, "a@example.com", "Ann", Role::Member, &["support"]).await;
    // Of the same team: only the assignment keeps the action from them.
    add_person(&server, "b@example.com", "Bob", Role::Member, &["support"]).await;
    add_person(&server, "f@example.com", "Flo", Role::Member, &["finance"]).await;
    let key = live_key(&server).await;
    let log = temp_path("host", "log");
    let _live_host = team_host(&server, &key, &log);

    let owner = log_in(&server, OWNER_PASSWORD).await;
    let mut admin = Dashboard::connect_as(&server, Some(&owner)).await;
    admin.wait_for_action("assign").await;
    let a_cookie = log_in_as(&server, "a@example.com", PASSWORD).await;
    let b_cookie = log_in_as(&server, "b@example.com", PASSWORD).await;
    let f_cookie = log_in_as(&server, "f@example.com", PASSWORD).await;
    let mut a = Dashboard::connect_as(&server, Some(&a_cookie)).await;
    let mut b = Dashboard::connect_as(&server, Some(&b_cookie)).await;
    let mut f = Dashboard::connect_as(&server, Some(&f_cookie)).await;

    // interval.enqueue from a production host, assigned to a@.
    let (_, queued) = run(
        &mut admin,
        "assign",
        json!({"slug": "refund", "assignee": "a@example.com", "note": "for-ann"}),
    )
    .await;
    let id = queued["id"]
        .as_str()
        .unwrap_or_else(|| panic!("not queued: {queued}"))
        .to_owned();
    let mine = queue(&mut a).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0].id, id);
    assert_eq!(mine[0].action_slug, "refund");
    assert_eq!(mine[0].assignee.as_deref(), Some("a@example.com"));
    assert_eq!(mine[0].params["note"], "for-ann");
    assert_eq!(queue(&mut b).await, vec![]);
    assert_eq!(queue(&mut f).await, vec![]);
    // The queue page says the same.
    let page = |cookie: String| {
        let url = format!("{}/queue", server.url());
        async move {
            let reply = http()
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), 200);
            reply.text().await.unwrap()
        }
    };
    assert!(page(a_cookie.clone()).await.contains(&id));
    assert!(!page(b_cookie.clone()).await.contains(&id));
    // a@ is told; b@ is not.
    let told = notifications(&mut a).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        told[0].title.as_deref(),
        Some("An action was assigned to you")
    );
    assert!(told[0].message.contains("Refund"), "{:?}", told[0]);
    assert_eq!(notifications(&mut b).await, vec![]);

    // Someone who is not in the organization: the SDK's error.
    let (_, refused) = run(
        &mut admin,
        "assign",
        json!({"slug": "refund", "assignee": "nobody@example.com"}),
    )
    .await;
    let message = refused["error"].as_str().unwrap_or_default();
    assert!(message.contains("Assignee not found"), "{refused}");
    assert_eq!(server.state().store.queue().await.unwrap().len(), 1);

    // Unassigned: everyone who may run it sees it, and only they.
    let (_, queued) = run(&mut admin, "assign", json!({"slug": "refund"})).await;
    let open = queued["id"].as_str().unwrap().to_owned();
    for (who, dashboard) in [("a", &mut a), ("b", &mut b)] {
        let ids: Vec<String> = queue(dashboard).await.into_iter().map(|q| q.id).collect();
        assert!(ids.contains(&open), "{who}: {ids:?}");
    }
    assert_eq!(queue(&mut f).await, vec![]);

    // A development host (the owner's key) assigns to its developer only.
    let dev_log = temp_path("dev-host", "log");
    let _dev_host = team_host(&server, KEY, &dev_log);
    let development = format!("{owner}; interval_environment=development");
    let mut dev = Dashboard::connect_as(&server, Some(&development)).await;
    dev.wait_for_action("assign").await;
    let (_, refused) = run(
        &mut dev,
        "assign",
        json!({"slug": "refund", "assignee": "b@example.com"}),
    )
    .await;
    let message = refused["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("Development actions can only be assigned to the action developer"),
        "{refused}"
    );
    assert_eq!(queue(&mut b).await.len(), 1, "only the unassigned one");
    let (_, queued) = run(
        &mut dev,
        "assign",
        json!({"slug": "refund", "assignee": "admin@localhost"}),
    )
    .await;
    let developers = queued["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{queued}"))
        .to_owned();
    // What development queues stays in the developer's environment: not in
    // their production queue, nor anyone else's, even unassigned.
    let (_, queued) = run(&mut dev, "assign", json!({"slug": "refund"})).await;
    let unassigned_dev = queued["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{queued}"))
        .to_owned();
    let ids = |items: Vec<interval_server::db::QueuedRecord>| -> Vec<String> {
        items.into_iter().map(|q| q.id).collect()
    };
    let in_development = ids(queue(&mut dev).await);
    assert!(in_development.contains(&developers) && in_development.contains(&unassigned_dev));
    let in_production = ids(queue(&mut admin).await);
    assert!(!in_production.contains(&developers), "{in_production:?}");
    assert!(
        !in_production.contains(&unassigned_dev),
        "{in_production:?}"
    );
    assert!(!ids(queue(&mut a).await).contains(&unassigned_dev));
    // Nor can it be run in production, or taken out by a production key.
    let refused = admin
        .request(Request::StartTransaction {
            slug: "refund".into(),
            params: Map::new(),
            queued_action_id: Some(unassigned_dev.clone()),
        })
        .await;
    assert!(refused.is_err(), "{refused:?}");
    assert!(server
        .state()
        .store
        .queued(&unassigned_dev)
        .await
        .unwrap()
        .is_some());
    let taken: Value = http()
        .post(format!("{}/api/actions/dequeue", server.url()))
        .bearer_auth(&key)
        .json(&json!({"id": unassigned_dev}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(taken["message"], "Queued action not found", "{taken}");
    let taken: Value = http()
        .post(format!("{}/api/actions/dequeue", server.url()))
        .bearer_auth(KEY)
        .json(&json!({"id": unassigned_dev}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(taken["type"], "success", "its own key takes it: {taken}");
    for file in [log, dev_log] {
        let _ = std::fs::remove_file(file);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ctx_notify_is_stored_for_the_runner() {
    let server = team_server().await;
    add_person(&server, "a@example.com", "Ann", Role::Member, &["support"]).await;
    add_person(&server, "b@example.com", "Bob", Role::Member, &["support"]).await;
    let key = live_key(&server).await;
    let log = temp_path("host", "log");
    let _host = team_host(&server, &key, &log);
    let a_cookie = log_in_as(&server, "a@example.com", PASSWORD).await;
    let b_cookie = log_in_as(&server, "b@example.com", PASSWORD).await;
    let mut a = Dashboard::connect_as(&server, Some(&a_cookie)).await;
    let mut b = Dashboard::connect_as(&server, Some(&b_cookie)).await;
    a.wait_for_action("notify").await;

    // The handler notifies twice with one idempotency key.
    let (tx, sent) = run(&mut a, "notify", json!({"marker": "r-17"})).await;
    assert_eq!(sent, "sent");
    let mine = notifications(&mut a).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0].message, "Refund r-17 went out");
    assert_eq!(mine[0].title.as_deref(), Some("Refund issued"));
    assert_eq!(mine[0].transaction_id.as_deref(), Some(tx.as_str()));
    assert!(
        mine[0].deliveries.to_string().contains("x@example.com"),
        "{:?}",
        mine[0].deliveries
    );
    assert_eq!(notifications(&mut b).await, vec![]);
    let _ = std::fs::remove_file(&log);
}

/// `GET /` with `cookie`: whether it opens (200), or sends to `/login`.
async fn opens_dashboard(server: &RunningServer, cookie: &str) -> bool {
    let reply = http()
        .get(format!("{}/", server.url()))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    match reply.status().as_u16() {
        200 => true,
        303 | 302 | 307 => {
            assert_eq!(reply.headers()["location"], "/login");
            false
        }
        other => panic!("GET / answered {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_keeps_people_signed_in_until_expiry() {
    let path = temp_path("sessions", "db");
    let config = || {
        ServerConfig::default()
            .database(&path)
            .dashboard_password(OWNER_PASSWORD)
    };
    let server = server_with(config()).await;
    add_person(&server, "m@example.com", "Max", Role::Member, &[]).await;
    let first = log_in(&server, OWNER_PASSWORD).await;
    let second = log_in(&server, OWNER_PASSWORD).await;
    let other = log_in_as(&server, "m@example.com", PASSWORD).await;
    assert_ne!(first, second);
    assert!(opens_dashboard(&server, &first).await);
    server.shutdown();
    server.closed().await;
    // Only a hash of the token is stored.
    for suffix in ["", "-wal"] {
        let bytes = std::fs::read(format!("{}{suffix}", path.display())).unwrap_or_default();
        let token = first.trim_start_matches("interval_session=").as_bytes();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token),
            "the session token is in the database{suffix}"
        );
    }

    let server = server_with(config()).await;
    assert!(opens_dashboard(&server, &first).await);
    assert!(opens_dashboard(&server, &second).await);
    // Log out everywhere: both of the owner's sessions end, not others'.
    let reply = http()
        .post(format!("{}/logout/everywhere", server.url()))
        .header("cookie", &first)
        .header("origin", server.url())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 303);
    assert_eq!(reply.headers()["location"], "/login");
    assert!(!opens_dashboard(&server, &first).await);
    assert!(!opens_dashboard(&server, &second).await);
    assert!(opens_dashboard(&server, &other).await);
    server.shutdown();
    server.closed().await;

    // A session lasts its lifetime, restart or not.
    let lifetime = Duration::from_secs(2);
    let server = server_with(config().sessions(lifetime, Duration::from_secs(3600))).await;
    let short = log_in(&server, OWNER_PASSWORD).await;
    assert!(opens_dashboard(&server, &short).await);
    tokio::time::sleep(lifetime + Duration::from_millis(500)).await;
    assert!(!opens_dashboard(&server, &short).await);
    server.shutdown();
    server.closed().await;
    remove_database(&path);
}

/// Runs the server's binary with `args` (and the password in the
/// environment when given); its exit status, standard output and error.
fn cli(database: &Path, args: &[&str], password: Option<&str>) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_interval-server"));
    command
        .arg("--database")
        .arg(database)
        .args(args)
        .env_remove("INTERVAL_USER_PASSWORD")
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null());
    if let Some(password) = password {
        command.env("INTERVAL_USER_PASSWORD", password);
    }
    let output = command.output().expect("the server's binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn user_add_on_the_command_line_creates_an_account_that_signs_in() {
    // Nothing else runs yet: the command line is run right here.
    let path = temp_path("cli", "db");
    let add = |email: &str, role: &str, password: &str| {
        cli(
            &path,
            &[
                "user", "add", "--email", email, "--role", role, "--team", "support",
            ],
            Some(password),
        )
    };
    // The first account is an admin's (who invites the others): a database
    // without one would be one nobody can manage.
    let (ok, _, err) = add("dev@example.com", "developer", PASSWORD);
    assert!(!ok);
    assert!(err.contains("first account must be an admin"), "{err}");
    let (ok, out, err) = add("boss@example.com", "admin", PASSWORD);
    assert!(ok, "{out}{err}");
    let (ok, out, err) = add("dev@example.com", "developer", PASSWORD);
    assert!(ok, "{out}{err}");
    assert!(out.contains("dev@example.com"), "{out}");

    // Mistakes: a clear message, a failure, and no account.
    let (ok, _, err) = add("eve@example.com", "owner", PASSWORD);
    assert!(!ok);
    assert!(err.contains("owner") && err.contains("developer"), "{err}");
    let (ok, _, err) = add("eve@example.com", "member", "short");
    assert!(!ok);
    assert!(err.contains("at least 12 characters"), "{err}");
    let (ok, listed, err) = cli(&path, &["user", "list"], None);
    assert!(ok, "{err}");
    assert!(!listed.contains("eve@example.com"), "{listed}");
    let dev_line = listed
        .lines()
        .find(|l| l.starts_with("dev@example.com"))
        .unwrap_or_else(|| panic!("not listed: {listed}"));
    assert!(
        dev_line.contains("developer") && dev_line.contains("support"),
        "{dev_line}"
    );

    // A server on that database: the account signs in, with its role and team.
    let server = server_with(ServerConfig::default().database(&path)).await;
    let wrong = http()
        .post(format!("{}/login", server.url()))
        .form(&[
            ("email", "dev@example.com"),
            ("password", "not-the-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let cookie = log_in_as(&server, "dev@example.com", PASSWORD).await;
    assert!(opens_dashboard(&server, &cookie).await);
    let (person, _) = server
        .state()
        .store
        .person_by_email("dev@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(person.role, Role::Developer);
    assert_eq!(person.teams, ["support"]);
    server.shutdown();
    server.closed().await;
    remove_database(&path);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_key_disconnects_its_host() {
    let server = team_server().await;
    let store = &server.state().store;
    let owner = store.owner().await.unwrap().unwrap();
    let key = store.create_dev_key(&owner.id, "laptop").await.unwrap();
    let key_id = store
        .keys()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.name.as_deref() == Some("laptop"))
        .unwrap()
        .id;
    add_person(&server, "dan@example.com", "Dan", Role::Developer, &[]).await;
    let mut host = RawHost::initialized(&server.endpoint(), &key, "laptop-1", &["ping"]).await;

    let revoke = |cookie: String| {
        let url = format!("{}/keys/{key_id}/revoke", server.url());
        let origin = server.url();
        async move {
            http()
                .post(url)
                .header("cookie", cookie)
                .header("origin", origin)
                .send()
                .await
                .unwrap()
        }
    };
    // Another developer may not revoke the owner's key.
    let dan = log_in_as(&server, "dan@example.com", PASSWORD).await;
    assert_eq!(revoke(dan).await.status(), 404);
    assert!(store
        .key(&key_id)
        .await
        .unwrap()
        .unwrap()
        .revoked_at
        .is_none());

    // Its owner may: the host is told why and disconnected.
    let cookie = log_in(&server, OWNER_PASSWORD).await;
    let reply = revoke(cookie).await;
    assert_eq!(reply.status(), 303);
    assert_eq!(reply.headers()["location"], "/keys");
    let closed = host.closed().await;
    assert_eq!(closed.code, Some(1008), "{closed:?}");
    assert_eq!(closed.reason, "This API key was revoked.");

    // The key no longer works, for hosts or the HTTP API.
    let mut again = RawHost::connect(&server.endpoint(), Some(&key), "laptop-2").await;
    let closed = again.closed().await;
    assert_eq!(closed.code, Some(1008), "{closed:?}");
    assert!(closed.reason.starts_with("Invalid API key"), "{closed:?}");
    let refused = http()
        .post(format!("{}/api/actions/enqueue", server.url()))
        .bearer_auth(&key)
        .json(&json!({"slug": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    // The server's own key still does.
    RawHost::initialized(&server.endpoint(), KEY, "other-1", &["ping"]).await;
}

/// A notification about a transaction must come with a key of that
/// transaction's environment: a development key cannot write into the
/// notifications of production runs.
#[tokio::test(flavor = "multi_thread")]
async fn notify_only_reaches_transactions_of_the_keys_environment() {
    let server = team_server().await;
    let key = live_key(&server).await;
    let store = &server.state().store;
    let owner = store.owner().await.unwrap().unwrap();
    store
        .insert_transaction(
            &interval_server::db::TransactionRecord {
                id: "prod-run".into(),
                action_slug: "refund".into(),
                status: "COMPLETED".into(),
                result_status: Some("SUCCESS".into()),
                params: json!({}),
                result: None,
                host_instance_id: None,
                runner_email: owner.email.clone(),
                runner_id: Some(owner.id.clone()),
                environment: "production".into(),
                created_at: 1,
                completed_at: Some(2),
                node_id: None,
            },
            None,
        )
        .await
        .unwrap();
    let notify = |key: String| {
        let url = format!("{}/api/notify", server.url());
        async move {
            http()
                .post(url)
                .bearer_auth(key)
                .json(&json!({
                    "message": "done",
                    "transactionId": "prod-run",
                    "deliveryInstructions": [],
                    "createdAt": "2026-01-01T00:00:00.000Z",
                }))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(notify(KEY.to_owned()).await.status(), 403);
    assert_eq!(notify(key).await.status(), 200);
}
