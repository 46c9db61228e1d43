//! Display methods (§4.3): show something; resolve to `()`.

use std::marker::PhantomData;

use super::component::Field;
use super::input::IoCall;
use super::Io;

/// Marker of `io.display().heading` (`DISPLAY_HEADING`).
#[derive(Debug)]
pub enum Heading {}
/// Marker of `io.display().markdown` (`DISPLAY_MARKDOWN`).
#[derive(Debug)]
pub enum Markdown {}

/// The display methods, from [`Io::display`].
#[derive(Debug)]
pub struct Displays<'a> {
    pub(super) io: &'a Io,
}

impl Displays<'_> {
    fn call<K>(&self, method_name: &'static str, label: impl Into<String>) -> IoCall<K, ()> {
        let mut field = Field::new(method_name, label.into());
        field.display = true;
        IoCall {
            io: self.io.clone(),
            field,
            kind: PhantomData,
        }
    }

    /// A heading (level 2 by default).
    pub fn heading(&self, text: impl Into<String>) -> IoCall<Heading, ()> {
        self.call("DISPLAY_HEADING", text)
    }

    /// Markdown text.
    pub fn markdown(&self, markdown: impl Into<String>) -> IoCall<Markdown, ()> {
        self.call("DISPLAY_MARKDOWN", markdown)
    }
}
