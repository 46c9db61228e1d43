//! The Interval wire protocol, defined once and shared by the interval-rs host
//! runtime (`interval-core`) and the embedded server (`interval-server`).
//!
//! Three layers of JSON travel on the socket (see `PROTOCOL.md` §11.1):
//!
//! 1. a [`Frame`] (`MESSAGE` or `ACK`) per WebSocket text frame;
//! 2. inside a `MESSAGE`, a JSON *string* holding an [`RpcMessage`] (`CALL` or
//!    `RESPONSE`);
//! 3. inside some method fields (`ioCall`, `value`, `page`, `result`), JSON
//!    strings again: [`io::IoRender`], [`io::IoResponse`], [`layout::Layout`],
//!    [`result::ActionResult`].
//!
//! Every RPC method is a type implementing [`Method`], which names it and ties
//! it to its inputs and return types. Unknown keys in incoming messages are
//! ignored, as the official SDK and server do.

pub mod browser;
pub mod dates;
pub mod frame;
pub mod host;
pub mod http;
pub mod id;
pub mod io;
pub mod layout;
pub mod result;
pub mod rpc;
pub mod server;
pub mod slug;
pub mod superjson;
pub mod types;

pub use frame::Frame;
pub use id::new_id;
pub use rpc::{Method, RpcKind, RpcMessage};
