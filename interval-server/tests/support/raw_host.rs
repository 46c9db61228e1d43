//! A host speaking the raw frame and RPC layers, for scenarios the official
//! SDK cannot be steered into (a drop at a chosen moment, malformed frames,
//! floods).

use std::collections::VecDeque;

use futures_util::{SinkExt, StreamExt};
use interval_protocol::frame::Frame;
use interval_protocol::host::{InitializeHost, InitializeHostInputs, InitializeHostReturns};
use interval_protocol::types::ActionDefinition;
use interval_protocol::{Method, RpcKind, RpcMessage};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::WAIT;

/// A raw host connection.
pub struct RawHost {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    calls: VecDeque<RpcMessage>,
}

/// How a connection ended.
#[derive(Debug)]
pub struct Closed {
    pub code: Option<u16>,
    pub reason: String,
}

impl RawHost {
    /// Connects with these headers; does not wait for `"authenticated"`.
    pub async fn connect(endpoint: &str, key: Option<&str>, instance_id: &str) -> RawHost {
        let mut request = endpoint.into_client_request().unwrap();
        if let Some(key) = key {
            request
                .headers_mut()
                .insert("x-api-key", key.parse().unwrap());
        }
        request
            .headers_mut()
            .insert("x-instance-id", instance_id.parse().unwrap());
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("connects");
        RawHost {
            socket,
            next_id: 1,
            calls: VecDeque::new(),
        }
    }

    /// A host on a socket already open (over TLS, say); does not wait for
    /// `"authenticated"`.
    pub fn over(socket: WebSocketStream<MaybeTlsStream<TcpStream>>) -> RawHost {
        RawHost {
            socket,
            next_id: 1,
            calls: VecDeque::new(),
        }
    }

    /// Connects, authenticates and declares `actions`.
    pub async fn initialized(
        endpoint: &str,
        key: &str,
        instance_id: &str,
        actions: &[&str],
    ) -> RawHost {
        let actions = actions
            .iter()
            .map(|slug| ActionDefinition {
                slug: (*slug).into(),
                ..Default::default()
            })
            .collect();
        RawHost::declaring(endpoint, key, instance_id, actions).await
    }

    /// Connects, authenticates and declares these action definitions.
    pub async fn declaring(
        endpoint: &str,
        key: &str,
        instance_id: &str,
        actions: Vec<ActionDefinition>,
    ) -> RawHost {
        let mut host = RawHost::connect(endpoint, Some(key), instance_id).await;
        let inputs = InitializeHostInputs {
            actions,
            sdk_name: Some("@interval/sdk".into()),
            sdk_version: Some("2.1.0".into()),
            ..Default::default()
        };
        let reply = host.call::<InitializeHost>(&inputs).await;
        assert!(
            matches!(reply, Some(InitializeHostReturns::Success { .. })),
            "{reply:?}"
        );
        host
    }

    /// Reads until a MESSAGE carrying an RPC message (ACKing it), or the close.
    async fn read(&mut self) -> Result<RpcMessage, Closed> {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("the server sent nothing");
            match message {
                Some(Ok(Message::Text(text))) => {
                    let Ok(Frame::Message { id, data }) = Frame::parse(text.as_str()) else {
                        continue;
                    };
                    self.send_text(Frame::ack(id).to_text()).await;
                    if let Ok(rpc) = serde_json::from_str::<RpcMessage>(&data) {
                        return Ok(rpc);
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(Closed {
                        code: frame.as_ref().map(|f| f.code.into()),
                        reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                    })
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    return Err(Closed {
                        code: None,
                        reason: e.to_string(),
                    })
                }
                None => {
                    return Err(Closed {
                        code: None,
                        reason: "closed".into(),
                    })
                }
            }
        }
    }

    /// Waits for the server to close the connection.
    pub async fn closed(&mut self) -> Closed {
        loop {
            if let Err(closed) = self.read().await {
                return closed;
            }
        }
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: String) {
        let _ = self.socket.send(Message::text(text)).await;
    }

    /// Sends a CALL without waiting; returns its id.
    pub async fn call_no_wait<M: Method>(&mut self, inputs: &M::Inputs) -> String {
        let id = self.next_id.to_string();
        self.next_id += 1;
        let message = RpcMessage::call::<M>(id.clone(), inputs).unwrap();
        self.send_text(Frame::message(message.to_text()).to_text())
            .await;
        id
    }

    /// Calls `M` and waits for the answer (server CALLs are kept for later).
    pub async fn call<M: Method>(&mut self, inputs: &M::Inputs) -> M::Returns {
        let id = self.call_no_wait::<M>(inputs).await;
        loop {
            let message = self.read().await.expect("connection closed");
            match message.kind {
                RpcKind::Response if message.id == id => {
                    return M::decode_returns(message.data).unwrap()
                }
                RpcKind::Response => continue,
                RpcKind::Call => self.calls.push_back(message),
            }
        }
    }

    /// The next CALL from the server, which must be `M`.
    pub async fn expect<M: Method>(&mut self) -> (RpcMessage, M::Inputs) {
        let message = match self.calls.pop_front() {
            Some(message) => message,
            None => loop {
                let message = self.read().await.expect("connection closed");
                if message.kind == RpcKind::Call {
                    break message;
                }
            },
        };
        assert_eq!(message.method_name, M::NAME, "{message:?}");
        let inputs = M::decode_inputs(message.data.clone()).unwrap();
        (message, inputs)
    }

    /// Answers a server CALL.
    pub async fn respond(&mut self, call: &RpcMessage, data: serde_json::Value) {
        let message = RpcMessage::response(call.id.clone(), call.method_name.clone(), data);
        self.send_text(Frame::message(message.to_text()).to_text())
            .await;
    }

    /// Drops the TCP connection without a close frame.
    pub fn drop_connection(self) {
        drop(self.socket);
    }

    /// Closes politely.
    pub async fn close(mut self) {
        let _ = self
            .socket
            .close(Some(CloseFrame {
                code: 1000u16.into(),
                reason: "bye".into(),
            }))
            .await;
    }
}
