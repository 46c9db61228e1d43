//! Tables and grids on the host: rows, columns, cells, and the paging,
//! sorting and searching behind `SET_STATE` (§4.3 `DISPLAY_TABLE`).
//!
//! **Paging policy: the Node SDK's.** A table or grid of `N` rows held by
//! the host sends rows `0 .. min(N, 500)` in its first render, with
//! `totalRecords: N` ([`TABLE_DATA_BUFFER_SIZE`]). A dashboard holding every
//! row (`N ≤ 500`) pages and sorts them itself and asks the host only to
//! search; a larger table asks the host with `SET_STATE`, which answers
//! with the filtered, sorted rows from the requested `offset`:
//! `min(pageSize × 3, 500)` of them for a display table or grid (the page
//! asked for and the next two), 500 for a select table, with
//! `totalRecords` set to the filtered count.
//! So a table of 100,000 rows puts at most 500 rows on the wire at a time.
//! Filtering and sorting run over cells computed once, and the last
//! filtered/sorted order is cached so that turning pages is a slice.
//!
//! Async tables (`table_async`, Node's `getData`) are paged by their data
//! function: each `SET_STATE` is handed to it as it came (`offset`,
//! `pageSize`, search and sort) and the rows it returns are sent as they
//! are, keyed from `offset` (as Node's: none are cut off, so it should
//! return at most `pageSize`).

use std::cmp::Ordering;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::component::Props;
use crate::menu::MenuItem;

/// Rows per page when a `SET_STATE` names none (a [`TableQuery`]'s default).
pub(crate) const DEFAULT_PAGE_SIZE: usize = 20;
/// The most rows of a table or grid sent in one render: the first render
/// carries this many (or all, if fewer), a `SET_STATE` at most this many.
/// Node's `TABLE_DATA_BUFFER_SIZE` (`src/utils/table.ts`, used by its
/// `displayTable`, `selectTable` and `displayGrid`), so that a dashboard
/// sees the same rows from either host.
pub(crate) const TABLE_DATA_BUFFER_SIZE: usize = 500;

/// The rows a display table or grid sends for a `SET_STATE` of `page_size`:
/// the page asked for and the next two, at most
/// [`TABLE_DATA_BUFFER_SIZE`] (Node's `Math.min(pageSize * 3, 500)`).
pub(crate) fn display_rows_for(page_size: usize) -> usize {
    page_size.saturating_mul(3).min(TABLE_DATA_BUFFER_SIZE)
}

/// Renders a cell from a row.
type Render<T> = Arc<dyn Fn(&T) -> Value + Send + Sync>;

/// A table column: a label, the row field it shows, and optionally a
/// function computing the cell.
///
/// A column with a [`render`](Column::render) function and no explicit
/// [`accessor`](Column::accessor) is render-only, like Node's
/// `{ label, renderCell }`: it sends no `accessorKey` (so it cannot be
/// sorted by a row field) and its cells are keyed by the column's index.
pub struct Column<T> {
    pub(crate) label: String,
    pub(crate) accessor: Option<String>,
    /// Whether `accessor` was set by [`Column::accessor`] rather than
    /// taken from the label.
    explicit_accessor: bool,
    pub(crate) render: Option<Render<T>>,
}

impl<T> Clone for Column<T> {
    fn clone(&self) -> Self {
        Column {
            label: self.label.clone(),
            accessor: self.accessor.clone(),
            explicit_accessor: self.explicit_accessor,
            render: self.render.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Column")
            .field("label", &self.label)
            .field("accessor", &self.accessor)
            .finish_non_exhaustive()
    }
}

impl<T> Column<T> {
    /// A column labelled `label` showing the row field of the same name
    /// (unless it is given a [`render`](Column::render) function and no
    /// [`accessor`](Column::accessor)).
    pub fn new(label: impl Into<String>) -> Self {
        let label = label.into();
        Column {
            accessor: Some(label.clone()),
            explicit_accessor: false,
            label,
            render: None,
        }
    }

    /// Shows the row field `key` (also the key the column sorts by).
    pub fn accessor(mut self, key: impl Into<String>) -> Self {
        self.accessor = Some(key.into());
        self.explicit_accessor = true;
        self
    }

    /// Computes the cell from the row: any `Serialize` value, e.g. a string,
    /// a number, or a [`Cell`] with a link or an image. Without an explicit
    /// [`accessor`](Column::accessor) the column is render-only (no
    /// `accessorKey` is sent).
    pub fn render<C: Serialize>(
        mut self,
        render: impl Fn(&T) -> C + Send + Sync + 'static,
    ) -> Self {
        self.render = Some(Arc::new(move |row| {
            serde_json::to_value(render(row)).unwrap_or(Value::Null)
        }));
        if !self.explicit_accessor {
            self.accessor = None;
        }
        self
    }
}

impl<T> From<&str> for Column<T> {
    fn from(label: &str) -> Self {
        Column::new(label)
    }
}

impl<T> From<String> for Column<T> {
    fn from(label: String) -> Self {
        Column::new(label)
    }
}

/// Highlight colour of a table cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum HighlightColor {
    Red,
    Orange,
    Yellow,
    Green,
    Blue,
    Purple,
    Pink,
    Gray,
}

/// Size of an image or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum ImageSize {
    Thumbnail,
    Small,
    Medium,
    Large,
}

/// An image in a cell, a select option or a metadata item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    alt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<ImageSize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<ImageSize>,
}

impl Image {
    /// The image at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Image {
            url: url.into(),
            alt: None,
            width: None,
            height: None,
        }
    }

    /// Alternative text.
    pub fn alt(mut self, alt: impl Into<String>) -> Self {
        self.alt = Some(alt.into());
        self
    }

    /// Width and height.
    pub fn size(mut self, size: ImageSize) -> Self {
        self.width = Some(size);
        self.height = Some(size);
        self
    }

    /// The image's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The alternative text, if any (the getter of [`alt`](Image::alt)).
    pub fn get_alt(&self) -> Option<&str> {
        self.alt.as_deref()
    }

    /// The width, if set (by [`size`](Image::size)).
    pub fn width(&self) -> Option<ImageSize> {
        self.width
    }

    /// The height, if set (by [`size`](Image::size)).
    pub fn height(&self) -> Option<ImageSize> {
        self.height
    }
}

/// A rich table cell: a label plus a link, an image or a highlight.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cell {
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<Image>,
    #[serde(skip_serializing_if = "Option::is_none")]
    highlight_color: Option<HighlightColor>,
}

impl Cell {
    /// A cell showing `label`.
    pub fn new(label: impl Into<String>) -> Self {
        Cell {
            label: Some(label.into()),
            ..Cell::default()
        }
    }

    /// The value it sorts by (a string, number, boolean or
    /// [`Timestamp`](crate::Timestamp)).
    pub fn value(mut self, value: impl Serialize) -> Self {
        self.value = serde_json::to_value(value).ok();
        self
    }

    /// Links to a URL.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Links to an action or page, with params.
    pub fn route(mut self, route: impl Into<String>, params: impl Serialize) -> Self {
        self.route = Some(route.into());
        if let Ok(Value::Object(params)) = serde_json::to_value(params) {
            self.params = Some(params);
        }
        self
    }

    /// Shows an image.
    pub fn image(mut self, image: Image) -> Self {
        self.image = Some(image);
        self
    }

    /// Highlights the cell.
    pub fn highlight(mut self, color: HighlightColor) -> Self {
        self.highlight_color = Some(color);
        self
    }
}

/// Sort direction of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortDirection {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// What the browser asks a table for (its `SET_STATE`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableQuery {
    /// The search text.
    #[serde(default)]
    pub query_term: Option<String>,
    /// The column (accessor key) to sort by.
    #[serde(default)]
    pub sort_column: Option<String>,
    /// The sort direction.
    #[serde(default)]
    pub sort_direction: Option<SortDirection>,
    /// The first row wanted.
    #[serde(default)]
    pub offset: usize,
    /// How many rows.
    #[serde(default = "default_page_size")]
    pub page_size: usize,
}

fn default_page_size() -> usize {
    DEFAULT_PAGE_SIZE
}

/// One page of rows from an async table's data function.
#[derive(Debug, Clone, PartialEq)]
pub struct TablePage<T> {
    /// The rows of the requested page (all of them are sent: at most the
    /// query's `page_size`, as a rule).
    pub data: Vec<T>,
    /// The number of rows matching the query, when known.
    pub total_records: Option<usize>,
}

/// Computes row menus.
pub(crate) type RowMenu<T> = Arc<dyn Fn(&T) -> Vec<MenuItem> + Send + Sync>;

/// Rows computed once: their cells, search text and menus.
pub(crate) struct Rows {
    pub columns: Vec<Value>,
    cells: Vec<Map<String, Value>>,
    filters: Vec<String>,
    menus: Vec<Option<Value>>,
    /// Key of row `i` is `offset + i`.
    key_offset: usize,
    view: Option<View>,
}

/// A cached filtered and sorted order.
struct View {
    query: String,
    sort: Option<(String, SortDirection)>,
    order: Vec<u32>,
}

impl Rows {
    /// Computes the rows of `data` (keys from `key_offset`).
    pub fn build<T: Serialize>(
        data: &[T],
        columns: &[Column<T>],
        menu: Option<&RowMenu<T>>,
        key_offset: usize,
    ) -> Result<Rows, String> {
        let mut objects = Vec::with_capacity(data.len());
        for row in data {
            objects.push(match serde_json::to_value(row) {
                Ok(Value::Object(map)) => map,
                Ok(other) => {
                    let mut map = Map::new();
                    map.insert("value".into(), other);
                    map
                }
                Err(e) => return Err(format!("a row cannot be serialized: {e}")),
            });
        }
        let columns: Vec<Column<T>> = if columns.is_empty() {
            let mut keys: Vec<String> = Vec::new();
            for object in &objects {
                for key in object.keys() {
                    if !keys.contains(key) {
                        keys.push(key.clone());
                    }
                }
            }
            keys.into_iter().map(Column::new).collect()
        } else {
            columns.to_vec()
        };
        let mut cells = Vec::with_capacity(data.len());
        let mut filters = Vec::with_capacity(data.len());
        let mut menus = Vec::with_capacity(data.len());
        for (row, object) in data.iter().zip(objects.iter_mut()) {
            let mut map = Map::new();
            for (i, column) in columns.iter().enumerate() {
                let key = column.accessor.clone().unwrap_or_else(|| i.to_string());
                let rendered = column.render.as_ref().map(|r| r(row));
                let value = match rendered {
                    Some(v) if !v.is_null() => v,
                    _ => column
                        .accessor
                        .as_ref()
                        .and_then(|a| object.get(a).cloned())
                        .unwrap_or(Value::Null),
                };
                map.insert(key, value);
            }
            filters.push(filter_text(map.values()));
            menus.push(menu.map(|m| Value::Array(m(row).iter().map(MenuItem::to_value).collect())));
            cells.push(map);
        }
        let columns = columns
            .iter()
            .map(|c| match &c.accessor {
                Some(key) => json!({ "label": c.label, "accessorKey": key }),
                None => json!({ "label": c.label }),
            })
            .collect();
        Ok(Rows {
            columns,
            cells,
            filters,
            menus,
            key_offset,
            view: None,
        })
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// The wire form of row `i`.
    pub fn row(&self, i: usize) -> Value {
        let mut row = Map::new();
        row.insert(
            "key".into(),
            Value::String((i + self.key_offset).to_string()),
        );
        row.insert("data".into(), Value::Object(self.cells[i].clone()));
        if let Some(menu) = &self.menus[i] {
            row.insert("menu".into(), menu.clone());
        }
        Value::Object(row)
    }

    /// The indices matching `query`, sorted as asked (cached).
    pub fn order(&mut self, query: &TableQuery) -> &[u32] {
        let term = query.query_term.clone().unwrap_or_default().to_lowercase();
        let sort = match (&query.sort_column, query.sort_direction) {
            (Some(column), Some(direction)) => Some((column.clone(), direction)),
            _ => None,
        };
        let fresh = matches!(&self.view, Some(v) if v.query == term && v.sort == sort);
        if !fresh {
            let mut order: Vec<u32> = (0..self.cells.len() as u32)
                .filter(|&i| term.is_empty() || self.filters[i as usize].contains(&term))
                .collect();
            if let Some((column, direction)) = &sort {
                let keys: Vec<Option<SortKey>> = self
                    .cells
                    .iter()
                    .map(|c| c.get(column).and_then(SortKey::of))
                    .collect();
                order.sort_by(|&a, &b| {
                    let (a, b) = (&keys[a as usize], &keys[b as usize]);
                    match (a, b) {
                        (None, None) => Ordering::Equal,
                        (None, Some(_)) => Ordering::Greater,
                        (Some(_), None) => Ordering::Less,
                        (Some(a), Some(b)) => {
                            let o = a.cmp(b);
                            if *direction == SortDirection::Desc {
                                o.reverse()
                            } else {
                                o
                            }
                        }
                    }
                });
            }
            self.view = Some(View {
                query: term,
                sort,
                order,
            });
        }
        self.view
            .as_ref()
            .map(|v| v.order.as_slice())
            .unwrap_or(&[])
    }

    /// Puts in `props` (`data`, `totalRecords`) `count` of the rows `query`
    /// matches, sorted as it asks, from its `offset` (its `pageSize` is the
    /// caller's to weigh); returns the matching keys (for select-all).
    pub fn rows_into(&mut self, query: &TableQuery, count: usize, props: &mut Props) -> Vec<u32> {
        let order = self.order(query).to_vec();
        let rows: Vec<Value> = order
            .iter()
            .skip(query.offset)
            .take(count)
            .map(|&i| self.row(i as usize))
            .collect();
        props.insert("data".into(), Value::Array(rows));
        props.insert("totalRecords".into(), json!(order.len()));
        order
    }
}

/// The text a row is searched by: its cells, lower-cased.
pub(crate) fn filter_text<'a>(cells: impl Iterator<Item = &'a Value>) -> String {
    let mut parts = Vec::new();
    for cell in cells {
        match cell {
            Value::Null => {}
            Value::String(s) => parts.push(s.clone()),
            Value::Object(o) => {
                if let Some(v) = o.get("label").or_else(|| o.get("value")) {
                    if let Some(s) = v.as_str() {
                        parts.push(s.to_owned());
                    } else if !v.is_null() {
                        parts.push(v.to_string());
                    }
                }
            }
            other => parts.push(other.to_string()),
        }
    }
    parts.join(" ").to_lowercase()
}

/// A comparable cell.
#[derive(Debug, PartialEq)]
enum SortKey {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl SortKey {
    fn of(value: &Value) -> Option<SortKey> {
        match value {
            Value::Null => None,
            Value::Bool(b) => Some(SortKey::Bool(*b)),
            Value::Number(n) => n.as_f64().map(SortKey::Number),
            Value::String(s) => Some(SortKey::Text(s.clone())),
            // A rich cell sorts by its value when it has one (null: last).
            Value::Object(o) => o
                .get("value")
                .or_else(|| o.get("label"))
                .and_then(SortKey::of),
            Value::Array(_) => Some(SortKey::Text(value.to_string())),
        }
    }

    fn cmp(&self, other: &SortKey) -> Ordering {
        match (self, other) {
            (SortKey::Number(a), SortKey::Number(b)) => a.total_cmp(b),
            (SortKey::Bool(a), SortKey::Bool(b)) => a.cmp(b),
            (SortKey::Text(a), SortKey::Text(b)) => natural_cmp(a, b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            SortKey::Bool(_) => 0,
            SortKey::Number(_) => 1,
            SortKey::Text(_) => 2,
        }
    }
}

/// Case-insensitive comparison with runs of digits compared as numbers
/// ("item 2" < "item 10"), like `localeCompare` with `numeric: true`.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let digits = |it: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                    let mut s = String::new();
                    while let Some(c) = it.peek().copied().filter(char::is_ascii_digit) {
                        s.push(c);
                        it.next();
                    }
                    s.trim_start_matches('0').to_owned()
                };
                let (x, y) = (digits(&mut a), digits(&mut b));
                let o = x.len().cmp(&y.len()).then_with(|| x.cmp(&y));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some(x), Some(y)) => {
                let o = x.to_lowercase().cmp(y.to_lowercase());
                if o != Ordering::Equal {
                    return o;
                }
                a.next();
                b.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v = vec!["item 10", "Item 2", "item 1", "apple"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["apple", "item 1", "Item 2", "item 10"]);
    }

    #[test]
    fn a_display_state_gets_three_pages_at_most_500_rows() {
        assert_eq!(display_rows_for(20), 60);
        assert_eq!(display_rows_for(10), 30);
        assert_eq!(display_rows_for(166), 498);
        assert_eq!(display_rows_for(167), TABLE_DATA_BUFFER_SIZE);
        assert_eq!(display_rows_for(usize::MAX), TABLE_DATA_BUFFER_SIZE);
        assert_eq!(display_rows_for(0), 0, "Node's slice(offset, offset)");
    }

    #[test]
    fn filters_sorts_and_pages() {
        #[derive(Serialize)]
        struct R {
            name: String,
            n: Option<u32>,
        }
        let data: Vec<R> = (0..100)
            .map(|i| R {
                name: format!("user {i}"),
                n: (i % 10 != 0).then_some(i),
            })
            .collect();
        let mut rows = Rows::build(&data, &[], None, 0).unwrap();
        let mut props = Props::new();
        let q = TableQuery {
            query_term: Some("USER 1".into()),
            sort_column: Some("n".into()),
            sort_direction: Some(SortDirection::Desc),
            offset: 2,
            page_size: 3,
        };
        rows.rows_into(&q, q.page_size, &mut props);
        // user 1, user 10..19: 11 rows; n desc with null (user 10) last.
        assert_eq!(props["totalRecords"], 11);
        let names: Vec<_> = props["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["data"]["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["user 17", "user 16", "user 15"]);
    }
}
