//! `io.display().table` (`DISPLAY_TABLE`): rows paged, sorted and searched
//! on the host, or fetched page by page with `table_async`.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::call::{DisplayKind, Groupable, IoCall};
use super::component::{Behavior, LocalFuture, Props};
use super::display::Displays;
use super::table::{display_rows_for, TABLE_DATA_BUFFER_SIZE};
use super::table::{Column, RowMenu, Rows, TablePage, TableQuery};
use crate::future::BoxFuture;
use crate::menu::MenuItem;

/// Marker of `io.display().table` (`DISPLAY_TABLE`) over rows of type `T`.
#[derive(Debug)]
pub struct DisplayTable<T>(PhantomData<fn() -> T>);
impl<T> Groupable for DisplayTable<T> {}
impl<T> DisplayKind for DisplayTable<T> {}

impl Displays<'_> {
    /// A table of `rows` (any `Serialize` type). As Node's SDK, the host
    /// sends the first 500 rows at once (a dashboard that has every row
    /// pages and sorts them itself) and answers the dashboard's searches,
    /// and its pages and sorts of larger tables, with up to three pages of
    /// rows (at most 500).
    pub fn table<T: Serialize + Send + 'static>(
        &self,
        label: impl Into<String>,
        rows: impl IntoIterator<Item = T>,
    ) -> IoCall<DisplayTable<T>, ()> {
        self.with(
            "DISPLAY_TABLE",
            label,
            TableBehavior {
                data: rows.into_iter().collect(),
                columns: Vec::new(),
                menu: None,
                rows: None,
            },
        )
    }

    /// A table whose rows come from `get_data`, called with each state the
    /// browser sends (`offset`, `pageSize`, search and sort), as Node's
    /// `getData`: the rows it returns are sent as they are, keyed from
    /// `offset`.
    pub fn table_async<T, F, Fut, E>(
        &self,
        label: impl Into<String>,
        get_data: F,
    ) -> IoCall<DisplayTable<T>, ()>
    where
        T: Serialize + Send + 'static,
        F: Fn(TableQuery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<TablePage<T>, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        let get_data: GetData<T> = Arc::new(move |query| {
            let fut = get_data(query);
            Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
        });
        self.with(
            "DISPLAY_TABLE",
            label,
            AsyncTableBehavior {
                get_data,
                columns: Vec::new(),
                menu: None,
            },
        )
    }
}

/// `DISPLAY_TABLE` over rows held by the host.
pub(super) struct TableBehavior<T> {
    pub data: Vec<T>,
    pub columns: Vec<Column<T>>,
    pub menu: Option<RowMenu<T>>,
    pub rows: Option<Rows>,
}

impl<T: Serialize + Send + 'static> Behavior<()> for TableBehavior<T> {
    fn init(&mut self, props: &mut Props) -> Result<(), String> {
        let mut rows = Rows::build(&self.data, &self.columns, self.menu.as_ref(), 0)?;
        props.insert("columns".into(), Value::Array(rows.columns.clone()));
        // As Node's: the first 500 rows, `totalRecords` all of them.
        rows.rows_into(&TableQuery::default(), TABLE_DATA_BUFFER_SIZE, props);
        props.insert("isAsync".into(), Value::Bool(false));
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
            let query: TableQuery = serde_json::from_value(state).map_err(|e| e.to_string())?;
            let rows = self.rows.as_mut().ok_or("the table was not rendered")?;
            // As Node's: the page asked for and the next two, at most 500.
            rows.rows_into(&query, display_rows_for(query.page_size), props);
            Ok(())
        })
    }

    fn parse(&mut self, _value: Value) -> Result<(), String> {
        Ok(())
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

type GetData<T> = Arc<dyn Fn(TableQuery) -> BoxFuture<Result<TablePage<T>, String>> + Send + Sync>;

/// `DISPLAY_TABLE` whose rows come from a function, page by page.
pub(super) struct AsyncTableBehavior<T> {
    get_data: GetData<T>,
    pub columns: Vec<Column<T>>,
    pub menu: Option<RowMenu<T>>,
}

impl<T: Serialize + Send + 'static> Behavior<()> for AsyncTableBehavior<T> {
    fn init(&mut self, props: &mut Props) -> Result<(), String> {
        let columns = Rows::build::<T>(&[], &self.columns, None, 0)?.columns;
        props.insert("columns".into(), Value::Array(columns));
        props.insert("data".into(), Value::Array(Vec::new()));
        props.insert("isAsync".into(), Value::Bool(true));
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
            let query: TableQuery = serde_json::from_value(state).map_err(|e| e.to_string())?;
            let page = (self.get_data)(query.clone()).await?;
            // As Node's: every row returned, none cut off.
            let rows = Rows::build(&page.data, &self.columns, self.menu.as_ref(), query.offset)?;
            props.insert("columns".into(), Value::Array(rows.columns.clone()));
            props.insert(
                "data".into(),
                Value::Array((0..rows.len()).map(|i| rows.row(i)).collect()),
            );
            match page.total_records {
                Some(total) => props.insert("totalRecords".into(), json!(total)),
                None => props.remove("totalRecords"),
            };
            Ok(())
        })
    }

    fn parse(&mut self, _value: Value) -> Result<(), String> {
        Ok(())
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

impl<T: Serialize + Send + 'static, O: Send + 'static> IoCall<DisplayTable<T>, O> {
    /// The columns, in order (default: one per field of the rows).
    pub fn columns<C: Into<Column<T>>>(mut self, columns: impl IntoIterator<Item = C>) -> Self {
        let columns: Vec<Column<T>> = columns.into_iter().map(Into::into).collect();
        if let Some(t) = self.field.behavior_mut::<TableBehavior<T>>() {
            t.columns = columns;
        } else if let Some(t) = self.field.behavior_mut::<AsyncTableBehavior<T>>() {
            t.columns = columns;
        }
        self
    }

    /// A menu of actions per row.
    pub fn row_menu(mut self, menu: impl Fn(&T) -> Vec<MenuItem> + Send + Sync + 'static) -> Self {
        let menu: RowMenu<T> = Arc::new(menu);
        if let Some(t) = self.field.behavior_mut::<TableBehavior<T>>() {
            t.menu = Some(menu);
        } else if let Some(t) = self.field.behavior_mut::<AsyncTableBehavior<T>>() {
            t.menu = Some(menu);
        }
        self
    }

    /// Help text under the table.
    pub fn help_text(self, text: impl Into<String>) -> Self {
        self.prop("helpText", text.into())
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

    /// Shows rows as columns.
    pub fn vertical(self) -> Self {
        self.prop("orientation", "vertical")
    }
}
