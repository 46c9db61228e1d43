//! Display methods (§4.3): show something; resolve to `()` (at once in
//! append-UI transactions, on submit otherwise).

use std::any::Any;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use interval_protocol::io::ButtonTheme;
use serde::Serialize;
use serde_json::{json, Value};

use super::call::{kinds, IoCall};
use super::component::{Behavior, Nothing, Props};
use super::handle::Io;
use super::table::ImageSize;
use crate::menu::MenuItem;

kinds! {
    /// Marker of `io.display().code` (`DISPLAY_CODE`).
    pub enum Code: Groupable, DisplayKind;
    /// Marker of `io.display().heading` (`DISPLAY_HEADING`).
    pub enum Heading: Groupable, DisplayKind;
    /// Marker of `io.display().markdown` (`DISPLAY_MARKDOWN`).
    pub enum Markdown: Groupable, DisplayKind;
    /// Marker of `io.display().html` (`DISPLAY_HTML`).
    pub enum Html: Groupable, DisplayKind;
    /// Marker of `io.display().image` (`DISPLAY_IMAGE`).
    pub enum DisplayImage: Groupable, DisplayKind;
    /// Marker of `io.display().link` (`DISPLAY_LINK`).
    pub enum Link: Groupable, DisplayKind;
    /// Marker of `io.display().object` (`DISPLAY_OBJECT`).
    pub enum Object: Groupable, DisplayKind;
    /// Marker of `io.display().video` (`DISPLAY_VIDEO`).
    pub enum Video: Groupable, DisplayKind;
    /// Marker of `io.display().progress_steps` (`DISPLAY_PROGRESS_STEPS`).
    pub enum ProgressSteps: Groupable, DisplayKind;
    /// Marker of `io.display().progress_indeterminate` (`DISPLAY_PROGRESS_INDETERMINATE`).
    pub enum ProgressIndeterminate: Groupable, DisplayKind;
    /// Marker of `io.display().progress_through_list` (`DISPLAY_PROGRESS_THROUGH_LIST`).
    pub enum ProgressThroughList: Groupable, DisplayKind;
}

/// The largest image or video sent inline (the Node SDK's limit).
const MAX_INLINE_BYTES: usize = 50_000_000;

/// The display methods, from [`Io::display`].
#[derive(Debug)]
pub struct Displays<'a> {
    pub(super) io: &'a Io,
}

impl Displays<'_> {
    fn call<K>(&self, method_name: &'static str, label: impl Into<String>) -> IoCall<K, ()> {
        self.with(method_name, label, Nothing)
    }

    pub(super) fn with<K>(
        &self,
        method_name: &'static str,
        label: impl Into<String>,
        behavior: impl Behavior<()>,
    ) -> IoCall<K, ()> {
        let mut call = IoCall::new(self.io, method_name, label, behavior);
        call.field.display = true;
        call
    }

    /// A block of source code.
    pub fn code(&self, label: impl Into<String>, code: impl Into<String>) -> IoCall<Code, ()> {
        self.call("DISPLAY_CODE", label).prop("code", code.into())
    }

    /// A heading (level 2 by default).
    pub fn heading(&self, text: impl Into<String>) -> IoCall<Heading, ()> {
        self.call("DISPLAY_HEADING", text)
    }

    /// Markdown text.
    pub fn markdown(&self, markdown: impl Into<String>) -> IoCall<Markdown, ()> {
        self.call("DISPLAY_MARKDOWN", markdown)
    }

    /// HTML (sanitized by the dashboard).
    pub fn html(&self, label: impl Into<String>, html: impl Into<String>) -> IoCall<Html, ()> {
        self.call("DISPLAY_HTML", label).prop("html", html.into())
    }

    /// The image at `url`.
    pub fn image(
        &self,
        label: impl Into<String>,
        url: impl Into<String>,
    ) -> IoCall<DisplayImage, ()> {
        self.call("DISPLAY_IMAGE", label).prop("url", url.into())
    }

    /// An image sent inline (a data URL; PNG, GIF, JPEG or WebP; at most
    /// 50 MB).
    pub fn image_bytes(&self, label: impl Into<String>, bytes: &[u8]) -> IoCall<DisplayImage, ()> {
        let mut call = self.call("DISPLAY_IMAGE", label);
        match data_url(bytes, image_mime) {
            Ok(url) => call.field.set("url", url),
            Err(e) => call.field.error = Some(e),
        }
        call
    }

    /// A link; set its target with `.url(..)` or `.route(..)`.
    pub fn link(&self, label: impl Into<String>) -> IoCall<Link, ()> {
        self.with("DISPLAY_LINK", label, LinkCheck)
    }

    /// Any value, shown as a tree.
    pub fn object(&self, label: impl Into<String>, data: impl Serialize) -> IoCall<Object, ()> {
        self.call("DISPLAY_OBJECT", label).prop("data", data)
    }

    /// The video at `url`.
    pub fn video(&self, label: impl Into<String>, url: impl Into<String>) -> IoCall<Video, ()> {
        self.call("DISPLAY_VIDEO", label).prop("url", url.into())
    }

    /// A video sent inline (a data URL; at most 50 MB).
    pub fn video_bytes(&self, label: impl Into<String>, bytes: &[u8]) -> IoCall<Video, ()> {
        let mut call = self.call("DISPLAY_VIDEO", label);
        match data_url(bytes, video_mime) {
            Ok(url) => call.field.set("url", url),
            Err(e) => call.field.error = Some(e),
        }
        call
    }

    /// Progress through numbered steps (resolves at once, in every mode).
    pub fn progress_steps(
        &self,
        label: impl Into<String>,
        completed: u32,
        total: u32,
    ) -> IoCall<ProgressSteps, ()> {
        let mut call = self
            .call("DISPLAY_PROGRESS_STEPS", label)
            .prop("steps", json!({"completed": completed, "total": total}));
        call.field.immediate = true;
        call
    }

    /// A spinner (resolves at once, in every mode).
    pub fn progress_indeterminate(
        &self,
        label: impl Into<String>,
    ) -> IoCall<ProgressIndeterminate, ()> {
        let mut call = self.call("DISPLAY_PROGRESS_INDETERMINATE", label);
        call.field.immediate = true;
        call
    }

    /// Progress through a list of items.
    pub fn progress_through_list(
        &self,
        label: impl Into<String>,
        items: impl IntoIterator<Item = ProgressItem>,
    ) -> IoCall<ProgressThroughList, ()> {
        let items: Vec<ProgressItem> = items.into_iter().collect();
        self.call("DISPLAY_PROGRESS_THROUGH_LIST", label)
            .prop("items", items)
    }
}

impl<O: Send + 'static> IoCall<Code, O> {
    /// The language, for highlighting.
    pub fn language(self, language: impl Into<String>) -> Self {
        self.prop("language", language.into())
    }
}

impl<O: Send + 'static> IoCall<Heading, O> {
    /// The level: 2, 3 or 4 (others are clamped).
    pub fn level(self, level: u8) -> Self {
        self.prop("level", level.clamp(2, 4))
    }

    /// A description under the heading.
    pub fn description(self, text: impl Into<String>) -> Self {
        self.prop("description", text.into())
    }

    /// A button next to the heading.
    pub fn menu_item(mut self, item: MenuItem) -> Self {
        let items = self
            .field
            .props
            .entry("menuItems")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = items {
            items.push(item.to_value());
        }
        self
    }
}

impl<O: Send + 'static> IoCall<DisplayImage, O> {
    /// Alternative text.
    pub fn alt(self, alt: impl Into<String>) -> Self {
        self.prop("alt", alt.into())
    }

    /// Width and height.
    pub fn size(self, size: ImageSize) -> Self {
        self.prop("width", size).prop("height", size)
    }

    /// The width.
    pub fn width(self, size: ImageSize) -> Self {
        self.prop("width", size)
    }

    /// The height.
    pub fn height(self, size: ImageSize) -> Self {
        self.prop("height", size)
    }
}

impl<O: Send + 'static> IoCall<Video, O> {
    /// Width and height.
    pub fn size(self, size: ImageSize) -> Self {
        self.prop("width", size).prop("height", size)
    }

    /// Plays in a loop.
    pub fn looping(self, yes: bool) -> Self {
        self.prop("loop", yes)
    }

    /// Starts muted.
    pub fn muted(self, yes: bool) -> Self {
        self.prop("muted", yes)
    }
}

/// Checks that a link has a target.
struct LinkCheck;

impl Behavior<()> for LinkCheck {
    fn init(&mut self, props: &mut Props) -> Result<(), String> {
        if ["url", "route", "href"]
            .iter()
            .any(|k| props.contains_key(*k))
        {
            Ok(())
        } else {
            Err("a link needs .url(..) or .route(..)".into())
        }
    }
    fn parse(&mut self, _value: Value) -> Result<(), String> {
        Ok(())
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

impl<O: Send + 'static> IoCall<Link, O> {
    /// Links to a URL.
    pub fn url(self, url: impl Into<String>) -> Self {
        self.prop("url", url.into())
    }

    /// Links to a URL as a download named `file_name`.
    pub fn download(self, file_name: impl Into<String>) -> Self {
        self.prop("download", file_name.into())
    }

    /// Links to an action or page by its full slug.
    pub fn route(self, route: impl Into<String>) -> Self {
        self.prop("route", route.into())
    }

    /// Params of the route.
    pub fn params(self, params: impl Serialize) -> Self {
        self.prop("params", params)
    }

    /// The button theme.
    pub fn theme(self, theme: ButtonTheme) -> Self {
        self.prop("theme", theme)
    }
}

/// One item of `io.display().progress_through_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressItem {
    label: String,
    is_complete: bool,
    result_description: Option<String>,
}

impl ProgressItem {
    /// An item, complete or not.
    pub fn new(label: impl Into<String>, is_complete: bool) -> Self {
        ProgressItem {
            label: label.into(),
            is_complete,
            result_description: None,
        }
    }

    /// What came of it.
    pub fn result(mut self, description: impl Into<String>) -> Self {
        self.result_description = Some(description.into());
        self
    }
}

impl<O: Send + 'static> IoCall<ProgressSteps, O> {
    /// The step in progress.
    pub fn current_step(self, step: impl Into<String>) -> Self {
        self.prop("currentStep", step.into())
    }

    /// A subtitle.
    pub fn sub_title(self, text: impl Into<String>) -> Self {
        self.prop("subTitle", text.into())
    }
}

/// A `data:` URL of `bytes`, or why not.
fn data_url(bytes: &[u8], mime: fn(u8) -> &'static str) -> Result<String, String> {
    if bytes.len() > MAX_INLINE_BYTES {
        return Err(format!(
            "{} bytes is over the 50 MB limit of inline media; use a URL",
            bytes.len()
        ));
    }
    let data = STANDARD.encode(bytes);
    let first = data.as_bytes().first().copied().unwrap_or(b' ');
    Ok(format!("data:{};base64,{data}", mime(first)))
}

/// The Node SDK's guess of an image type from the first base64 character.
fn image_mime(first: u8) -> &'static str {
    match first {
        b'i' => "image/png",
        b'R' => "image/gif",
        b'/' => "image/jpeg",
        b'U' => "image/webp",
        _ => "image/unknown",
    }
}

/// The Node SDK's guess of a video type from the first base64 character.
fn video_mime(first: u8) -> &'static str {
    match first {
        b'G' => "video/webm",
        b'T' => "video/ogg",
        b'U' => "video/avi",
        _ => "video/mp4",
    }
}

impl Io {
    /// Display methods: headings, markdown, tables, images, ...
    pub fn display(&self) -> Displays<'_> {
        Displays { io: self }
    }
}

#[cfg(test)]
mod tests {
    use super::{data_url, image_mime};

    #[test]
    fn inline_images_are_base64_data_urls() {
        assert_eq!(
            data_url(b"\x89PNG", image_mime).as_deref(),
            Ok("data:image/png;base64,iVBORw==")
        );
    }
}
