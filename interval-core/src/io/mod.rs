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
pub use confirm::{
    Confirm, ConfirmIdentity, Credentials, CredentialsKind, Experimental, Spreadsheet,
    SpreadsheetType,
};
pub use display::{
    Code, DisplayImage, Displays, Heading, Html, Link, Markdown, Object, ProgressIndeterminate,
    ProgressItem, ProgressSteps, ProgressThroughList, Video,
};
pub use display_table::DisplayTable;
pub use grid::{Grid, GridItem, ImageFit};
pub use group::{Group, GroupMember, GroupMembers};
pub use handle::Io;
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
