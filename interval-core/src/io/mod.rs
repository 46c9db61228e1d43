//! The I/O API: what an action asks the person running it.
//!
//! Every method returns a builder; `.await` it to render the question and
//! get the answer as a Rust value:
//!
//! ```no_run
//! # use interval_core as interval;
//! # async fn f(io: interval::Io) -> Result<(), interval::Error> {
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
mod handle;
mod input;
mod metadata;
pub(crate) mod render;
mod search;
mod select;
mod table;

pub use call::{Choice, Choosable, DisplayKind, Groupable, InputKind, IoCall, WithChoices};
#[doc(hidden)]
pub use component::Component;
pub use confirm::{Credentials, Experimental, Spreadsheet, SpreadsheetType};
pub use display::{Displays, ProgressItem};
pub use display_table::DisplayTable;
pub use grid::{Grid, GridItem, ImageFit};
pub use group::{Group, GroupMember, GroupMembers};
pub use handle::Io;
pub use input::{Currency, Date, DateTime, File, FileRequest, FileUrls, Inputs, Time};
pub use interval_protocol::io::{ButtonTheme, ChoiceButton};
pub use metadata::{MetaItem, MetadataLayout};
pub use search::{Search, SearchResult};
pub use select::{SelectMultiple, SelectOption, SelectSingle, SelectTable, Selects, ToOption};
/// The kinds of I/O calls: empty types that tag an [`IoCall`] with what it
/// asks or shows (`IoCall<kind::Text, String>` is a text input answering a
/// `String`), so that each kind has only its own builder methods. Nothing
/// is made of them; they are only named in types.
pub mod kind {
    pub use crate::io::confirm::{Confirm, ConfirmIdentity, CredentialsKind};
    pub use crate::io::display::{
        Code, DisplayImage, Heading, Html, Link, Markdown, Object, ProgressIndeterminate,
        ProgressSteps, ProgressThroughList, Video,
    };
    pub use crate::io::input::{
        Boolean, DateInput, DateTimeInput, Email, FileInput, Number, RichText, Slider, Text,
        TimeInput, Url,
    };
    pub use crate::io::metadata::Metadata;
}
pub use table::{
    Cell, Column, HighlightColor, Image, ImageSize, SortDirection, TablePage, TableQuery,
};
