//! Select methods (§4.4): one option, several options, rows of a table.
//! Each returns the caller's own values, not their wire form.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use interval_protocol::superjson::{strip_tags, DATE_TAG};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::call::{Groupable, InputKind, IoCall};
use super::component::{Behavior, LocalFuture, Props};
use super::handle::Io;
use super::table::TABLE_DATA_BUFFER_SIZE;
use super::table::{Column, Image, RowMenu, Rows, SortDirection, TableQuery};
use crate::menu::MenuItem;

/// How an option of a select is shown: a label, the value that identifies
/// it, and optionally a description and an image.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectOption {
    label: Value,
    value: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<Image>,
}

impl SelectOption {
    /// An option shown as `label`, identified by `value` (a string, number
    /// or boolean; unique among the options).
    pub fn new(label: impl Serialize, value: impl Serialize) -> Self {
        SelectOption {
            label: serde_json::to_value(label).unwrap_or(Value::Null),
            value: serde_json::to_value(value).unwrap_or(Value::Null),
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

    /// The label as sent: a string, number or boolean (a
    /// [`Timestamp`](crate::Timestamp) label comes back as its ISO-8601
    /// string, which a `Timestamp` deserializes from).
    pub fn label(&self) -> Value {
        untagged(&self.label)
    }

    /// The value that identifies the option, as sent: a string, number or
    /// boolean (a [`Timestamp`](crate::Timestamp) value comes back as its
    /// ISO-8601 string, which a `Timestamp` deserializes from).
    pub fn value(&self) -> Value {
        untagged(&self.value)
    }

    /// The text under the label, if any (the getter of
    /// [`description`](SelectOption::description)).
    pub fn get_description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The image next to the label, if any (the getter of
    /// [`image`](SelectOption::image)).
    pub fn get_image(&self) -> Option<&Image> {
        self.image.as_ref()
    }
}

/// `value` without the internal superjson date tags (a date becomes its
/// ISO-8601 string).
pub(super) fn untagged(value: &Value) -> Value {
    let mut value = value.clone();
    strip_tags(&mut value);
    value
}

/// Types that can be options of a select: implement it for your own types
/// to get them back from `io.select()`.
pub trait ToOption {
    /// How this value is shown.
    fn to_option(&self) -> SelectOption;
}

impl ToOption for SelectOption {
    fn to_option(&self) -> SelectOption {
        self.clone()
    }
}

macro_rules! primitive_options {
    ($($t:ty),*) => {$(
        impl ToOption for $t {
            fn to_option(&self) -> SelectOption {
                SelectOption::new(self, self)
            }
        }
    )*};
}
primitive_options!(String, &'static str, bool, i32, i64, u32, u64, f64);

/// Marker of `io.select().single` (`SELECT_SINGLE`) over options of type `T`.
#[derive(Debug)]
pub struct SelectSingle<T>(PhantomData<fn() -> T>);
impl<T> Groupable for SelectSingle<T> {}
impl<T> InputKind for SelectSingle<T> {}

/// Marker of `io.select().multiple` (`SELECT_MULTIPLE`) over options of type `T`.
#[derive(Debug)]
pub struct SelectMultiple<T>(PhantomData<fn() -> T>);
impl<T> Groupable for SelectMultiple<T> {}
impl<T> InputKind for SelectMultiple<T> {}

/// Marker of `io.select().table` (`SELECT_TABLE`) over rows of type `T`.
#[derive(Debug)]
pub struct SelectTable<T>(PhantomData<fn() -> T>);
impl<T> Groupable for SelectTable<T> {}
impl<T> InputKind for SelectTable<T> {}

/// The select methods, from [`Io::select`].
#[derive(Debug)]
pub struct Selects<'a> {
    pub(super) io: &'a Io,
}

/// Whether two option values are the same: numbers by value, strings
/// without the internal superjson date tag (an option's date value is kept
/// tagged so that it goes out as a `Date`, but the decoded answer is the
/// bare ISO-8601 string).
fn same(a: &Value, b: &Value) -> bool {
    fn untag(s: &str) -> &str {
        s.strip_prefix(DATE_TAG).unwrap_or(s)
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => untag(x) == untag(y),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// The caller's options and their wire values.
struct Options<T> {
    options: Vec<T>,
    values: Vec<Value>,
}

impl<T: Clone> Options<T> {
    /// The option the wire `value` (an option object) stands for.
    fn find(&self, value: &Value) -> Result<T, String> {
        let wanted = value.get("value").ok_or("expected an option object")?;
        self.values
            .iter()
            .position(|v| same(v, wanted))
            .map(|i| self.options[i].clone())
            .ok_or_else(|| format!("{wanted} is not one of the options"))
    }
}

impl<T: Clone + Send + 'static> Behavior<T> for Options<T> {
    fn parse(&mut self, value: Value) -> Result<T, String> {
        self.find(&value)
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

/// `SELECT_MULTIPLE` returns several options.
struct MultipleOptions<T>(Options<T>);

impl<T: Clone + Send + 'static> Behavior<Vec<T>> for MultipleOptions<T> {
    fn parse(&mut self, value: Value) -> Result<Vec<T>, String> {
        let Value::Array(items) = value else {
            return Err("expected an array of options".into());
        };
        items.iter().map(|item| self.0.find(item)).collect()
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

fn wire_options<T: ToOption>(options: &[T]) -> (Vec<Value>, Vec<Value>) {
    let wire: Vec<Value> = options
        .iter()
        .map(|o| serde_json::to_value(o.to_option()).unwrap_or(Value::Null))
        .collect();
    let values = wire.iter().map(|o| o["value"].clone()).collect();
    (wire, values)
}

impl Selects<'_> {
    /// Picks one of `options`; returns it.
    ///
    /// ```no_run
    /// # use interval_core as interval;
    /// # async fn f(io: interval::Io) -> Result<(), interval::Error> {
    /// let color = io.select().single("Color", ["red", "green", "blue"]).await?;
    /// # Ok(()) }
    /// ```
    pub fn single<T: ToOption + Clone + Send + 'static>(
        &self,
        label: impl Into<String>,
        options: impl IntoIterator<Item = T>,
    ) -> IoCall<SelectSingle<T>, T> {
        let options: Vec<T> = options.into_iter().collect();
        let (wire, values) = wire_options(&options);
        IoCall::new(self.io, "SELECT_SINGLE", label, Options { options, values })
            .prop("options", wire)
    }

    /// Picks any number of `options`; returns them.
    pub fn multiple<T: ToOption + Clone + Send + 'static>(
        &self,
        label: impl Into<String>,
        options: impl IntoIterator<Item = T>,
    ) -> IoCall<SelectMultiple<T>, Vec<T>> {
        let options: Vec<T> = options.into_iter().collect();
        let (wire, values) = wire_options(&options);
        IoCall::new(
            self.io,
            "SELECT_MULTIPLE",
            label,
            MultipleOptions(Options { options, values }),
        )
        .prop("options", wire)
    }

    /// Picks rows of a table; returns the selected rows, in their original
    /// order. As Node's SDK, the host sends the first 500 rows at once (a
    /// dashboard that has every row pages and sorts them itself) and
    /// answers the dashboard's searches, and its pages and sorts of larger
    /// tables, with 500 rows from the offset asked for.
    pub fn table<T: Serialize + Clone + Send + 'static>(
        &self,
        label: impl Into<String>,
        rows: impl IntoIterator<Item = T>,
    ) -> IoCall<SelectTable<T>, Vec<T>> {
        IoCall::new(
            self.io,
            "SELECT_TABLE",
            label,
            SelectTableBehavior {
                data: rows.into_iter().collect(),
                columns: Vec::new(),
                menu: None,
                initially_selected: None,
                rows: None,
            },
        )
    }
}

impl<T: ToOption + Clone + Send + 'static, O: Send + 'static> IoCall<SelectSingle<T>, O> {
    /// The option selected at first.
    pub fn default_value(self, option: &T) -> Self {
        self.prop("defaultValue", option.to_option())
    }

    /// Lets the runner type to filter the options.
    pub fn searchable(self, yes: bool) -> Self {
        self.prop("searchable", yes)
    }
}

impl<T: ToOption + Clone + Send + 'static, O: Send + 'static> IoCall<SelectMultiple<T>, O> {
    /// The options selected at first.
    pub fn default_value<'a>(self, options: impl IntoIterator<Item = &'a T>) -> Self
    where
        T: 'a,
    {
        let defaults: Vec<SelectOption> = options.into_iter().map(ToOption::to_option).collect();
        self.prop("defaultValue", defaults)
    }

    /// The fewest options to pick.
    pub fn min_selections(self, n: u32) -> Self {
        self.prop("minSelections", n)
    }

    /// The most options to pick (at least 1).
    pub fn max_selections(self, n: u32) -> Self {
        self.prop("maxSelections", n.max(1))
    }
}

/// Decides which rows start selected.
type Predicate<T> = Arc<dyn Fn(&T) -> bool + Send + Sync>;

/// `SELECT_TABLE` over rows held by the host.
struct SelectTableBehavior<T> {
    data: Vec<T>,
    columns: Vec<Column<T>>,
    menu: Option<RowMenu<T>>,
    initially_selected: Option<Predicate<T>>,
    rows: Option<Rows>,
}

/// The state of a select table (`SET_STATE`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SelectTableState {
    query_term: Option<String>,
    sort_column: Option<String>,
    sort_direction: Option<SortDirection>,
    #[serde(default)]
    offset: usize,
    page_size: usize,
    #[serde(default)]
    is_select_all: bool,
}

impl<T: Serialize + Clone + Send + 'static> Behavior<Vec<T>> for SelectTableBehavior<T> {
    fn init(&mut self, props: &mut Props) -> Result<(), String> {
        let mut rows = Rows::build(&self.data, &self.columns, self.menu.as_ref(), 0)?;
        props.insert("columns".into(), Value::Array(rows.columns.clone()));
        // As Node's: the first 500 rows, `totalRecords` all of them.
        rows.rows_into(&TableQuery::default(), TABLE_DATA_BUFFER_SIZE, props);
        let selected: Vec<String> = match &self.initially_selected {
            Some(f) => (0..self.data.len())
                .filter(|&i| f(&self.data[i]))
                .map(|i| i.to_string())
                .collect(),
            None => Vec::new(),
        };
        props.insert("selectedKeys".into(), json!(selected));
        self.rows = Some(rows);
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
            let state: SelectTableState =
                serde_json::from_value(state).map_err(|e| e.to_string())?;
            let query = TableQuery {
                query_term: state.query_term,
                sort_column: state.sort_column,
                sort_direction: state.sort_direction,
                offset: state.offset,
                page_size: state.page_size,
            };
            let rows = self.rows.as_mut().ok_or("the table was not rendered")?;
            // As Node's: 500 rows from the offset, whatever the page size.
            let matching = rows.rows_into(&query, TABLE_DATA_BUFFER_SIZE, props);
            let selected: Vec<String> = if state.is_select_all {
                matching.iter().map(|i| i.to_string()).collect()
            } else {
                Vec::new()
            };
            props.insert("selectedKeys".into(), json!(selected));
            Ok(())
        })
    }

    fn parse(&mut self, value: Value) -> Result<Vec<T>, String> {
        let Value::Array(items) = value else {
            return Err("expected an array of rows".into());
        };
        let mut keys = Vec::with_capacity(items.len());
        for item in &items {
            let key = item
                .get("key")
                .and_then(Value::as_str)
                .and_then(|k| k.parse::<usize>().ok())
                .filter(|&k| k < self.data.len())
                .ok_or_else(|| format!("{item} is not a row of the table"))?;
            keys.push(key);
        }
        keys.sort_unstable();
        keys.dedup();
        Ok(keys.into_iter().map(|k| self.data[k].clone()).collect())
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

impl<T: Serialize + Clone + Send + 'static, O: Send + 'static> IoCall<SelectTable<T>, O> {
    fn table(&mut self) -> Option<&mut SelectTableBehavior<T>> {
        self.field.behavior_mut::<SelectTableBehavior<T>>()
    }

    /// The columns, in order (default: one per field of the rows).
    pub fn columns<C: Into<Column<T>>>(mut self, columns: impl IntoIterator<Item = C>) -> Self {
        let columns = columns.into_iter().map(Into::into).collect();
        if let Some(t) = self.table() {
            t.columns = columns;
        }
        self
    }

    /// A menu of actions per row.
    pub fn row_menu(mut self, menu: impl Fn(&T) -> Vec<MenuItem> + Send + Sync + 'static) -> Self {
        if let Some(t) = self.table() {
            t.menu = Some(Arc::new(menu));
        }
        self
    }

    /// Which rows are selected at first.
    pub fn initially_selected(mut self, f: impl Fn(&T) -> bool + Send + Sync + 'static) -> Self {
        if let Some(t) = self.table() {
            t.initially_selected = Some(Arc::new(f));
        }
        self
    }

    /// The fewest rows to pick.
    pub fn min_selections(self, n: u32) -> Self {
        self.prop("minSelections", n)
    }

    /// The most rows to pick (at least 1).
    pub fn max_selections(self, n: u32) -> Self {
        self.prop("maxSelections", n.max(1))
    }

    /// Rows per page at first, in the dashboard (the rows sent up front do
    /// not depend on it).
    pub fn default_page_size(self, size: u32) -> Self {
        self.prop("defaultPageSize", size)
    }

    /// Lets the runner sort (default true).
    pub fn sortable(self, yes: bool) -> Self {
        self.prop("isSortable", yes)
    }

    /// Lets the runner search (default true).
    pub fn filterable(self, yes: bool) -> Self {
        self.prop("isFilterable", yes)
    }
}

impl Io {
    /// Select methods: one option, several options, rows of a table.
    pub fn select(&self) -> Selects<'_> {
        Selects { io: self }
    }
}
