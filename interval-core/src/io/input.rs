//! Input methods (§4.4): text, email, number, slider, boolean, rich text,
//! URL, date, time, date and time, file upload.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::call::{kinds, IoCall};
use super::component::{Behavior, LocalFuture, ParseWith, Props, Refused, Serde};
use super::handle::Io;
use crate::error::{Error, Result};
use interval_protocol::dates::Timestamp;

kinds! {
    /// Marker of `io.input().text` (`INPUT_TEXT`).
    pub enum Text: Groupable, InputKind;
    /// Marker of `io.input().email` (`INPUT_EMAIL`).
    pub enum Email: Groupable, InputKind;
    /// Marker of `io.input().number` (`INPUT_NUMBER`).
    pub enum Number: Groupable, InputKind;
    /// Marker of `io.input().slider` (`INPUT_SLIDER`).
    pub enum Slider: Groupable, InputKind;
    /// Marker of `io.input().boolean` (`INPUT_BOOLEAN`).
    pub enum Boolean: Groupable, InputKind;
    /// Marker of `io.input().rich_text` (`INPUT_RICH_TEXT`).
    pub enum RichText: Groupable, InputKind;
    /// Marker of `io.input().url` (`INPUT_URL`).
    pub enum Url: Groupable, InputKind;
    /// Marker of `io.input().date` (`INPUT_DATE`).
    pub enum DateInput: Groupable, InputKind;
    /// Marker of `io.input().time` (`INPUT_TIME`).
    pub enum TimeInput: Groupable, InputKind;
    /// Marker of `io.input().datetime` (`INPUT_DATETIME`).
    pub enum DateTimeInput: Groupable, InputKind;
    /// Marker of `io.input().file` (`UPLOAD_FILE`).
    pub enum FileInput: Groupable, InputKind;
}

pub use interval_protocol::dates::{Date, DateTime, Time};

/// An uploaded file, as `io.input().file` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct File {
    /// The file name.
    pub name: String,
    /// Its MIME type.
    #[serde(rename = "type")]
    pub mime_type: String,
    /// Size in bytes.
    pub size: f64,
    /// Last modification (sent as milliseconds since the Unix epoch; the
    /// Node SDK's `lastModified` is a `Date` too).
    pub last_modified: Timestamp,
    /// Where its contents can be downloaded.
    pub url: String,
}

impl File {
    /// The extension of its name, with its dot (`".png"`), as the Node
    /// SDK's `extension` (Node's `path.extname`): from the last dot of the
    /// name's last path segment. `None` where Node gives `""`: no dot, or
    /// only a leading one (`".bashrc"`, `".."`). `"a."` gives `"."`.
    pub fn extension(&self) -> Option<&str> {
        let base = self.name.rsplit('/').next().unwrap_or(&self.name);
        match base.rfind('.') {
            Some(0) | None => None,
            Some(_) if base == ".." => None,
            Some(dot) => Some(&base[dot..]),
        }
    }

    /// Downloads its contents (up to 3 attempts, as the Node SDK does).
    pub async fn bytes(&self) -> Result<Vec<u8>> {
        let mut last = String::new();
        for _ in 0..3 {
            match reqwest::get(&self.url).await {
                Ok(r) if r.status().is_success() => match r.bytes().await {
                    Ok(bytes) => return Ok(bytes.to_vec()),
                    Err(e) => last = e.to_string(),
                },
                Ok(r) => last = format!("HTTP {}", r.status()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(Error::Http {
            url: self.url.clone(),
            reason: last,
        })
    }

    /// Downloads its contents as UTF-8 text.
    pub async fn text(&self) -> Result<String> {
        let bytes = self.bytes().await?;
        String::from_utf8(bytes).map_err(|e| Error::Http {
            url: self.url.clone(),
            reason: format!("not UTF-8: {e}"),
        })
    }
}

/// A file the runner selected, for [`IoCall::presigned_urls`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FileRequest {
    /// The file name.
    pub name: String,
    /// Its MIME type.
    #[serde(rename = "type")]
    pub mime_type: String,
}

/// Where the browser puts a file ([`IoCall::presigned_urls`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileUrls {
    /// The URL the browser PUTs the file to.
    pub upload_url: String,
    /// The URL it can be downloaded from afterwards.
    pub download_url: String,
}

/// The input methods, from [`Io::input`].
#[derive(Debug)]
pub struct Inputs<'a> {
    pub(super) io: &'a Io,
}

impl Inputs<'_> {
    /// A single-line (or multi-line) text field; returns the text.
    pub fn text(&self, label: impl Into<String>) -> IoCall<Text, String> {
        IoCall::new(self.io, "INPUT_TEXT", label, Serde)
    }

    /// An e-mail address field; returns the address.
    pub fn email(&self, label: impl Into<String>) -> IoCall<Email, String> {
        IoCall::new(self.io, "INPUT_EMAIL", label, Serde)
    }

    /// A number field; returns the number.
    pub fn number(&self, label: impl Into<String>) -> IoCall<Number, f64> {
        IoCall::new(self.io, "INPUT_NUMBER", label, Serde)
    }

    /// A slider from `min` to `max`; returns the number.
    pub fn slider(&self, label: impl Into<String>, min: f64, max: f64) -> IoCall<Slider, f64> {
        IoCall::new(self.io, "INPUT_SLIDER", label, Serde)
            .prop("min", min)
            .prop("max", max)
    }

    /// A checkbox; returns whether it was checked.
    pub fn boolean(&self, label: impl Into<String>) -> IoCall<Boolean, bool> {
        IoCall::new(self.io, "INPUT_BOOLEAN", label, Serde)
    }

    /// A rich text editor; returns HTML.
    pub fn rich_text(&self, label: impl Into<String>) -> IoCall<RichText, String> {
        IoCall::new(self.io, "INPUT_RICH_TEXT", label, Serde)
    }

    /// A URL field; returns the parsed URL.
    pub fn url(&self, label: impl Into<String>) -> IoCall<Url, url::Url> {
        IoCall::new(
            self.io,
            "INPUT_URL",
            label,
            ParseWith(|value: Value| {
                let text = value.as_str().ok_or("expected a string")?;
                url::Url::parse(text).map_err(|e| format!("invalid URL {text:?}: {e}"))
            }),
        )
    }

    /// A date picker; returns the date.
    pub fn date(&self, label: impl Into<String>) -> IoCall<DateInput, Date> {
        IoCall::new(self.io, "INPUT_DATE", label, Serde)
    }

    /// A time picker; returns the time.
    pub fn time(&self, label: impl Into<String>) -> IoCall<TimeInput, Time> {
        IoCall::new(self.io, "INPUT_TIME", label, Serde)
    }

    /// A date and time picker; returns both.
    pub fn datetime(&self, label: impl Into<String>) -> IoCall<DateTimeInput, DateTime> {
        IoCall::new(self.io, "INPUT_DATETIME", label, Serde)
    }

    /// A file upload; returns the uploaded file. `.multiple()` accepts
    /// several.
    pub fn file(&self, label: impl Into<String>) -> IoCall<FileInput, File> {
        IoCall::new(self.io, "UPLOAD_FILE", label, Upload { presign: None })
    }
}

impl<O: Send + 'static> IoCall<Text, O> {
    /// Placeholder text.
    pub fn placeholder(self, text: impl Into<String>) -> Self {
        self.prop("placeholder", text.into())
    }

    /// The initial value.
    pub fn default_value(self, value: impl Into<String>) -> Self {
        self.prop("defaultValue", value.into())
    }

    /// A multi-line text area.
    pub fn multiline(self, yes: bool) -> Self {
        self.prop("multiline", yes)
    }

    /// Height of a multi-line text area, in lines.
    pub fn lines(self, lines: u32) -> Self {
        self.prop("lines", lines)
    }

    /// Minimum length (at least 1).
    pub fn min_length(self, length: u32) -> Self {
        self.prop("minLength", length.max(1))
    }

    /// Maximum length (at least 1).
    pub fn max_length(self, length: u32) -> Self {
        self.prop("maxLength", length.max(1))
    }
}

macro_rules! placeholder_and_default {
    ($($kind:ty),*) => {$(
        impl<O: Send + 'static> IoCall<$kind, O> {
            /// Placeholder text.
            pub fn placeholder(self, text: impl Into<String>) -> Self {
                self.prop("placeholder", text.into())
            }

            /// The initial value.
            pub fn default_value(self, value: impl Into<String>) -> Self {
                self.prop("defaultValue", value.into())
            }
        }
    )*};
}
placeholder_and_default!(Email, RichText, Url);

impl<O: Send + 'static> IoCall<Url, O> {
    /// The accepted URL schemes (default `http` and `https`).
    pub fn allowed_protocols<S: Into<String>>(
        self,
        protocols: impl IntoIterator<Item = S>,
    ) -> Self {
        let protocols: Vec<String> = protocols.into_iter().map(Into::into).collect();
        self.prop("allowedProtocols", protocols)
    }
}

/// Currencies `io.input().number(..).currency(..)` can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[allow(missing_docs, clippy::upper_case_acronyms)]
pub enum Currency {
    USD,
    CAD,
    EUR,
    GBP,
    AUD,
    CNY,
    JPY,
}

impl<O: Send + 'static> IoCall<Number, O> {
    /// Smallest accepted value.
    pub fn min(self, min: f64) -> Self {
        self.prop("min", min)
    }

    /// Largest accepted value.
    pub fn max(self, max: f64) -> Self {
        self.prop("max", max)
    }

    /// Text shown before the field (e.g. a unit).
    pub fn prepend(self, text: impl Into<String>) -> Self {
        self.prop("prepend", text.into())
    }

    /// Placeholder text.
    pub fn placeholder(self, text: impl Into<String>) -> Self {
        self.prop("placeholder", text.into())
    }

    /// The initial value.
    pub fn default_value(self, value: f64) -> Self {
        self.prop("defaultValue", value)
    }

    /// Number of decimal places accepted (at least 1; integers by default).
    pub fn decimals(self, decimals: u32) -> Self {
        self.prop("decimals", decimals.max(1))
    }

    /// Shows the value as an amount of `currency`.
    pub fn currency(self, currency: Currency) -> Self {
        self.prop("currency", currency)
    }
}

impl IoCall<Number, f64> {
    /// Asks for a whole number and returns it as an `i64`. The dashboard
    /// accepts integers when no [`decimals`](IoCall::decimals) are set (so
    /// this removes them); an answer with a fraction is refused with
    /// "Please enter a whole number." and asked again. Call it before
    /// [`validate`](IoCall::validate), which it would drop.
    ///
    /// ```no_run
    /// # use interval_core as interval;
    /// # async fn f(io: interval::Io) -> Result<(), interval::Error> {
    /// let seats: i64 = io.input().number("Seats").integer().min(1.0).await?;
    /// # Ok(()) }
    /// ```
    pub fn integer(mut self) -> IoCall<Number, i64> {
        self.field.props.remove("decimals");
        IoCall {
            io: self.io,
            field: self.field.with_behavior(Integer),
            kind: std::marker::PhantomData,
        }
    }
}

/// The message for a number with a fraction where a whole one is asked for.
pub(crate) const NOT_WHOLE: &str = "Please enter a whole number.";

/// `.integer()`: a JSON number without a fraction, as an `i64`.
struct Integer;

impl Behavior<i64> for Integer {
    fn parse(&mut self, value: Value) -> std::result::Result<i64, String> {
        self.parse_or_explain(value)
            .map_err(|refused| match refused {
                Refused::Invalid(e) | Refused::Shown(e) => e,
            })
    }
    fn parse_or_explain(&mut self, value: Value) -> std::result::Result<i64, Refused> {
        if let Some(n) = value.as_i64() {
            return Ok(n);
        }
        match value.as_f64() {
            // Whole floats (`3.0`) within i64's range (2^63 is not).
            Some(n) if n.fract() == 0.0 && n.abs() < 2f64.powi(63) => Ok(n as i64),
            Some(n) if n.is_finite() && n.fract() != 0.0 => Err(Refused::Shown(NOT_WHOLE.into())),
            Some(n) => Err(Refused::Shown(format!("{n} is too large."))),
            None => Err(Refused::Invalid(format!("expected a number, got {value}"))),
        }
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

impl<O: Send + 'static> IoCall<Slider, O> {
    /// The step between values.
    pub fn step(self, step: f64) -> Self {
        self.prop("step", step)
    }

    /// The initial value.
    pub fn default_value(self, value: f64) -> Self {
        self.prop("defaultValue", value)
    }
}

impl<O: Send + 'static> IoCall<Boolean, O> {
    /// The initial value (default false).
    pub fn default_value(self, value: bool) -> Self {
        self.prop("defaultValue", Value::Bool(value))
    }
}

macro_rules! default_min_max {
    ($($kind:ty => $value:ty),*) => {$(
        impl<O: Send + 'static> IoCall<$kind, O> {
            /// The initial value.
            pub fn default_value(self, value: $value) -> Self {
                self.prop("defaultValue", value)
            }

            /// The earliest accepted value.
            pub fn min(self, value: $value) -> Self {
                self.prop("min", value)
            }

            /// The latest accepted value.
            pub fn max(self, value: $value) -> Self {
                self.prop("max", value)
            }
        }
    )*};
}
default_min_max!(DateInput => Date, TimeInput => Time, DateTimeInput => DateTime);

/// A function giving upload URLs for a selected file.
type Presign = Arc<
    dyn Fn(FileRequest) -> crate::future::BoxFuture<std::result::Result<FileUrls, String>>
        + Send
        + Sync,
>;

/// `UPLOAD_FILE`: always stateful; with [`IoCall::presigned_urls`] the host
/// supplies the upload URLs through a `SET_STATE` round trip.
struct Upload {
    presign: Option<Presign>,
}

#[derive(Deserialize)]
struct UploadState {
    files: Option<Vec<FileRequest>>,
    name: Option<String>,
    #[serde(rename = "type")]
    mime_type: Option<String>,
}

impl Behavior<File> for Upload {
    fn init(&mut self, props: &mut Props) -> std::result::Result<(), String> {
        if self.presign.is_some() {
            // null (not absent): the host will provide the URLs.
            props.insert("fileUrls".into(), Value::Null);
        }
        Ok(())
    }

    fn is_stateful(&self) -> bool {
        true
    }

    fn set_state<'a>(
        &'a mut self,
        state: Value,
        props: &'a mut Props,
    ) -> LocalFuture<'a, std::result::Result<(), String>> {
        Box::pin(async move {
            let Some(presign) = self.presign.clone() else {
                return Ok(());
            };
            let state: UploadState = serde_json::from_value(state).map_err(|e| e.to_string())?;
            let files = match (state.files, state.name, state.mime_type) {
                (Some(files), _, _) => files,
                (None, Some(name), Some(mime_type)) => vec![FileRequest { name, mime_type }],
                _ => return Ok(()),
            };
            let mut urls = Vec::with_capacity(files.len());
            for file in files {
                urls.push(presign(file).await?);
            }
            props.insert("fileUrls".into(), json!(urls));
            Ok(())
        })
    }

    fn parse(&mut self, value: Value) -> std::result::Result<File, String> {
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

impl<O: Send + 'static> IoCall<FileInput, O> {
    /// The accepted file extensions, e.g. `[".csv", ".txt"]`.
    pub fn allowed_extensions<S: Into<String>>(
        self,
        extensions: impl IntoIterator<Item = S>,
    ) -> Self {
        let extensions: Vec<String> = extensions.into_iter().map(Into::into).collect();
        self.prop("allowedExtensions", extensions)
    }

    /// Uploads to your own storage: for each selected file, `presign`
    /// returns the URL the browser uploads to and the URL to download it
    /// from (the returned [`File::url`]).
    pub fn presigned_urls<F, Fut, E>(mut self, presign: F) -> Self
    where
        F: Fn(FileRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<FileUrls, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        let presign: Presign = Arc::new(move |file| {
            let fut = presign(file);
            Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
        });
        match self.field.behavior_mut::<Upload>() {
            Some(upload) => upload.presign = Some(presign),
            None => self.field.error = Some("presigned_urls() must come first".into()),
        }
        self
    }
}

impl IoCall<FileInput, File> {
    /// Accepts several files; returns them all.
    pub fn multiple(self) -> IoCall<FileInput, Vec<File>> {
        IoCall {
            io: self.io,
            field: self.field.into_multiple(None),
            kind: std::marker::PhantomData,
        }
    }
}

impl Io {
    /// Input methods: text, email, number, slider, boolean, rich text, URL,
    /// date, time, date and time, file.
    pub fn input(&self) -> Inputs<'_> {
        Inputs { io: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_refuse_fractions_with_a_message() {
        let mut integer = Integer;
        assert_eq!(integer.parse(json!(42)).unwrap(), 42);
        assert_eq!(integer.parse(json!(-7.0)).unwrap(), -7);
        assert!(matches!(
            integer.parse_or_explain(json!(2.5)),
            Err(Refused::Shown(m)) if m == NOT_WHOLE
        ));
        assert!(matches!(
            integer.parse_or_explain(json!(1e19)),
            Err(Refused::Shown(m)) if m.contains("too large")
        ));
        assert!(matches!(
            integer.parse_or_explain(json!(u64::MAX)),
            Err(Refused::Shown(_))
        ));
        assert!(matches!(
            integer.parse_or_explain(json!("3")),
            Err(Refused::Invalid(_))
        ));
    }
}
