//! # interval-core
//!
//! The runtime of interval-rs: the [`Interval`] client that speaks the
//! Interval protocol (frames, ACKs, RPC, reconnects), the [`Action`]s it
//! hosts, and the [`Io`] API actions use to ask questions.
//!
//! ```no_run
//! # use interval_core as interval;
//! use interval::{Action, Error, Interval};
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
//!
//! ## Layers
//!
//! Each module imports only from the layers below it (`tests/module_layers.rs`
//! fails on any circle), from the bottom up:
//!
//! 1. **Leaves**: `error`, `log_line`, `future` (`BoxFuture`),
//!    `menu` (`MenuItem`), `outcome` (how a handler ends: `ActionError`,
//!    `ErrorEvent`), `config`, `logging`.
//! 2. **Wire**: `socket` (frames, ACKs, ping), `rpc` (calls and their
//!    answers), `inbox` (where IO responses wait for their call).
//! 3. **Shared connection state**: `state::HostState`, held by everything
//!    above: settings, the RPC layer, the session, the connection status.
//! 4. **What renders**: `transaction` and `page_view` (input groups, loading
//!    state), `target` (either of them), `loading_slot`, `redirect`,
//!    `http_api`.
//! 5. **What handlers use**: `io` (a facade over one module per family;
//!    `io::handle` holds [`Io`], each family adds its entry point to it),
//!    `loading` ([`Loading`]), `ctx` ([`Ctx`]), `page` ([`Layout`],
//!    [`PageCtx`]), then `routes` ([`Action`], [`Page`]).
//! 6. **The host**: `registry` (open transactions and pages), `host` (the
//!    routes it declares, `INITIALIZE_HOST`), `action_run` and `page_run`
//!    (`START_TRANSACTION`, `OPEN_PAGE`), `dispatch` (what the server sends).
//! 7. **The public face**: `client` ([`Interval`], [`IntervalBuilder`], the
//!    reconnecting supervisor).

// The layers, each importing only from those below it (checked by
// `tests/module_layers.rs`); see the crate docs.
mod action_run;
mod backoff;
mod client;
mod config;
mod ctx;
mod dispatch;
#[cfg(feature = "embedded")]
mod embedded;
mod error;
mod future;
mod host;
mod http_api;
mod inbox;
pub mod io;
mod loading;
mod loading_slot;
mod log_line;
mod logging;
mod menu;
mod outcome;
mod page;
mod page_run;
mod page_view;
mod redirect;
mod registry;
mod routes;
mod rpc;
mod socket;
mod state;
mod target;
mod transaction;

pub use client::{Interval, IntervalBuilder};
pub use config::{Config, LogLevel};
pub use ctx::Ctx;
pub use error::{Error, IoError, IoErrorKind, Result};
pub use future::BoxFuture;
pub use host::{SDK_NAME, SDK_VERSION};
pub use http_api::{http_base, Enqueue, Notify, QueuedAction};
pub use interval_protocol::dates::Timestamp;
pub use io::Io;
pub use loading::{Loading, LoadingOptions};
pub use log_line::LogArgs;
pub use menu::MenuItem;
pub use outcome::{ActionError, ErrorEvent, HandlerResult, OnError};
pub use page::{Layout, PageCtx};
pub use redirect::Redirect;
pub use routes::{Action, Page, Route, Routes};

/// The wire protocol types (re-exported for convenience).
pub use interval_protocol as protocol;
pub use interval_protocol::types::{
    AccessControl, ActionRef, DeliveryMethod, Organization, User, UserRole,
};
