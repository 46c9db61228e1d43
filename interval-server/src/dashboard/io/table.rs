//! Tables and grids (§4.3, §4.4): `DISPLAY_TABLE`, `SELECT_TABLE` and
//! `DISPLAY_GRID`. Search, sorting and paging are asked of the host with
//! `SET_STATE`, and the rows shown are the ones the host sent for that
//! state (they start at the state's `offset`); except that a table whose
//! rows were all sent is sorted and paged here ([`super::rows`]).

use maud::{html, Markup};
use serde_json::{json, Map, Value};

use super::{dates, help, menu_items, rows, text_of, Field};
use crate::dashboard::routes::target_href;
use crate::dashboard::sanitize;

/// The page size when the host gives none.
pub const DEFAULT_PAGE_SIZE: u64 = 20;

/// The state shown: the last one the dashboard sent, else the first page.
pub fn current_state(field: &Field<'_>) -> Map<String, Value> {
    let mut state = Map::new();
    state.insert("offset".into(), json!(0));
    state.insert(
        "pageSize".into(),
        json!(field
            .num("defaultPageSize")
            .map(|n| n as u64)
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_PAGE_SIZE)),
    );
    if field.component.method_name == "SELECT_TABLE" {
        state.insert("isSelectAll".into(), json!(false));
    }
    if let Some(Value::Object(sent)) = field.state {
        for (k, v) in sent {
            state.insert(k.clone(), v.clone());
        }
    }
    state
}

fn number(state: &Map<String, Value>, key: &str) -> u64 {
    state.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// The columns: `(label, cell key)`.
fn columns(field: &Field<'_>, rows: &[Value]) -> Vec<(String, String)> {
    match field.prop("columns").and_then(Value::as_array) {
        Some(columns) => columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let label = c.get("label").map(text_of).unwrap_or_default();
                let key = c
                    .get("accessorKey")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| i.to_string());
                (label, key)
            })
            .collect(),
        None => {
            let mut keys: Vec<String> = Vec::new();
            for row in rows {
                if let Some(data) = row.get("data").and_then(Value::as_object) {
                    for k in data.keys() {
                        if !keys.contains(k) {
                            keys.push(k.clone());
                        }
                    }
                }
            }
            keys.into_iter().map(|k| (k.clone(), k)).collect()
        }
    }
}

/// One table cell (§4.2 `tableCell`).
pub fn cell(value: &Value) -> Markup {
    let Value::Object(object) = value else {
        return dates::value_text(value);
    };
    let text = object
        .get("label")
        .or_else(|| object.get("value"))
        .map(dates::value_text)
        .unwrap_or_default();
    let image = object
        .get("image")
        .and_then(|i| i.get("url"))
        .and_then(Value::as_str)
        .and_then(sanitize::media_url);
    let highlight = object
        .get("highlightColor")
        .and_then(Value::as_str)
        .filter(|c| {
            matches!(
                *c,
                "red" | "orange" | "yellow" | "green" | "blue" | "purple" | "pink" | "gray"
            )
        });
    let inner = html! {
        @if let Some(src) = image {
            img.cell-image src=(src)
                alt=(object.get("image").and_then(|i| i.get("alt")).and_then(Value::as_str).unwrap_or(""));
        }
        @if let Some(color) = highlight { span class=(format!("highlight {color}")) { (text) } }
        @else { (text) }
    };
    match target_href(value) {
        Some((href, true)) => {
            html! { a href=(href) target="_blank" rel="noopener noreferrer" { (inner) } }
        }
        Some((href, false)) => html! { a href=(href) { (inner) } },
        None => inner,
    }
}

/// The search box, shared by tables and grids.
fn search_box(field: &Field<'_>, state: &Map<String, Value>) -> Markup {
    let id = format!("{}-search", field.id());
    let query = state
        .get("queryTerm")
        .and_then(Value::as_str)
        .unwrap_or_default();
    html! {
        div.table-search {
            label.visually-hidden for=(id) { "Search " (field.component.label) }
            input #(id) type="search" value=(query) placeholder="Search" data-table-search
                autocomplete="off";
        }
    }
}

/// Previous / next, with the range shown.
fn pager(field: &Field<'_>, state: &Map<String, Value>, shown: usize, total: u64) -> Markup {
    let offset = number(state, "offset");
    let size = number(state, "pageSize").max(1);
    let last = offset + shown as u64;
    html! {
        nav.pager aria-label=(format!("Pages of {}", field.component.label)) {
            span.range aria-live="polite" {
                @if shown == 0 { "No records" }
                @else { (offset + 1) "–" (last) " of " (total) }
            }
            button.button.secondary #(format!("{}-previous", field.id())) type="button" disabled[offset == 0] aria-label="Previous page"
                data-set=(json!({"offset": offset.saturating_sub(size)}).to_string()) { "Previous" }
            button.button.secondary #(format!("{}-next", field.id())) type="button" disabled[last >= total] aria-label="Next page"
                data-set=(json!({"offset": offset + size}).to_string()) { "Next" }
        }
    }
}

/// The rows the host sent, the page of them to show, and the total count.
/// When the host sent every row ([`rows::is_complete`]), the page is cut
/// here from the rows sorted as the state asks; otherwise the host sorted
/// them and its rows start at the state's `offset` (it may send more than
/// a page).
fn page_of<'f>(
    field: &'f Field<'_>,
    state: &Map<String, Value>,
) -> (&'f [Value], Vec<&'f Value>, u64) {
    let all: &'f [Value] = field
        .prop("data")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let size = number(state, "pageSize").max(1) as usize;
    if rows::is_complete(field.component) {
        let offset = number(state, "offset") as usize;
        let sorted = rows::sorted(
            all,
            state.get("sortColumn").and_then(Value::as_str),
            state.get("sortDirection").and_then(Value::as_str),
        );
        let page = sorted.into_iter().skip(offset).take(size).collect();
        return (all, page, all.len() as u64);
    }
    let page = all.iter().take(size).collect();
    let total = field
        .num("totalRecords")
        .map(|t| t as u64)
        .unwrap_or(number(state, "offset") + all.len() as u64);
    (all, page, total)
}

/// A row's key: the one the host gave, else its position.
fn row_key(n: usize, row: &Value) -> String {
    row.get("key").map(text_of).unwrap_or_else(|| n.to_string())
}

/// The checkbox selecting every row of the page shown (the script keeps
/// it in step with the selection). Disabled when that would select more
/// than `maxSelections`, counting rows already selected on other pages.
fn select_all(field: &Field<'_>, rows: &[&Value], selected: &[String]) -> Markup {
    let id = format!("{}-all", field.id());
    let keys: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(n, r)| row_key(n, r))
        .collect();
    let unselected = keys.iter().filter(|k| !selected.contains(k)).count();
    let all = !keys.is_empty() && unselected == 0;
    let max = field.num("maxSelections").map(|m| m as usize);
    let too_many = max.is_some_and(|m| selected.len() + unselected > m);
    html! {
        input #(id) type="checkbox" data-select-all data-max-selections=[max] checked[all]
            disabled[field.flag("disabled") || keys.is_empty() || (!all && too_many)];
        label.visually-hidden for=(id) { "Select all rows on this page" }
    }
}

/// `DISPLAY_TABLE` and `SELECT_TABLE`.
pub fn table(field: Field<'_>) -> Markup {
    let select = field.component.method_name == "SELECT_TABLE";
    let state = current_state(&field);
    let (all_rows, rows, total) = page_of(&field, &state);
    let columns = columns(&field, all_rows);
    let sortable = field
        .prop("isSortable")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let filterable = field
        .prop("isFilterable")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let has_menus = rows
        .iter()
        .any(|r| r.get("menu").is_some_and(|m| !m.is_null()));
    let selected: Vec<String> = field
        .prop("selectedKeys")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().map(text_of).collect())
        .unwrap_or_default();
    let sort_column = state.get("sortColumn").and_then(Value::as_str);
    let sort_direction = state.get("sortDirection").and_then(Value::as_str);
    let needs_data = field.flag("isAsync") && field.state.is_none();
    let vertical = field.str("orientation") == Some("vertical");
    html! {
        section.table.field data-index=(field.index) data-state=(Value::Object(state.clone()).to_string())
            data-init[needs_data] aria-labelledby=(format!("{}-label", field.id())) {
            div.table-head {
                h2.table-title #(format!("{}-label", field.id())) {
                    (field.component.label)
                    @if select && field.component.is_optional { " " span.optional { "(optional)" } }
                }
                @if filterable { (search_box(&field, &state)) }
            }
            (help(field))
            @if select {
                input type="hidden" name=(field.name()) data-selection
                    value=(Value::from(selected.clone()).to_string());
            }
            div.table-scroll {
                @if vertical {
                    table {
                        tbody {
                            @for (label, key) in &columns {
                                tr {
                                    th scope="row" { (label) }
                                    @for row in &rows { td { (cell(row.get("data").and_then(|d| d.get(key)).unwrap_or(&Value::Null))) } }
                                }
                            }
                        }
                    }
                } @else {
                    table {
                        thead {
                            tr {
                                @if select { th.select-cell scope="col" { (select_all(&field, &rows, &selected)) } }
                                @for (i, (label, key)) in columns.iter().enumerate() {
                                    @let sorted = (sort_column == Some(key.as_str())).then_some(sort_direction).flatten();
                                    @let aria = match sorted { Some("asc") => "ascending", Some("desc") => "descending", _ => "none" };
                                    @let next = match sorted {
                                        Some("asc") => json!({"sortColumn": key, "sortDirection": "desc", "offset": 0}),
                                        Some("desc") => json!({"sortColumn": null, "sortDirection": null, "offset": 0}),
                                        _ => json!({"sortColumn": key, "sortDirection": "asc", "offset": 0}),
                                    };
                                    th scope="col" aria-sort=(aria) {
                                        @if sortable {
                                            button.sort #(format!("{}-sort-{i}", field.id())) type="button" data-set=(next.to_string()) {
                                                (label)
                                                span.sort-mark aria-hidden="true" {
                                                    @match sorted { Some("asc") => "▲", Some("desc") => "▼", _ => "" }
                                                }
                                            }
                                        } @else { (label) }
                                    }
                                }
                                @if has_menus { th scope="col" { span.visually-hidden { "Actions" } } }
                            }
                        }
                        tbody {
                            @for (n, row) in rows.iter().enumerate() {
                                @let key = row_key(n, row);
                                @let data = row.get("data");
                                tr {
                                    @if select {
                                        @let id = format!("{}-row-{key}", field.id());
                                        td.select-cell {
                                            input #(id) type="checkbox" data-select=(key)
                                                checked[selected.contains(&key)] disabled[field.flag("disabled")];
                                            label.visually-hidden for=(id) {
                                                "Select " (columns.first().and_then(|(_, k)| data.and_then(|d| d.get(k))).map(text_of).unwrap_or(key.clone()))
                                            }
                                        }
                                    }
                                    @for (_, column) in &columns {
                                        td { (cell(data.and_then(|d| d.get(column)).unwrap_or(&Value::Null))) }
                                    }
                                    @if has_menus {
                                        td.row-menu {
                                            @if let Some(items) = row.get("menu").and_then(Value::as_array) { (menu_items(items)) }
                                        }
                                    }
                                }
                            }
                            @if rows.is_empty() {
                                tr { td.empty colspan=(columns.len() + usize::from(select) + usize::from(has_menus)) { "No records found." } }
                            }
                        }
                    }
                }
            }
            (pager(&field, &state, rows.len(), total))
            (super::error(field))
        }
    }
}

/// `DISPLAY_GRID`: cards with an image, a title, a description and links.
pub fn grid(field: Field<'_>) -> Markup {
    let state = current_state(&field);
    let (_, items, total) = page_of(&field, &state);
    let needs_data = field.flag("isAsync") && field.state.is_none();
    let filterable = field
        .prop("isFilterable")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    html! {
        section.grid-view.field data-index=(field.index) data-state=(Value::Object(state.clone()).to_string())
            data-init[needs_data] aria-labelledby=(format!("{}-label", field.id())) {
            div.table-head {
                h2.table-title #(format!("{}-label", field.id())) { (field.component.label) }
                @if filterable { (search_box(&field, &state)) }
            }
            (help(field))
            ul.grid {
                @for item in &items {
                    @let data = item.get("data").unwrap_or(&Value::Null);
                    @let title = data.get("label").or_else(|| data.get("title")).map(text_of).unwrap_or_default();
                    li.card {
                        @if let Some(image) = data.get("image") { (card_image(image)) }
                        div.card-body {
                            @match target_href(data) {
                                Some((href, external)) => {
                                    a.card-title href=(href) target=[external.then_some("_blank")]
                                        rel=[external.then_some("noopener noreferrer")] { (title) }
                                }
                                None => { span.card-title { (title) } }
                            }
                            @if let Some(description) = data.get("description").and_then(Value::as_str) {
                                p.card-description { (description) }
                            }
                            @if let Some(menu) = data.get("menu").and_then(Value::as_array) {
                                div.card-menu { (menu_items(menu)) }
                            }
                        }
                    }
                }
            }
            @if items.is_empty() { p.empty { "No items found." } }
            (pager(&field, &state, items.len(), total))
        }
    }
}

/// A grid card's image: its URL if safe, its alt text, `fit` (cover or
/// contain) as a class, `aspectRatio` (width / height) as
/// `data-aspect-ratio`, which the script applies (the policy allows no
/// inline style); without one, the stylesheet's 4 / 3.
fn card_image(image: &Value) -> Markup {
    let Some(src) = image
        .get("url")
        .and_then(Value::as_str)
        .and_then(sanitize::media_url)
    else {
        return html! {};
    };
    let alt = image.get("alt").and_then(Value::as_str).unwrap_or("");
    let contain = image.get("fit").and_then(Value::as_str) == Some("contain");
    let ratio = image
        .get("aspectRatio")
        .and_then(Value::as_f64)
        .filter(|r| r.is_finite() && *r > 0.0)
        .map(|r| r.clamp(0.05, 20.0));
    html! {
        img.card-image.contain[contain] src=(src) alt=(alt) data-aspect-ratio=[ratio];
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::component;
    use super::super::{component as render, Field};
    use serde_json::json;

    fn rows(from: usize, n: usize) -> serde_json::Value {
        json!((from..from + n)
            .map(
                |i| json!({"key": i.to_string(), "data": {"email": format!("user{i}@example.com")}})
            )
            .collect::<Vec<_>>())
    }

    #[test]
    fn a_page_of_rows_with_search_sort_and_paging() {
        let c = component(
            "DISPLAY_TABLE",
            "Users",
            json!({"columns": [{"label": "Email", "accessorKey": "email"}],
                   "data": rows(10, 30), "totalRecords": 1000, "defaultPageSize": 10}),
        );
        let state =
            json!({"offset": 10, "pageSize": 10, "sortColumn": "email", "sortDirection": "asc"});
        let out = render(Field {
            prefix: "",
            index: 0,
            component: &c,
            state: Some(&state),
        })
        .into_string();
        assert!(out.contains("user10@example.com") && out.contains("user19@example.com"));
        assert!(!out.contains("user20@example.com"), "one page only");
        assert!(out.contains("11–20 of 1000"), "{out}");
        assert!(out.contains(r#"aria-sort="ascending""#));
        assert!(
            out.contains(r#"data-set="{&quot;offset&quot;:20}""#),
            "{out}"
        );
        assert!(
            out.contains(r#"<label class="visually-hidden" for="c0-search">Search Users</label>"#)
        );
    }

    #[test]
    fn select_tables_carry_the_selection() {
        let c = component(
            "SELECT_TABLE",
            "Pick",
            json!({"columns": [{"label": "Email", "accessorKey": "email"}],
                   "data": rows(0, 2), "selectedKeys": ["1"]}),
        );
        let out = render(Field {
            prefix: "",
            index: 0,
            component: &c,
            state: None,
        })
        .into_string();
        assert!(
            out.contains(r#"name="c0" data-selection value="[&quot;1&quot;]""#),
            "{out}"
        );
        assert!(out.contains(r#"data-select="1" checked"#));
        assert!(out.contains("Select user0@example.com"));
    }

    #[test]
    fn select_all_respects_max_selections() {
        let select_all = |props: serde_json::Value| {
            let c = component("SELECT_TABLE", "Pick", props);
            let out = render(Field {
                prefix: "",
                index: 0,
                component: &c,
                state: None,
            })
            .into_string();
            let start = out.find(r#"<input id="c0-all""#).expect("a select-all box");
            let end = start + out[start..].find('>').unwrap();
            assert!(
                out.contains(r#"<label class="visually-hidden" for="c0-all">Select all rows on this page</label>"#),
                "{out}"
            );
            out[start..=end].to_owned()
        };
        let boxed = select_all(json!({"data": rows(0, 2), "selectedKeys": ["1"]}));
        assert!(
            !boxed.contains("checked") && !boxed.contains("disabled"),
            "{boxed}"
        );
        let boxed =
            select_all(json!({"data": rows(0, 2), "selectedKeys": ["1"], "maxSelections": 2}));
        assert!(!boxed.contains("disabled"), "{boxed}");
        // Every row of the page plus one selected elsewhere: one too many.
        let boxed =
            select_all(json!({"data": rows(0, 2), "selectedKeys": ["9"], "maxSelections": 2}));
        assert!(boxed.contains("disabled"), "{boxed}");
        // All selected already: it can still clear them.
        let boxed =
            select_all(json!({"data": rows(0, 2), "selectedKeys": ["0", "1"], "maxSelections": 1}));
        assert!(
            boxed.contains("checked") && !boxed.contains("disabled"),
            "{boxed}"
        );
        let boxed = select_all(json!({"data": [], "selectedKeys": []}));
        assert!(boxed.contains("disabled"), "{boxed}");
    }

    #[test]
    fn cells_and_grids() {
        let out =
            super::cell(&json!({"label": "Docs", "url": "javascript:alert(1)"})).into_string();
        assert_eq!(out, "Docs");
        let out = super::cell(&json!({"label": "Ada", "route": "users/view", "params": {"id": 1}}))
            .into_string();
        assert_eq!(out, r#"<a href="/actions/users/view?id=1">Ada</a>"#);
        let c = component(
            "DISPLAY_GRID",
            "Photos",
            json!({"data": [{"key": "0", "data": {"label": "Cat", "image": {"url": "https://x/c.png", "alt": "a cat"}}}]}),
        );
        let out = render(Field {
            prefix: "",
            index: 0,
            component: &c,
            state: None,
        })
        .into_string();
        assert!(
            out.contains(r#"<img class="card-image" src="https://x/c.png" alt="a cat">"#)
                && out.contains("Cat"),
            "{out}"
        );
        let c = component(
            "DISPLAY_GRID",
            "Photos",
            json!({"data": [{"key": "0", "data": {"label": "Cat", "image": {
                "url": "https://x/c.png", "alt": "a cat", "fit": "contain", "aspectRatio": 1.5
            }}}]}),
        );
        let out = render(Field {
            prefix: "",
            index: 0,
            component: &c,
            state: None,
        })
        .into_string();
        assert!(
            out.contains(r#"<img class="card-image contain" src="https://x/c.png" alt="a cat" data-aspect-ratio="1.5">"#),
            "{out}"
        );
    }
}
