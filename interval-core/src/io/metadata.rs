//! `io.display().metadata` (`DISPLAY_METADATA`): labelled values, some of
//! which may load later.
//!
//! A value (or URL, image, route, params) given as a future is sent absent
//! at first; each one that resolves replaces the component's props with
//! `{layout, data}` and the call is rendered again (§3.2, §3.3 step 5). A
//! future that fails is logged only, as by the Node SDK.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::task::{Context, Poll};

use futures_util::future::{FutureExt, Shared};
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;
use serde_json::{Map, Value};

use super::call::{kinds, IoCall};
use super::component::{Behavior, Props};
use super::display::Displays;
use super::table::Image;
use crate::future::BoxFuture;

kinds! {
    /// Marker of `io.display().metadata` (`DISPLAY_METADATA`).
    pub enum Metadata: Groupable, DisplayKind;
}

/// How `io.display().metadata` lays out its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetadataLayout {
    /// A grid (the default).
    Grid,
    /// A list.
    List,
    /// A card.
    Card,
}

impl Displays<'_> {
    /// A list of labelled values. Values may load later: see
    /// [`MetaItem::later`].
    pub fn metadata(
        &self,
        label: impl Into<String>,
        items: impl IntoIterator<Item = MetaItem>,
    ) -> IoCall<Metadata, ()> {
        let mut behavior = MetadataBehavior {
            data: Vec::new(),
            loads: FuturesUnordered::new(),
        };
        for (index, item) in items.into_iter().enumerate() {
            behavior.data.push(item.fields);
            for Later { key, load } in item.later {
                behavior
                    .loads
                    .push(Box::pin(load.map(move |result| (index, key, result))));
            }
        }
        let data: Vec<Value> = behavior.data.iter().cloned().map(Value::Object).collect();
        self.with("DISPLAY_METADATA", label, behavior)
            .prop("data", data)
    }
}

impl<O: Send + 'static> IoCall<Metadata, O> {
    /// The layout.
    pub fn layout(self, layout: MetadataLayout) -> Self {
        self.prop("layout", layout)
    }
}

/// A value of an item that loads later: its wire value, or why it failed.
type Load = Shared<BoxFuture<Result<Value, String>>>;

/// A field of an item that loads later.
#[derive(Clone)]
struct Later {
    key: &'static str,
    load: Load,
}

/// One item of `io.display().metadata`: a label and a value, optionally
/// linked to a URL or a route, or shown with an image.
///
/// Any of the value, URL, route, params and image may load later (the
/// `*_later` methods): the item is shown without it at first (the dashboard
/// shows a placeholder), and the metadata is rendered again when it
/// arrives. Cloning an item shares its loads (each future runs once).
#[derive(Clone)]
pub struct MetaItem {
    fields: Map<String, Value>,
    later: Vec<Later>,
}

impl fmt::Debug for MetaItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let later: Vec<&str> = self.later.iter().map(|l| l.key).collect();
        f.debug_struct("MetaItem")
            .field("fields", &self.fields)
            .field("later", &later)
            .finish()
    }
}

impl MetaItem {
    /// An item labelled `label` showing `value` (a string, number, boolean,
    /// [`Timestamp`](crate::Timestamp) or big integer).
    pub fn new(label: impl Into<String>, value: impl Serialize) -> Self {
        let mut fields = Map::new();
        fields.insert("label".into(), Value::String(label.into()));
        let item = MetaItem {
            fields,
            later: Vec::new(),
        };
        match serde_json::to_value(value) {
            Ok(value) => item.set("value", value),
            Err(e) => {
                tracing::error!("Ignoring a metadata value that cannot be serialized: {e}");
                item.set("value", Value::Null)
            }
        }
    }

    /// An item labelled `label` whose value loads later: shown without a
    /// value at first, rendered again once `value` resolves. An `Err` is
    /// logged and the value stays absent.
    ///
    /// The future starts when the call is rendered and runs for as long as
    /// the call is shown: until it is submitted, or for the page's lifetime
    /// in a page [`Layout`](crate::Layout). In an append-UI transaction
    /// (Interval's server), a display call returns right after its first
    /// render and its step stays on the page: its value is rendered when it
    /// arrives, until the server closes the transaction, as Node's is.
    ///
    /// ```no_run
    /// # use interval_core as interval;
    /// # async fn revenue() -> Result<f64, std::io::Error> { Ok(1.0) }
    /// # async fn f(io: interval::Io) -> Result<(), interval::Error> {
    /// use interval::io::MetaItem;
    ///
    /// io.display()
    ///     .metadata(
    ///         "Today",
    ///         [
    ///             MetaItem::new("Orders", 42),
    ///             MetaItem::later("Revenue", revenue()),
    ///         ],
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn later<F, T, E>(label: impl Into<String>, value: F) -> Self
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize,
        E: fmt::Display,
    {
        let mut fields = Map::new();
        fields.insert("label".into(), Value::String(label.into()));
        MetaItem {
            fields,
            later: Vec::new(),
        }
        .value_later(value)
    }

    /// Replaces the value with one that loads later (see [`MetaItem::later`]).
    pub fn value_later<F, T, E>(self, value: F) -> Self
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize,
        E: fmt::Display,
    {
        self.set_later("value", value)
    }

    /// Links the value to a URL.
    pub fn url(self, url: impl Into<String>) -> Self {
        self.set("url", Value::String(url.into()))
    }

    /// Links the value to a URL that loads later (see [`MetaItem::later`]).
    pub fn url_later<F, E>(self, url: F) -> Self
    where
        F: Future<Output = Result<String, E>> + Send + 'static,
        E: fmt::Display,
    {
        self.set_later("url", url)
    }

    /// Links the value to an action or page, with params.
    pub fn route(self, route: impl Into<String>, params: impl Serialize) -> Self {
        let item = self.set("route", Value::String(route.into()));
        match serde_json::to_value(params) {
            Ok(params @ Value::Object(_)) => item.set("params", params),
            _ => item,
        }
    }

    /// Links the value to an action or page whose slug loads later (see
    /// [`MetaItem::later`]); params, if any, are set with
    /// [`MetaItem::params_later`] or [`MetaItem::route`].
    pub fn route_later<F, E>(self, route: F) -> Self
    where
        F: Future<Output = Result<String, E>> + Send + 'static,
        E: fmt::Display,
    {
        self.set_later("route", route)
    }

    /// Params of the route that load later (see [`MetaItem::later`]); they
    /// must serialize to a map.
    pub fn params_later<F, T, E>(self, params: F) -> Self
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize,
        E: fmt::Display,
    {
        self.set_later(
            "params",
            params.map(|params| match params.map(serde_json::to_value) {
                Ok(Ok(params @ Value::Object(_))) => Ok(params),
                Ok(Ok(_)) => Err("params must serialize to a map".to_owned()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(e) => Err(e.to_string()),
            }),
        )
    }

    /// Shows an image.
    pub fn image(self, image: Image) -> Self {
        match serde_json::to_value(image) {
            Ok(image) => self.set("image", image),
            Err(_) => self,
        }
    }

    /// Shows an image that loads later (see [`MetaItem::later`]).
    pub fn image_later<F, E>(self, image: F) -> Self
    where
        F: Future<Output = Result<Image, E>> + Send + 'static,
        E: fmt::Display,
    {
        self.set_later("image", image)
    }

    /// Shows an error instead of the value.
    pub fn error(self, message: impl Into<String>) -> Self {
        self.set("error", Value::String(message.into()))
    }

    /// Sets `key` now (a load of it pending is forgotten).
    fn set(mut self, key: &'static str, value: Value) -> Self {
        self.later.retain(|l| l.key != key);
        self.fields.insert(key.into(), value);
        self
    }

    /// Sets `key` to what `load` resolves to (absent until then).
    fn set_later<F, T, E>(mut self, key: &'static str, load: F) -> Self
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize,
        E: fmt::Display,
    {
        self.fields.remove(key);
        self.later.retain(|l| l.key != key);
        let load: BoxFuture<Result<Value, String>> = Box::pin(async move {
            let value = load.await.map_err(|e| e.to_string())?;
            serde_json::to_value(value).map_err(|e| e.to_string())
        });
        self.later.push(Later {
            key,
            load: load.shared(),
        });
        self
    }
}

/// A load of item `.0`'s field `.1`.
type Loading = BoxFuture<(usize, &'static str, Result<Value, String>)>;

/// `DISPLAY_METADATA`: the items as sent, and the loads still running.
struct MetadataBehavior {
    data: Vec<Map<String, Value>>,
    loads: FuturesUnordered<Loading>,
}

impl Behavior<()> for MetadataBehavior {
    fn poll_changed(&mut self, cx: &mut Context<'_>, props: &mut Props) -> Poll<()> {
        let mut changed = false;
        while let Poll::Ready(Some((index, key, result))) = self.loads.poll_next_unpin(cx) {
            match (result, self.data.get_mut(index)) {
                (Ok(value), Some(item)) => {
                    item.insert(key.into(), value);
                    changed = true;
                }
                (Ok(_), None) => {}
                (Err(e), _) => tracing::error!(
                    "Error updating metadata field {key:?} with the result of its future: {e}"
                ),
            }
        }
        if !changed {
            return Poll::Pending;
        }
        // Node replaces the props with `{layout, data}`.
        props.retain(|key, _| key == "layout");
        let data = self.data.iter().cloned().map(Value::Object).collect();
        props.insert("data".into(), Value::Array(data));
        Poll::Ready(())
    }

    fn parse(&mut self, _value: Value) -> Result<(), String> {
        Ok(())
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_fields_start_absent_and_replace_plain_ones() {
        let item = MetaItem::new("Revenue", 1)
            .value_later(async { Ok::<_, String>(2) })
            .url("https://a")
            .url_later(async { Ok::<_, String>("https://b".to_owned()) })
            .url("https://c");
        assert_eq!(
            Value::Object(item.fields.clone()),
            serde_json::json!({"label": "Revenue", "url": "https://c"})
        );
        let later: Vec<_> = item.later.iter().map(|l| l.key).collect();
        assert_eq!(later, ["value"]);
    }
}
