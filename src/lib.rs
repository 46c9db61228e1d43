//! # interval-rs
//!
//! Build internal tools in Rust. Write async *actions* that ask questions
//! (`io.input().text("Email").await?`), and a web dashboard renders those
//! questions as forms for the people who run the tool. It speaks the wire
//! protocol of [Interval](https://github.com/interval/server): a host works
//! with Interval's server, and the official Node SDK works with ours.
//!
//! ## A whole tool
//!
//! ```toml
//! [dependencies]
//! interval-rs = "0.1"  # imported as `interval`
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! serde = { version = "1", features = ["derive"] }
//! ```
//!
//! ```no_run
//! use interval::{Action, Error, Interval};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     let refund = Action::new(|io, ctx| async move {
//!         let order = io.input().text("Order number").await?;
//!         let amount = io.input().number("Amount").min(0.0).await?;
//!         if !io.confirm(format!("Refund {amount} on {order}?")).await? {
//!             return Ok("Nothing refunded".to_owned());
//!         }
//!         ctx.log(format!("refunded {order}")).await;
//!         Ok::<_, Error>(format!("Refunded {amount} on {order}"))
//!     })
//!     .name("Refund an order");
//!
//!     // With no INTERVAL_ENDPOINT, `listen` starts the embedded server and
//!     // prints the dashboard's URL.
//!     let interval = Interval::from_env().action("refund", refund).build();
//!     interval.listen().await?;
//!     interval.closed().await;
//!     Ok(())
//! }
//! ```
//!
//! ## Where things are
//!
//! - [`Interval`] and [`Interval::builder`]: the host, its routes, where it
//!   connects.
//! - [`Io`] (the [`io`] module): every question and display, as builders
//!   that are `.await`ed.
//! - [`Ctx`]: who runs the action, its params, logs, loading states,
//!   notifications, redirects.
//! - [`Action`], [`Page`] and [`Layout`]: routes defined in code; the
//!   [`action`] and [`page`] attribute macros for `async fn`s.
//! - Routes as files under `src/routes/`: the
//!   [`interval-build`](https://docs.rs/interval-build) build script makes
//!   the route table, included with [`include_routes!`]. Routes are declared
//!   to the server sorted by slug (the Node SDK declares them in source
//!   order); the dashboard lists them by name.
//!
//! This crate re-exports the runtime, `interval-core`, whose items are all
//! reachable from here: write `interval::…`.
//!
//! ## Features
//!
//! - `embedded` (default): without an endpoint, [`Interval::listen`] starts
//!   the Interval server and its dashboard in this process, so `cargo run`
//!   alone gives a working tool. A host deployed against a server can leave
//!   it out (`default-features = false`): its binary is about half the size
//!   and it idles in about 2 MiB less memory.

pub use interval_core::*;
pub use interval_macros::{action, page};

/// The route table that `interval_build` generated for this crate.
///
/// As an expression of type [`Routes`]:
///
/// ```ignore
/// let interval = interval::Interval::from_env()
///     .routes(interval::include_routes!())
///     .build();
/// ```
///
/// The generated file also declares the route files as modules of this
/// crate, so they are not listed by hand: do not add `mod routes;` yourself,
/// and include the table once per crate.
///
/// The expression form puts those modules inside the calling function, where
/// `#[test]`s are not collected. To unit-test route files in place, include
/// the table as a module instead and call its `routes()`:
///
/// ```ignore
/// interval::include_routes!(mod routes);
///
/// let interval = interval::Interval::from_env().routes(routes::routes()).build();
/// ```
///
/// A file name set with `interval_build::Config::file_name` goes last:
/// `include_routes!("admin_routes.rs")`, `include_routes!(mod admin, "admin_routes.rs")`.
#[macro_export]
macro_rules! include_routes {
    () => {
        $crate::include_routes!("interval_routes.rs")
    };
    ($file:literal) => {{
        $crate::include_routes!(mod __interval_included_routes, $file);
        __interval_included_routes::routes()
    }};
    ($vis:vis mod $name:ident) => {
        $crate::include_routes!($vis mod $name, "interval_routes.rs");
    };
    ($vis:vis mod $name:ident, $file:literal) => {
        $vis mod $name {
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }
    };
}

/// Support for the code that `#[action]`, `#[page]` and `interval-build`
/// generate. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use ::core::convert::Infallible;
    pub use ::core::result::Result::Ok;

    /// The name the Node SDK derives from a directory (see
    /// `interval::protocol::slug::name_from_slug`).
    pub use interval_core::protocol::slug::name_from_slug as slug_to_name;
}
