//! Tables and grids whose rows were all sent: sorted and paged here, as
//! Interval's dashboard does in the browser (`isFullTableInMemory`), without
//! asking the host. Search still goes to the host (it alone knows what a row
//! matches), as with Interval.
//!
//! A table is complete when it is not async (no `getData`) and the host sent
//! as many rows as `totalRecords` (or sent no count, as SDKs before
//! `totalRecords` did). The host's rows then start at the first row: an SDK
//! slices from the state's `offset`, so a slice from further on is shorter
//! than the count.

use std::cmp::Ordering;

use interval_protocol::io::ComponentToRender;
use serde_json::{Map, Value};

use super::dates;

/// Whether every row of `component` (a table or a grid) is in its props.
pub fn is_complete(component: &ComponentToRender) -> bool {
    let props = &component.props;
    if props.get("isAsync").and_then(Value::as_bool) == Some(true) {
        return false;
    }
    let Some(rows) = props.get("data").and_then(Value::as_array) else {
        return false;
    };
    match props.get("totalRecords").and_then(Value::as_u64) {
        Some(total) => rows.len() as u64 >= total,
        None => true,
    }
}

/// Whether the move from state `before` to `after` can be shown from the
/// rows in hand: the search and the "select all" request stay the same (a
/// new search is the host's to answer).
pub fn is_local_change(before: &Map<String, Value>, after: &Value) -> bool {
    let term = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    term(before.get("queryTerm")) == term(after.get("queryTerm"))
        && after.get("isSelectAll").and_then(Value::as_bool) != Some(true)
}

/// How a cell sorts: booleans, then numbers, then dates, then text; an
/// empty cell last whatever the direction.
#[derive(Debug, PartialEq)]
enum SortKey {
    Bool(bool),
    Number(f64),
    /// A date string in its canonical form, which sorts as its time does.
    Date(String),
    Text(String),
}

impl SortKey {
    fn of(value: &Value) -> Option<SortKey> {
        match value {
            Value::Null => None,
            Value::Bool(b) => Some(SortKey::Bool(*b)),
            Value::Number(n) => n.as_f64().map(SortKey::Number),
            Value::String(s) if dates::is_date(s) => Some(SortKey::Date(s.clone())),
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(SortKey::Text(s.to_lowercase())),
            // A rich cell sorts by its value, else by its label.
            Value::Object(o) => o
                .get("value")
                .filter(|v| !v.is_null())
                .or_else(|| o.get("label"))
                .and_then(SortKey::of),
            Value::Array(_) => Some(SortKey::Text(value.to_string().to_lowercase())),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            SortKey::Bool(_) => 0,
            SortKey::Number(_) => 1,
            SortKey::Date(_) => 2,
            SortKey::Text(_) => 3,
        }
    }

    fn cmp(&self, other: &SortKey) -> Ordering {
        match (self, other) {
            (SortKey::Bool(a), SortKey::Bool(b)) => a.cmp(b),
            (SortKey::Number(a), SortKey::Number(b)) => a.total_cmp(b),
            (SortKey::Date(a), SortKey::Date(b)) => a.cmp(b),
            (SortKey::Text(a), SortKey::Text(b)) => natural_cmp(a, b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

/// Text order with runs of digits compared as numbers ("item 2" before
/// "item 10"), as the SDKs sort (`localeCompare` with `numeric: true`).
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let number = |it: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                    let mut digits = String::new();
                    while let Some(c) = it.next_if(char::is_ascii_digit) {
                        digits.push(c);
                    }
                    digits.trim_start_matches('0').to_owned()
                };
                let (x, y) = (number(&mut a), number(&mut b));
                let o = x.len().cmp(&y.len()).then_with(|| x.cmp(&y));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                a.next();
                b.next();
            }
        }
    }
}

/// A row's position in the host's data: its numeric key.
fn original_position(row: &Value) -> Option<u64> {
    match row.get("key")? {
        Value::String(s) => s.parse().ok(),
        other => other.as_u64(),
    }
}

/// `rows` sorted by the cells of `column` (`"asc"` or `"desc"`); without a
/// column or a direction, in the host's order (by row key).
pub fn sorted<'a>(
    rows: &'a [Value],
    column: Option<&str>,
    direction: Option<&str>,
) -> Vec<&'a Value> {
    let mut out: Vec<&Value> = rows.iter().collect();
    match (column, direction) {
        (Some(column), Some(direction @ ("asc" | "desc"))) => {
            let key = |row: &Value| {
                row.get("data")
                    .and_then(|d| d.get(column))
                    .and_then(SortKey::of)
            };
            let mut keyed: Vec<(Option<SortKey>, &Value)> =
                out.into_iter().map(|r| (key(r), r)).collect();
            keyed.sort_by(|(a, _), (b, _)| match (a, b) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) if direction == "desc" => b.cmp(a),
                (Some(a), Some(b)) => a.cmp(b),
            });
            keyed.into_iter().map(|(_, r)| r).collect()
        }
        _ => {
            // Stable: rows without a numeric key keep their place.
            out.sort_by_key(|r| original_position(r).unwrap_or(u64::MAX));
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::io::testing::component;
    use serde_json::json;

    fn rows() -> Vec<Value> {
        json!([
            {"key": "0", "data": {"name": "bob", "n": 10, "at": "2024-03-01T12:00:00.000Z"}},
            {"key": "1", "data": {"name": "Alice", "n": 9, "at": "2023-12-31T23:00:00.000Z"}},
            {"key": "2", "data": {"name": "carol 10", "n": 100, "at": null}},
            {"key": "3", "data": {"name": "Carol 9", "n": {"label": "one", "value": 1}, "at": "2024-01-15T08:30:00.000Z"}},
        ])
        .as_array()
        .unwrap()
        .clone()
    }

    fn names(rows: &[&Value], column: &str) -> Vec<String> {
        rows.iter().map(|r| r["data"][column].to_string()).collect()
    }

    #[test]
    fn numbers_by_value_dates_by_time_text_ignoring_case() {
        let rows = rows();
        let by = |c, d| names(&sorted(&rows, Some(c), Some(d)), "name");
        assert_eq!(
            by("n", "asc"),
            [r#""Carol 9""#, r#""Alice""#, r#""bob""#, r#""carol 10""#]
        );
        assert_eq!(
            by("name", "asc"),
            [r#""Alice""#, r#""bob""#, r#""Carol 9""#, r#""carol 10""#]
        );
        assert_eq!(
            by("name", "desc"),
            [r#""carol 10""#, r#""Carol 9""#, r#""bob""#, r#""Alice""#]
        );
        // The empty cell stays last either way.
        assert_eq!(
            by("at", "asc"),
            [r#""Alice""#, r#""Carol 9""#, r#""bob""#, r#""carol 10""#]
        );
        assert_eq!(
            by("at", "desc"),
            [r#""bob""#, r#""Carol 9""#, r#""Alice""#, r#""carol 10""#]
        );
        // No sort: the host's order.
        let mut shuffled = rows.clone();
        shuffled.reverse();
        assert_eq!(names(&sorted(&shuffled, None, None), "n")[0], "10");
    }

    #[test]
    fn complete_tables_and_local_changes() {
        let table = |props| component("DISPLAY_TABLE", "T", props);
        assert!(is_complete(&table(
            json!({"data": rows(), "totalRecords": 4})
        )));
        assert!(is_complete(&table(json!({"data": rows()}))));
        assert!(!is_complete(&table(
            json!({"data": rows(), "totalRecords": 40})
        )));
        assert!(!is_complete(&table(
            json!({"data": rows(), "totalRecords": 4, "isAsync": true})
        )));
        let before = json!({"queryTerm": "a", "offset": 0})
            .as_object()
            .unwrap()
            .clone();
        assert!(is_local_change(
            &before,
            &json!({"queryTerm": "a", "sortColumn": "n", "offset": 0})
        ));
        assert!(!is_local_change(
            &before,
            &json!({"queryTerm": "ab", "offset": 0})
        ));
        assert!(!is_local_change(
            &before,
            &json!({"queryTerm": "a", "isSelectAll": true})
        ));
    }
}
