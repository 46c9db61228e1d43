//! `#[action]` and `#[page]`: attribute macros that turn an `async fn` into
//! an interval-rs route. Use them through the `interval` crate
//! (`use interval::{action, page};`).
//!
//! # What they generate
//!
//! For `#[action] async fn refund(io: Io, ctx: Ctx) -> Result<T, E> { .. }`:
//!
//! * `fn refund() -> ::interval::Action`, with the annotated fn's visibility
//!   and doc comment, so inline routes read `.action("refund", refund())`.
//!   It calls the companion below, whose body holds the handler (the
//!   annotated fn, moved inside unchanged) and builds the action with its
//!   metadata.
//! * a hidden companion `pub(crate) fn __interval_action_refund() ->
//!   ::interval::Action` (`pub` if the annotated fn is), which holds the
//!   handler and which the route table of `interval-build` calls: it is
//!   reachable from the crate root whatever the annotated fn's visibility.
//!
//! For `#[page] async fn users(display: Io, ctx: PageCtx) -> Result<Layout, E>`:
//!
//! * `fn users() -> ::interval::Page` (name derived from `users` unless
//!   given), and
//! * a hidden `pub(crate) fn __interval_page_users(slug: &str) ->
//!   ::interval::Page`: without a `name` attribute the page is named after
//!   `slug` as the Node SDK names directories (`userSettings` → `User
//!   settings`); `interval-build` passes the directory's slug.
//!
//! Generated code names the runtime by absolute paths (`::interval::..`) and
//! its own items with a `__interval_` prefix.
//!
//! # Modules
//!
//! `attr` parses the attribute, `handler` parses the function, `check`
//! validates both, `codegen` writes the expansion. Errors are collected in
//! a `ctxt::Ctxt` and reported together; on errors the function is still
//! expanded as closely as possible so that rust-analyzer keeps working.

extern crate proc_macro;

mod attr;
mod check;
mod codegen;
mod ctxt;
mod handler;

use proc_macro::TokenStream;

/// What a macro turns the function into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Action,
    Page,
}

impl Kind {
    /// The attribute's spelling, for messages.
    fn attr(self) -> &'static str {
        match self {
            Kind::Action => "`#[action]`",
            Kind::Page => "`#[page]`",
        }
    }
}

/// Turns an `async fn` into an action: `fn <name>() -> interval::Action`.
///
/// ```ignore
/// use interval::{action, Ctx, Error, Io};
///
/// /// Refunds an order (this doc comment is the description).
/// #[action(name = "Refund", backgroundable, access(teams = ["support"]))]
/// async fn refund(io: Io, ctx: Ctx) -> Result<String, Error> {
///     let order = io.input().text("Order id").await?;
///     Ok(format!("refunded {order} for {}", ctx.user().email))
/// }
/// ```
///
/// Keys: `name = "..."`, `description = "..."`, `backgroundable`,
/// `unlisted`, `warn_on_close = false` (flags take `= true`/`= false`), and
/// `access(teams = ["..."])` or `access(entire_organization)`. The handler
/// takes `Io` and/or `Ctx` in any order (or nothing) and returns anything
/// `Serialize`, or a `Result` of it.
#[proc_macro_attribute]
pub fn action(attr: TokenStream, item: TokenStream) -> TokenStream {
    codegen::expand(Kind::Action, attr.into(), item.into()).into()
}

/// Turns an `async fn` into a page with a handler: `fn <name>() ->
/// interval::Page`.
///
/// ```ignore
/// use interval::{page, Io, Layout, PageCtx};
///
/// /// Everyone who has an account.
/// #[page(name = "Users")]
/// async fn users(display: Io, ctx: PageCtx) -> Layout {
///     Layout::new().title("Users")
/// }
/// ```
///
/// Keys: `name`, `description`, `unlisted`, `access(..)` as for
/// [`macro@action`]. The handler takes `Io` and/or `PageCtx` in any order
/// and returns a `Layout` or a `Result<Layout, E>`.
#[proc_macro_attribute]
pub fn page(attr: TokenStream, item: TokenStream) -> TokenStream {
    codegen::expand(Kind::Page, attr.into(), item.into()).into()
}
