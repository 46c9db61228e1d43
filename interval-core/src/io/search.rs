//! `io.search` (§4.4 `SEARCH`): the runner types, the host's search function
//! answers, the runner picks one of the caller's own results.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::call::{Groupable, InputKind, IoCall};
use super::component::{Behavior, LocalFuture, Props};
use super::handle::Io;
use super::table::Image;
use crate::future::BoxFuture;

/// Marker of `io.search` (`SEARCH`) over results of type `T`.
#[derive(Debug)]
pub struct Search<T>(PhantomData<fn() -> T>);
impl<T> Groupable for Search<T> {}
impl<T> InputKind for Search<T> {}

/// How a search result is shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    label: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<Image>,
}

impl SearchResult {
    /// A result shown as `label`.
    pub fn new(label: impl Into<String>) -> Self {
        SearchResult {
            label: Value::String(label.into()),
            description: None,
            image: None,
        }
    }

    /// Text under the label.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// An image next to the label.
    pub fn image(mut self, image: Image) -> Self {
        self.image = Some(image);
        self
    }

    /// The label as sent (a string). There is no `value()`: a result's wire
    /// value is made up by `io.search` (`"<batch>:<index>"`, §4.4) and
    /// mapped back to your item.
    ///
    /// ```
    /// # use interval_core as interval;
    /// use interval::io::SearchResult;
    /// let result = SearchResult::new("Ada Lovelace").description("ada@example.com");
    /// assert_eq!(result.label(), "Ada Lovelace");
    /// assert_eq!(result.get_description(), Some("ada@example.com"));
    /// assert!(result.get_image().is_none());
    /// ```
    pub fn label(&self) -> Value {
        super::select::untagged(&self.label)
    }

    /// The text under the label, if any (the getter of
    /// [`description`](SearchResult::description)).
    pub fn get_description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The image next to the label, if any (the getter of
    /// [`image`](SearchResult::image)).
    pub fn get_image(&self) -> Option<&Image> {
        self.image.as_ref()
    }
}

impl From<&str> for SearchResult {
    fn from(label: &str) -> Self {
        SearchResult::new(label)
    }
}

impl From<String> for SearchResult {
    fn from(label: String) -> Self {
        SearchResult::new(label)
    }
}

type OnSearch<T> = Arc<dyn Fn(String) -> BoxFuture<Result<Vec<T>, String>> + Send + Sync>;
type RenderResult<T> = Arc<dyn Fn(&T) -> SearchResult + Send + Sync>;

/// The search state: every batch of results shown so far, so that any
/// `"<batch>:<index>"` value maps back to the caller's item.
pub(super) struct SearchBehavior<T> {
    on_search: OnSearch<T>,
    render: RenderResult<T>,
    batches: Vec<Vec<T>>,
    defaults: Vec<T>,
    /// `.multiple()`: the defaults go in `multipleProps.defaultValue`
    /// only, as the Node SDK's `.multiple({ defaultValue })` sends them.
    multiple: bool,
}

impl<T> SearchBehavior<T> {
    fn results(&self, batch: usize) -> Vec<Value> {
        self.batches[batch]
            .iter()
            .enumerate()
            .map(|(i, item)| self.wire(item, format!("{batch}:{i}")))
            .collect()
    }

    fn wire(&self, item: &T, value: String) -> Value {
        let mut result = serde_json::to_value((self.render)(item)).unwrap_or(json!({}));
        result["value"] = Value::String(value);
        result
    }
}

impl<T: Clone> SearchBehavior<T> {
    /// The caller's item a wire value (`"<batch>:<index>"` or
    /// `"default:<index>"`) stands for.
    fn item(&self, value: &Value) -> Result<T, String> {
        let text = value.as_str().ok_or("expected a result value (a string)")?;
        let unknown = || format!("{text:?} is not one of the search results");
        let (batch, index) = text.split_once(':').ok_or_else(unknown)?;
        let index: usize = index.parse().map_err(|_| unknown())?;
        let items = if batch == "default" {
            &self.defaults
        } else {
            let batch: usize = batch.parse().map_err(|_| unknown())?;
            self.batches.get(batch).ok_or_else(unknown)?
        };
        items.get(index).cloned().ok_or_else(unknown)
    }
}

impl<T: Clone + Send + Sync + 'static> Behavior<T> for SearchBehavior<T> {
    fn init(&mut self, props: &mut Props) -> Result<(), String> {
        let mut results = self.results(0);
        let defaults = default_keys(self.defaults.len());
        for (i, item) in self.defaults.iter().enumerate() {
            results.push(self.wire(item, format!("default:{i}")));
        }
        props.insert("results".into(), Value::Array(results));
        if let (false, [only]) = (self.multiple, defaults.as_slice()) {
            props.insert("defaultValue".into(), only.clone());
        }
        props.entry("disabled").or_insert(Value::Bool(false));
        Ok(())
    }

    fn is_stateful(&self) -> bool {
        true
    }

    fn set_state<'a>(
        &'a mut self,
        state: Value,
        props: &'a mut Props,
    ) -> LocalFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let query = state
                .get("queryTerm")
                .and_then(Value::as_str)
                .ok_or("expected {queryTerm: string}")?
                .to_owned();
            let items = (self.on_search)(query).await?;
            self.batches.push(items);
            props.insert(
                "results".into(),
                Value::Array(self.results(self.batches.len() - 1)),
            );
            Ok(())
        })
    }

    fn parse(&mut self, value: Value) -> Result<T, String> {
        self.item(&value)
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

impl Io {
    /// A search over items the action already has: `matches` says whether
    /// an item answers a query (it runs on each query, over every item),
    /// `render` shows each result; returns the chosen item. The items are
    /// taken once and shared between queries, so the closures borrow
    /// nothing and clone nothing per keystroke.
    ///
    /// ```no_run
    /// # use interval_core as interval;
    /// # async fn f(io: interval::Io) -> Result<(), interval::Error> {
    /// use interval::io::SearchResult;
    /// #[derive(Clone)]
    /// struct User { name: String, email: String }
    /// let users = vec![User { name: "Ada".into(), email: "ada@example.com".into() }];
    /// let user = io
    ///     .search_in(
    ///         "Find a user",
    ///         users,
    ///         |user, query| user.name.to_lowercase().contains(&query.to_lowercase()),
    ///         |user| SearchResult::new(user.name.clone()).description(user.email.clone()),
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn search_in<T, M, R>(
        &self,
        label: impl Into<String>,
        items: impl IntoIterator<Item = T>,
        matches: M,
        render: R,
    ) -> IoCall<Search<T>, T>
    where
        T: Clone + Send + Sync + 'static,
        M: Fn(&T, &str) -> bool + Send + Sync + 'static,
        R: Fn(&T) -> SearchResult + Send + Sync + 'static,
    {
        let items: Arc<[T]> = items.into_iter().collect();
        self.search(
            label,
            move |query: String| {
                let found: Vec<T> = items
                    .iter()
                    .filter(|item| matches(item, &query))
                    .cloned()
                    .collect();
                std::future::ready(Ok::<_, std::convert::Infallible>(found))
            },
            render,
        )
    }

    /// A search box: each query calls `on_search`, `render` shows each
    /// result; returns the chosen item.
    ///
    /// ```no_run
    /// # use interval_core as interval;
    /// # async fn f(io: interval::Io) -> Result<(), interval::Error> {
    /// use interval::io::SearchResult;
    /// let users = vec!["ada".to_string(), "alan".to_string()];
    /// let user = io
    ///     .search(
    ///         "Find a user",
    ///         move |query| {
    ///             let found: Vec<String> = users.iter().filter(|u| u.contains(&query)).cloned().collect();
    ///             async move { Ok::<_, std::convert::Infallible>(found) }
    ///         },
    ///         |user: &String| SearchResult::new(user.clone()),
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn search<T, F, Fut, E, R>(
        &self,
        label: impl Into<String>,
        on_search: F,
        render: R,
    ) -> IoCall<Search<T>, T>
    where
        T: Clone + Send + Sync + 'static,
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<T>, E>> + Send + 'static,
        E: std::fmt::Display,
        R: Fn(&T) -> SearchResult + Send + Sync + 'static,
    {
        let on_search: OnSearch<T> = Arc::new(move |query| {
            let fut = on_search(query);
            Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
        });
        IoCall::new(
            self,
            "SEARCH",
            label,
            SearchBehavior {
                on_search,
                render: Arc::new(render),
                batches: vec![Vec::new()],
                defaults: Vec::new(),
                multiple: false,
            },
        )
    }
}

impl<T: Clone + Send + Sync + 'static, O: Send + 'static> IoCall<Search<T>, O> {
    fn behavior(&mut self) -> Option<&mut SearchBehavior<T>> {
        self.field.behavior_mut::<SearchBehavior<T>>()
    }

    /// Results shown before the runner types.
    pub fn initial_results(mut self, items: impl IntoIterator<Item = T>) -> Self {
        if let Some(b) = self.behavior() {
            b.batches[0] = items.into_iter().collect();
        }
        self
    }

    /// Placeholder text.
    pub fn placeholder(self, text: impl Into<String>) -> Self {
        self.prop("placeholder", text.into())
    }
}

impl<T: Clone + Send + Sync + 'static> IoCall<Search<T>, T> {
    /// The result selected at first.
    pub fn default_value(mut self, item: T) -> Self {
        if let Some(b) = self.behavior() {
            b.defaults = vec![item];
        }
        self
    }

    /// Lets the runner pick several results; returns them all. A
    /// [`default_value`](IoCall::default_value) set before becomes the one
    /// result selected at first.
    pub fn multiple(mut self) -> IoCall<Search<T>, Vec<T>> {
        let defaults = self.behavior().map(|b| {
            b.multiple = true;
            default_keys(b.defaults.len())
        });
        let defaults = defaults.filter(|keys| !keys.is_empty());
        IoCall {
            io: self.io,
            field: self.field.into_multiple(defaults),
            kind: PhantomData,
        }
    }
}

impl<T: Clone + Send + Sync + 'static> IoCall<Search<T>, Vec<T>> {
    /// The results selected at first (with [`multiple`](IoCall::multiple)).
    pub fn default_values(mut self, items: impl IntoIterator<Item = T>) -> Self {
        let items: Vec<T> = items.into_iter().collect();
        let keys = default_keys(items.len());
        if let Some(b) = self.behavior() {
            b.defaults = items;
            b.multiple = true;
        }
        self.field.multiple = Some(Box::new(json!({ "defaultValue": keys })));
        self
    }
}

/// The wire values of `n` default results.
fn default_keys(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| Value::String(format!("default:{i}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_read_back_what_the_builders_set() {
        let image = Image::new("https://example.com/a.png");
        let result = SearchResult::new("Ada")
            .description("The first programmer")
            .image(image.clone());
        assert_eq!(result.label(), json!("Ada"));
        assert_eq!(result.get_description(), Some("The first programmer"));
        assert_eq!(result.get_image(), Some(&image));
        let plain = SearchResult::from("Bob");
        assert_eq!(plain.label(), json!("Bob"));
        assert_eq!(plain.get_description(), None);
        assert_eq!(plain.get_image(), None);
    }
}
