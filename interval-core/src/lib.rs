//! # interval-core
//!
//! The runtime of interval-rs: the [`Interval`] client that speaks the
//! Interval protocol (frames, ACKs, RPC, reconnects), the [`Action`]s it
//! hosts, and the [`Io`] API actions use to ask questions.
//!
//! ```no_run
//! use interval_core::{Action, Error, Interval};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     let interval = Interval::from_env()
//!         .action("greet", Action::new(|io, _ctx| async move {
//!             let (name, age) = io
//!                 .group((io.input().text("Name"), io.input().number("Age").min(0.0)))
//!                 .await?;
//!             Ok::<_, Error>(format!("{name} is {age}"))
//!         }))
//!         .build();
//!     interval.listen().await?;
//!     interval.closed().await;
//!     Ok(())
//! }
//! ```

mod client;
mod config;
mod ctx;
mod dispatch;
mod error;
mod http_api;
mod inbox;
pub mod io;
mod log_line;
mod logging;
mod page;
mod routes;
mod rpc;
mod socket;
mod timestamp;
mod transaction;

pub use client::{Interval, IntervalBuilder, SDK_NAME, SDK_VERSION};
pub use config::{Config, LogLevel};
pub use ctx::{Ctx, Loading, LoadingOptions, Redirect};
pub use error::{Error, IoError, IoErrorKind, Result};
pub use http_api::{http_base, Enqueue, Notify, QueuedAction};
pub use io::Io;
pub use log_line::LogArgs;
pub use page::{Layout, MenuItem, PageCtx};
pub use routes::{
    Action, ActionError, BoxFuture, ErrorEvent, HandlerResult, OnError, Page, Route, Routes,
};
pub use timestamp::Timestamp;

/// The wire protocol types (re-exported for convenience).
pub use interval_protocol as protocol;
pub use interval_protocol::types::{
    AccessControl, ActionRef, DeliveryMethod, Organization, User, UserRole,
};
