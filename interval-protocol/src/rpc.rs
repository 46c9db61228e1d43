//! The RPC layer ("DuplexRPCClient", §1.7): CALL and RESPONSE messages carried
//! as JSON strings inside `MESSAGE` frames.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether an [`RpcMessage`] calls a method or answers a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RpcKind {
    /// A method call; the receiver answers with a `RESPONSE` of the same id.
    Call,
    /// The answer to one of the receiver's own outstanding calls.
    Response,
}

/// One RPC message. Ids are chosen by the caller and are independent per
/// direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcMessage {
    /// The caller's id for this call (a decimal counter in the official SDKs).
    pub id: String,
    /// CALL or RESPONSE.
    pub kind: RpcKind,
    /// The method called; a RESPONSE repeats it.
    pub method_name: String,
    /// The inputs (CALL) or the return value (RESPONSE); absent for void.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcMessage {
    /// A CALL of method `M`.
    pub fn call<M: Method>(id: String, inputs: &M::Inputs) -> Result<Self, serde_json::Error> {
        Ok(RpcMessage {
            id,
            kind: RpcKind::Call,
            method_name: M::NAME.to_owned(),
            data: Some(serde_json::to_value(inputs)?),
        })
    }

    /// The text of a CALL of method `M` (what [`RpcMessage::call`] then
    /// [`RpcMessage::to_text`] give), written straight from `inputs`
    /// without building a JSON tree first.
    pub fn call_text<M: Method>(id: &str, inputs: &M::Inputs) -> Result<String, serde_json::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Call<'a, T> {
            id: &'a str,
            kind: RpcKind,
            method_name: &'static str,
            data: &'a T,
        }
        serde_json::to_string(&Call {
            id,
            kind: RpcKind::Call,
            method_name: M::NAME,
            data: inputs,
        })
    }

    /// The RESPONSE to call `id` of `method_name`; a JSON `null` return value
    /// is sent as an absent `data`, as void methods are.
    pub fn response(id: String, method_name: String, data: Value) -> Self {
        RpcMessage {
            id,
            kind: RpcKind::Response,
            method_name,
            data: (!data.is_null()).then_some(data),
        }
    }

    /// Encodes the message as the `data` string of a `MESSAGE` frame.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("an RPC message always serializes")
    }
}

/// An RPC method: its wire name, its inputs and its return value.
///
/// Each method of the protocol is a unit type implementing this trait, in
/// [`host`](crate::host) (host → server), [`server`](crate::server)
/// (server → host) and [`browser`](crate::browser) (browser ⇄ server).
pub trait Method {
    /// The wire name, e.g. `"INITIALIZE_HOST"`.
    const NAME: &'static str;
    /// The `data` of the CALL.
    type Inputs: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// The `data` of the RESPONSE (`()` for void methods).
    type Returns: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// Decodes a CALL's data (absent data reads as JSON `null`).
    fn decode_inputs(data: Option<Value>) -> Result<Self::Inputs, serde_json::Error> {
        serde_json::from_value(data.unwrap_or(Value::Null))
    }

    /// Decodes a RESPONSE's data (absent data reads as JSON `null`).
    fn decode_returns(data: Option<Value>) -> Result<Self::Returns, serde_json::Error> {
        serde_json::from_value(data.unwrap_or(Value::Null))
    }
}

/// Declares unit types implementing [`Method`].
macro_rules! methods {
    ($( $(#[$doc:meta])* $ty:ident = $name:literal : $inputs:ty => $returns:ty; )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub struct $ty;
            impl $crate::rpc::Method for $ty {
                const NAME: &'static str = $name;
                type Inputs = $inputs;
                type Returns = $returns;
            }
        )*
    };
}
pub(crate) use methods;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_text_is_the_text_of_the_call() {
        use crate::host::{SendLog, SendLogInputs};
        let inputs = SendLogInputs {
            transaction_id: "t1".into(),
            data: "a \"quoted\" line".into(),
            index: Some(3),
            timestamp: None,
            skip_client_call: None,
        };
        let via_value = RpcMessage::call::<SendLog>("7".into(), &inputs)
            .unwrap()
            .to_text();
        assert_eq!(
            RpcMessage::call_text::<SendLog>("7", &inputs).unwrap(),
            via_value
        );
    }

    #[test]
    fn void_response_omits_data() {
        let r = RpcMessage::response("12".into(), "START_TRANSACTION".into(), Value::Null);
        assert_eq!(
            r.to_text(),
            r#"{"id":"12","kind":"RESPONSE","methodName":"START_TRANSACTION"}"#
        );
        let parsed: RpcMessage = serde_json::from_str(&r.to_text()).unwrap();
        assert_eq!(parsed.data, None);
    }
}
