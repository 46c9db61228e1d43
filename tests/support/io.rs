//! Helpers for the I/O tests: a host connected to the test server, and
//! short ways to start transactions, read renders and answer them.

use interval::protocol::host::{MarkTransactionComplete, SendIoCall, SendIoCallReturns};
use interval::protocol::io::{IoRender, IoResponse, IoResponseKind};
use interval::protocol::result::{ActionResult, ActionResultStatus};
use interval::protocol::server::{
    IoResponse as IoResponseCall, IoResponseInputs, StartTransaction,
};
use interval::protocol::superjson::Meta;
use interval::{Interval, IntervalBuilder};
use serde_json::Value;

use super::{interop, start, Peer, TestServer};

/// The message a wrongly typed value gets (Node's wording).
pub const INVALID: &str = "Received invalid value for field.";

/// A listening host and the server's side of its connection.
pub struct Host {
    pub server: TestServer,
    pub peer: Peer,
    pub interval: Interval,
}

impl Host {
    /// Starts a test server and a host built by `build`, and connects them.
    pub async fn start(build: impl FnOnce(IntervalBuilder) -> IntervalBuilder) -> Host {
        let mut server = TestServer::start().await;
        let interval = build(server.host()).build();
        let host = interval.clone();
        let listening = tokio::spawn(async move { host.listen().await });
        let (peer, _) = server.accept_initialized().await;
        listening.await.unwrap().expect("listen");
        Host {
            server,
            peer,
            interval,
        }
    }

    /// Starts transaction `tx` of `slug` (append-UI mode off).
    pub async fn run(&mut self, tx: &str, slug: &str) {
        self.peer.call::<StartTransaction>(&start(tx, slug)).await;
    }

    /// Starts transaction `tx` of `slug` in append-UI mode.
    pub async fn run_append_ui(&mut self, tx: &str, slug: &str) {
        let mut inputs = start(tx, slug);
        inputs.display_resolves_immediately = Some(true);
        self.peer.call::<StartTransaction>(&inputs).await;
    }

    /// The next `SEND_IO_CALL`, accepted; its transaction id and render.
    pub async fn render_of(&mut self) -> (String, IoRender) {
        let (id, inputs) = self.peer.expect::<SendIoCall>().await;
        self.peer
            .respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
        let render = serde_json::from_str(&inputs.io_call).expect("ioCall is a render");
        (inputs.transaction_id, render)
    }

    /// The next render.
    pub async fn render(&mut self) -> IoRender {
        self.render_of().await.1
    }

    /// Sends an IO response.
    pub fn respond(
        &mut self,
        tx: &str,
        render: &IoRender,
        kind: IoResponseKind,
        values: Value,
        values_meta: Option<Value>,
        choice: Option<&str>,
    ) {
        let response = IoResponse {
            id: render.id.clone(),
            input_group_key: Some(render.input_group_key.clone()),
            transaction_id: tx.into(),
            kind,
            choice: choice.map(str::to_owned),
            values: serde_json::from_value(values).expect("values is an array"),
            values_meta: values_meta.map(|m| serde_json::from_value::<Meta>(m).unwrap()),
        };
        self.peer.call_no_wait::<IoResponseCall>(&IoResponseInputs {
            value: serde_json::to_string(&response).unwrap(),
            transaction_id: tx.into(),
        });
    }

    /// Submits `values` (choice "Continue").
    pub fn answer(&mut self, tx: &str, render: &IoRender, values: Value) {
        self.respond(
            tx,
            render,
            IoResponseKind::Return,
            values,
            None,
            Some("Continue"),
        );
    }

    /// Sends a `SET_STATE`.
    pub fn set_state(&mut self, tx: &str, render: &IoRender, values: Value) {
        self.respond(tx, render, IoResponseKind::SetState, values, None, None);
    }

    /// The renders answering a `SET_STATE` that gave one component a new
    /// state, as Node's host sends them (§3.3): the render its state handler
    /// triggers, then the render that follows every `SET_STATE`, identical
    /// but for its `id`. Returns the last.
    pub async fn renders_of_new_state(&mut self) -> IoRender {
        let first = self.render().await;
        let last = self.render().await;
        assert_same_but_id(&first, &last);
        last
    }

    /// The next `MARK_TRANSACTION_COMPLETE`, accepted.
    pub async fn result(&mut self) -> (String, ActionResult) {
        let (id, inputs) = self.peer.expect::<MarkTransactionComplete>().await;
        self.peer.respond::<MarkTransactionComplete>(id, &true);
        let result = serde_json::from_str(inputs.result.as_deref().unwrap()).unwrap();
        (inputs.transaction_id, result)
    }

    /// The data of the next result, which must be a success.
    pub async fn success(&mut self) -> Value {
        let (_, result) = self.result().await;
        assert_eq!(
            result.status,
            ActionResultStatus::Success,
            "the action failed: {:?}",
            result.data
        );
        result.data
    }

    /// Renders the single-component call of `tx`, checks its method, answers
    /// `bad` (expecting the invalid-value message on a re-render with the same
    /// group), then `good`; returns the action's result data.
    pub async fn round_trip(&mut self, tx: &str, method: &str, bad: Value, good: Value) -> Value {
        let first = self.render().await;
        assert_eq!(first.to_render[0].method_name, method);
        self.answer(tx, &first, Value::Array(vec![bad]));
        let second = self.render().await;
        assert_eq!(second.input_group_key, first.input_group_key);
        assert_ne!(second.id, first.id);
        assert_eq!(
            second.to_render[0].validation_error_message.as_deref(),
            Some(INVALID),
            "{method}: a wrongly typed value was not refused"
        );
        self.answer(tx, &second, Value::Array(vec![good]));
        self.success().await
    }

    /// Checks everything the host sent against the official schemas.
    pub fn check_interop(&self) {
        let records = self.server.recorded();
        let (ok, output) = interop::validate(&records);
        assert!(ok, "the official schemas refused a message:\n{output}");
        let checked = output.lines().filter(|l| l.starts_with("ok ")).count();
        assert_eq!(
            checked,
            records.len(),
            "not every record was checked:\n{output}"
        );
    }
}

/// Asserts that two renders differ only in their `id`.
pub fn assert_same_but_id(a: &IoRender, b: &IoRender) {
    assert_ne!(a.id, b.id, "each render has its own id");
    let mut b = b.clone();
    b.id = a.id.clone();
    assert_eq!(*a, b, "the renders differ in more than their id");
}
