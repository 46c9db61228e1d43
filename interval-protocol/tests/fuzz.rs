//! Fuzzing of every decoder of outside input in the protocol, on stable
//! Rust: frames, RPC messages and each method's inputs and returns, renders
//! and IO responses, layouts, results, and superjson. Each target runs for a
//! time budget (`FUZZ_BUDGET_MS`, default 1,500 ms per target) on inputs made
//! three ways: JSON built from protocol-shaped pieces, valid messages
//! mutated byte by byte, and raw bytes. A panic fails the test and prints
//! the seed that reproduces it (`ARBTEST_SEED=<seed> cargo test ...`).

mod fuzz_input;

use fuzz_input::{budget, fuzz, value};
use interval_protocol::frame::Frame;
use interval_protocol::io::{IoRender, IoResponse};
use interval_protocol::layout::Layout;
use interval_protocol::result::ActionResult;
use interval_protocol::superjson::{self, Meta};
use interval_protocol::{host, server, Method, RpcMessage};
use serde_json::Value;

const FRAMES: &[&str] = &[
    r#"{"type":"MESSAGE","id":"a1","data":"authenticated"}"#,
    r#"{"type":"ACK","id":"a1"}"#,
    r#"{"type":"MESSAGE","id":"b","data":"{\"id\":\"1\",\"kind\":\"CALL\",\"methodName\":\"SEND_LOG\",\"data\":{\"transactionId\":\"t\",\"data\":\"hi\",\"index\":0}}"}"#,
];

const RPC: &[&str] = &[
    r#"{"id":"1","kind":"CALL","methodName":"INITIALIZE_HOST","data":{"actions":[{"slug":"a","name":"A"}],"groups":[],"sdkName":"@interval/sdk","sdkVersion":"2.1.0"}}"#,
    r#"{"id":"2","kind":"CALL","methodName":"START_TRANSACTION","data":{"transactionId":"t","action":{"slug":"a","url":"http://x"},"environment":"production","user":{"email":"a@b","firstName":null,"lastName":null},"params":{"n":"1"},"paramsMeta":{"values":{"n":["bigint"]}}}}"#,
    r#"{"id":"3","kind":"RESPONSE","methodName":"SEND_IO_CALL","data":{"type":"ERROR","message":"no"}}"#,
    r#"{"id":"4","kind":"CALL","methodName":"IO_RESPONSE","data":{"value":"{\"id\":\"r\",\"transactionId\":\"t\",\"kind\":\"RETURN\",\"values\":[1]}"}}"#,
    r#"{"id":"5","kind":"CALL","methodName":"OPEN_PAGE","data":{"pageKey":"k","page":{"slug":"p"},"environment":"development","user":{"email":"a@b"},"params":{}}}"#,
];

const IO: &[&str] = &[
    r#"{"id":"r","inputGroupKey":"g","toRender":[{"methodName":"INPUT_TEXT","label":"Name","props":{"minLength":2},"isStateful":false,"isOptional":false,"isMultiple":false}],"kind":"RENDER","validationErrorMessage":null}"#,
    r#"{"id":"r","transactionId":"t","inputGroupKey":"g","kind":"RETURN","values":["Ada",{"json":1,"meta":{"values":["bigint"]}}],"valuesMeta":{"values":{"1":["Date"]}}}"#,
];

const LAYOUTS: &[&str] = &[
    r#"{"kind":"BASIC","title":"Users","description":null,"menuItems":[{"label":"New","route":"users/new"}],"children":{"id":"c","inputGroupKey":"g","toRender":[],"kind":"RENDER"},"errors":[]}"#,
    r#"{"schemaVersion":1,"status":"SUCCESS","data":{"a":"9007199254740993"},"meta":{"values":{"a":["bigint"]}}}"#,
];

#[test]
fn frames_never_panic() {
    fuzz(FRAMES, |text| match Frame::parse(text) {
        // What parses also encodes.
        Ok(frame) => !frame.to_text().is_empty(),
        Err(_) => false,
    });
}

/// Decodes `data` as the inputs and the returns of `M`.
fn both<M: Method>(data: &Option<Value>) {
    let _ = M::decode_inputs(data.clone());
    let _ = M::decode_returns(data.clone());
}

#[test]
fn rpc_messages_and_every_method_never_panic() {
    fuzz(RPC, |text| {
        let Ok(message) = serde_json::from_str::<RpcMessage>(text) else {
            return false;
        };
        let data = &message.data;
        both::<host::InitializeHost>(data);
        both::<host::SendIoCall>(data);
        both::<host::SendLoadingCall>(data);
        both::<host::SendLog>(data);
        both::<host::SendRedirect>(data);
        both::<host::MarkTransactionComplete>(data);
        both::<host::SendPage>(data);
        both::<host::BeginHostShutdown>(data);
        both::<host::Notify>(data);
        both::<server::StartTransaction>(data);
        both::<server::IoResponse>(data);
        both::<server::CloseTransaction>(data);
        both::<server::OpenPage>(data);
        both::<server::ClosePage>(data);
        !message.to_text().is_empty()
    });
}

#[test]
fn renders_and_io_responses_never_panic() {
    fuzz(IO, |text| {
        let render = serde_json::from_str::<IoRender>(text).is_ok();
        let response = serde_json::from_str::<IoResponse>(text).map(|response| {
            superjson::decode(Value::Array(response.values), response.values_meta.as_ref())
        });
        render || response.is_ok()
    });
}

#[test]
fn layouts_and_results_never_panic() {
    fuzz(LAYOUTS, |text| {
        let layout = serde_json::from_str::<Layout>(text).is_ok();
        layout | serde_json::from_str::<ActionResult>(text).is_ok()
    });
}

#[test]
fn superjson_never_panics() {
    arbtest::arbtest(|u| {
        let json = value(u, 5)?;
        let meta = Meta {
            values: Some(value(u, 5)?),
            referential_equalities: None,
        };
        let decoded = superjson::decode(json, Some(&meta));
        // Encoding what was decoded never panics either.
        let _ = superjson::encode(decoded);
        Ok(())
    })
    .budget_ms(budget());
}
