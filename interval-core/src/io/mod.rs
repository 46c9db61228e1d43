//! The I/O API: what an action asks the person running it.
//!
//! Every method returns a builder; `.await` it to render the question and
//! get the answer as a Rust value:
//!
//! ```no_run
//! # async fn f(io: interval_core::Io) -> Result<(), interval_core::Error> {
//! let age = io.input().number("Age").min(0.0).max(130.0).await?;
//! let (name, subscribed) = io
//!     .group((io.input().text("Name"), io.input().boolean("Subscribe?")))
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Families: [`Io::input`], [`Io::select`], [`Io::search`], [`Io::confirm`],
//! [`Io::confirm_identity`], [`Io::display`], [`Io::experimental`] and
//! [`Io::group`].

mod call;
mod component;
mod confirm;
mod display;
mod display_table;
mod grid;
mod group;
mod input;
mod metadata;
pub(crate) mod render;
mod search;
mod select;
mod table;

use std::future::{ready, Future};
use std::sync::Arc;

use futures_util::future::Either;

use interval_protocol::host::{SendIoCall, SendIoCallInputs};
use interval_protocol::io::IoRender;
use uuid::Uuid;

pub use call::{Choice, DisplayKind, Groupable, InputKind, IoCall, WithChoices};
#[doc(hidden)]
pub use component::Component;
pub use confirm::{
    Confirm, ConfirmIdentity, Credentials, CredentialsKind, Experimental, Spreadsheet,
    SpreadsheetType,
};
pub use display::{
    Code, DisplayImage, Displays, Grid, Heading, Html, Link, Markdown, Object,
    ProgressIndeterminate, ProgressItem, ProgressSteps, ProgressThroughList, Video,
};
pub use display_table::DisplayTable;
pub use grid::GridItem;
pub use group::{Group, GroupMember, GroupMembers};
pub use input::{
    Boolean, Currency, Date, DateInput, DateTime, DateTimeInput, Email, File, FileInput,
    FileRequest, FileUrls, Inputs, Number, RichText, Slider, Text, Time, TimeInput, Url,
};
pub use interval_protocol::io::{ButtonTheme, ChoiceButton};
pub use metadata::{MetaItem, Metadata, MetadataLayout};
pub use search::{Search, SearchResult};
pub use select::{SelectMultiple, SelectOption, SelectSingle, SelectTable, Selects, ToOption};
pub use table::{
    Cell, Column, HighlightColor, Image, ImageSize, SortDirection, TablePage, TableQuery,
};

use crate::client::Inner;
use crate::ctx::LoadingSlot;
use crate::error::{Error, IoError, IoErrorKind, Result};
use crate::inbox::Inbox;
use crate::page::PageView;
use crate::transaction::Transaction;

/// Where the renders of an [`Io`] go.
#[derive(Clone)]
pub(crate) enum Target {
    /// `SEND_IO_CALL` for a transaction.
    Transaction(Arc<Transaction>),
    /// The `children` of a page's layout, sent with `SEND_PAGE`.
    Page(Arc<PageView>),
}

impl Target {
    fn is_canceled(&self) -> bool {
        match self {
            Target::Transaction(t) => t.is_canceled(),
            Target::Page(p) => p.is_closed(),
        }
    }

    fn append_ui(&self) -> bool {
        match self {
            Target::Transaction(t) => t.append_ui,
            Target::Page(_) => false,
        }
    }

    /// Runs `f` on the loading state of the transaction or page.
    pub(crate) fn with_loading<T>(&self, f: impl FnOnce(&mut LoadingSlot) -> T) -> T {
        match self {
            Target::Transaction(t) => t.with_loading(f),
            Target::Page(p) => p.with_loading(f),
        }
    }

    fn open_group(&self, key: Uuid) -> Arc<Inbox> {
        match self {
            Target::Transaction(t) => t.open_group(key),
            Target::Page(p) => p.open_group(key),
        }
    }

    /// Sends one render; `settled` when no call will wait on it. For a
    /// transaction, while disconnected the render is sent again after the
    /// reconnect (by the waiting call, or the replay of a settled render).
    /// (Not an `async fn`: the render is encoded and dropped before the
    /// future that waits for the server's answer is made.)
    fn send<'a>(
        &'a self,
        inner: &'a Arc<Inner>,
        render: IoRender,
        settled: bool,
    ) -> impl Future<Output = Result<()>> + 'a {
        let transaction = match self {
            Target::Page(page) => {
                page.set_children(inner, render);
                return Either::Left(ready(Ok(())));
            }
            Target::Transaction(transaction) => transaction,
        };
        let io_call = serde_json::to_string(&render).expect("a render serializes");
        drop(render);
        transaction.rendered(settled.then(|| io_call.clone()));
        let inputs = SendIoCallInputs {
            transaction_id: transaction.id.to_string(),
            io_call,
            skip_client_call: None,
        };
        Either::Right(async move {
            match inner.rpc.call::<SendIoCall>(&inputs).await {
                Ok(reply) => match reply.refusal() {
                    None => Ok(()),
                    Some(message) => Err(IoError::new(IoErrorKind::RenderError, message).into()),
                },
                Err(Error::NotConnected) if !inner.is_closed() => {
                    tracing::debug!("Not connected: the IO call will be sent after reconnecting");
                    Ok(())
                }
                Err(e) => Err(e),
            }
        })
    }
}

/// The I/O handle of one transaction (or of one page view, where it builds
/// the layout's display components). Cheap to clone.
#[derive(Clone)]
pub struct Io {
    pub(crate) inner: Arc<Inner>,
    pub(crate) target: Target,
}

impl std::fmt::Debug for Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = match &self.target {
            Target::Transaction(t) => &*t.id,
            Target::Page(p) => p.key.as_str(),
        };
        f.debug_struct("Io")
            .field("id", &id)
            .finish_non_exhaustive()
    }
}

impl Io {
    pub(crate) fn new(inner: Arc<Inner>, target: Target) -> Self {
        Io { inner, target }
    }

    /// Input methods: text, email, number, slider, boolean, rich text, URL,
    /// date, time, date and time, file.
    pub fn input(&self) -> Inputs<'_> {
        Inputs { io: self }
    }

    /// Select methods: one option, several options, rows of a table.
    pub fn select(&self) -> Selects<'_> {
        Selects { io: self }
    }

    /// Display methods: headings, markdown, tables, images, ...
    pub fn display(&self) -> Displays<'_> {
        Displays { io: self }
    }

    /// Experimental methods: spreadsheet, credentials.
    pub fn experimental(&self) -> Experimental<'_> {
        Experimental { io: self }
    }

    /// Several I/O calls rendered as one form; resolves to a tuple of their
    /// values (or a `Vec` for a `Vec` of calls of one type).
    pub fn group<M: GroupMembers>(&self, members: M) -> Group<M> {
        Group::new(self.clone(), members)
    }
}
