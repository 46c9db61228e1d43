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

mod component;
mod display;
mod group;
mod input;
mod render;

use std::sync::Arc;

#[doc(hidden)]
pub use component::Component;
pub use display::{Displays, Heading, Markdown};
pub use group::{Group, GroupMember, GroupMembers};
pub use input::{Boolean, Currency, Inputs, IoCall, Number, Text};
pub use interval_protocol::io::ButtonTheme;

use crate::client::Inner;
use crate::transaction::Transaction;

/// The I/O handle of one transaction. Cheap to clone.
#[derive(Clone)]
pub struct Io {
    pub(crate) inner: Arc<Inner>,
    pub(crate) transaction: Arc<Transaction>,
}

impl std::fmt::Debug for Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io")
            .field("transaction_id", &self.transaction.id)
            .finish_non_exhaustive()
    }
}

impl Io {
    pub(crate) fn new(inner: Arc<Inner>, transaction: Arc<Transaction>) -> Self {
        Io { inner, transaction }
    }

    /// Input methods: text, number, boolean.
    pub fn input(&self) -> Inputs<'_> {
        Inputs { io: self }
    }

    /// Display methods: headings, markdown, tables, ...
    pub fn display(&self) -> Displays<'_> {
        Displays { io: self }
    }

    /// Several I/O calls rendered as one form; resolves to a tuple of their
    /// values (or a `Vec` for a `Vec` of calls of one type).
    pub fn group<M: GroupMembers>(&self, members: M) -> Group<M> {
        Group::new(self.clone(), members)
    }
}
