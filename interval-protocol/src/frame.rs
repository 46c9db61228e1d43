//! The ISocket frame layer: one JSON object per WebSocket text frame (§1.3).

use serde::{Deserialize, Serialize};

/// The control word a server sends (as a bare `MESSAGE` payload) once a
/// connection is authenticated.
pub const AUTHENTICATED: &str = "authenticated";

/// A liveness probe sent as a `MESSAGE` payload where WebSocket ping frames
/// are unavailable. Receivers only ACK it.
pub const PING: &str = "ping";

/// One WebSocket text frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Frame {
    /// A payload that the receiver must acknowledge at once.
    #[serde(rename = "MESSAGE")]
    Message {
        /// A fresh UUID v4 chosen by the sender.
        id: String,
        /// A control word or a JSON-encoded [`RpcMessage`](crate::RpcMessage).
        data: String,
    },
    /// Acknowledges the `MESSAGE` with this id.
    #[serde(rename = "ACK")]
    Ack {
        /// The id of the acknowledged message.
        id: String,
    },
}

impl Frame {
    /// A new `MESSAGE` frame with a fresh UUID v4 id.
    pub fn message(data: impl Into<String>) -> Self {
        Frame::Message {
            id: crate::new_id().to_string(),
            data: data.into(),
        }
    }

    /// The ACK of the message with `id`.
    pub fn ack(id: impl Into<String>) -> Self {
        Frame::Ack { id: id.into() }
    }

    /// Encodes the frame as the text of a WebSocket frame.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("a frame always serializes")
    }

    /// Parses the text of a WebSocket frame.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_and_ack_round_trip() {
        let m = Frame::Message {
            id: "a".into(),
            data: "authenticated".into(),
        };
        assert_eq!(
            m.to_text(),
            r#"{"type":"MESSAGE","id":"a","data":"authenticated"}"#
        );
        assert_eq!(Frame::parse(&m.to_text()).unwrap(), m);
        // Python sends `"data": null` on ACKs; Node omits it.
        assert_eq!(
            Frame::parse(r#"{"type":"ACK","id":"b","data":null}"#).unwrap(),
            Frame::ack("b")
        );
    }

    #[test]
    fn rejects_frames_without_type_or_id() {
        assert!(Frame::parse(r#"{"id":"a","data":"x"}"#).is_err());
        assert!(Frame::parse(r#"{"type":"MESSAGE","data":"x"}"#).is_err());
        assert!(Frame::parse("not json").is_err());
    }
}
