//! `INPUT_SPREADSHEET` (§4.4, `io.experimental.spreadsheet`): an editable
//! grid with one typed column per entry of the `columns` prop (`string`,
//! `number`, `boolean`, each optionally `?`), the default rows filled in,
//! "Add row" and "Remove row N" buttons, and paste from a spreadsheet
//! (assets/sheet.js). Every cell is a labelled control ("Row 2 Amount").
//!
//! The script keeps the grid's cells in one hidden field as JSON, a list
//! of rows, each a list of cell texts in column order (`"true"`/`"false"`
//! for a checkbox, `""` for an empty cell); [`read`] turns that into the
//! rows as objects the host expects, refusing a value of the wrong type
//! with a message that names its row and column.

use interval_protocol::io::ComponentToRender;
use maud::{html, Markup};
use serde_json::{json, Map, Value};

use super::{help, text_of, Field};

/// The type of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text (`string`).
    Text,
    /// A number (`number`).
    Number,
    /// A checkbox (`boolean`).
    Boolean,
}

/// One column: its name (the key of the row objects), type, and whether a
/// cell may be left empty (`null`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The key in each row object, shown as the header.
    pub name: String,
    /// Its type.
    pub kind: Kind,
    /// `string?`, `number?`, `boolean?`: an empty cell is `null`.
    pub optional: bool,
}

/// The columns of a component, in the order the host declared them.
pub fn columns(props: &Value) -> Vec<Column> {
    let Some(columns) = props.get("columns").and_then(Value::as_object) else {
        return Vec::new();
    };
    columns
        .iter()
        .map(|(name, kind)| {
            let kind = kind.as_str().unwrap_or("string");
            Column {
                name: name.clone(),
                kind: match kind.trim_end_matches('?') {
                    "number" => Kind::Number,
                    "boolean" => Kind::Boolean,
                    _ => Kind::Text,
                },
                optional: kind.ends_with('?'),
            }
        })
        .collect()
}

/// The text of one cell of a default row, as the script would send it.
fn cell_text(column: &Column, value: Option<&Value>) -> String {
    match (column.kind, value) {
        (_, None | Some(Value::Null)) => String::new(),
        (Kind::Boolean, Some(Value::Bool(b))) => b.to_string(),
        (_, Some(value)) => text_of(value),
    }
}

/// The default rows as cell texts.
fn default_rows(field: Field<'_>, columns: &[Column]) -> Vec<Vec<String>> {
    let rows = field.prop("defaultValue").and_then(Value::as_array);
    rows.map(|rows| {
        rows.iter()
            .map(|row| {
                columns
                    .iter()
                    .map(|c| cell_text(c, row.get(&c.name)))
                    .collect()
            })
            .collect()
    })
    .unwrap_or_default()
}

/// One cell's control, named "Row `n` `column`" (the script renumbers).
fn cell(column: &Column, n: usize, text: &str) -> Markup {
    let name = format!("Row {n} {}", column.name);
    html! {
        @match (column.kind, column.optional) {
            (Kind::Boolean, false) => {
                input type="checkbox" aria-label=(name) data-column=(column.name)
                    checked[text == "true"];
            }
            (Kind::Boolean, true) => {
                select aria-label=(name) data-column=(column.name) {
                    option value="" selected[text.is_empty()] { "—" }
                    option value="true" selected[text == "true"] { "Yes" }
                    option value="false" selected[text == "false"] { "No" }
                }
            }
            (Kind::Number, _) => {
                input type="text" inputmode="decimal" autocomplete="off" aria-label=(name)
                    data-column=(column.name) value=(text);
            }
            (Kind::Text, _) => {
                input type="text" autocomplete="off" aria-label=(name)
                    data-column=(column.name) value=(text);
            }
        }
    }
}

/// One row: its number, its cells and its remove button.
fn row(columns: &[Column], n: usize, cells: &[String]) -> Markup {
    html! {
        tr data-sheet-row {
            th scope="row" data-row-number { (n) }
            @for (i, column) in columns.iter().enumerate() {
                td { (cell(column, n, cells.get(i).map(String::as_str).unwrap_or(""))) }
            }
            td {
                button.button.secondary type="button" data-sheet-remove {
                    "Remove" span.visually-hidden data-row-name { " row " (n) }
                }
            }
        }
    }
}

/// The grid.
pub fn spreadsheet(field: Field<'_>) -> Markup {
    let columns = columns(&field.component.props);
    let rows = default_rows(field, &columns);
    let label_id = format!("{}-label", field.id());
    let value = serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into());
    let blank = vec![String::new(); columns.len()];
    html! {
        div.field.sheet-field {
            span.label-text #(label_id) {
                (field.component.label)
                @if field.component.is_optional { " " span.optional { "(optional)" } }
            }
            (help(field))
            // Focusable, so that an error on the grid can take the focus.
            div.sheet #(field.id()) role="group" aria-labelledby=(label_id)
                aria-describedby=(format!("{}-paste {}", field.id(), field.described_by()))
                tabindex="-1" data-sheet {
                div.sheet-scroll {
                    table {
                        thead {
                            tr {
                                th scope="col" { span.visually-hidden { "Row" } }
                                @for column in &columns {
                                    th scope="col" {
                                        (column.name)
                                        @match column.kind {
                                            Kind::Number => span.column-type { " (number)" },
                                            Kind::Boolean => span.column-type { " (yes/no)" },
                                            Kind::Text => {},
                                        }
                                    }
                                }
                                th scope="col" { span.visually-hidden { "Remove" } }
                            }
                        }
                        tbody data-sheet-rows {
                            @for (i, cells) in rows.iter().enumerate() { (row(&columns, i + 1, cells)) }
                        }
                    }
                }
                template data-sheet-template { (row(&columns, 0, &blank)) }
                button.button.secondary type="button" data-sheet-add { "Add row" }
                p.help #(format!("{}-paste", field.id())) {
                    "Paste cells copied from a spreadsheet into any cell to fill the grid from there."
                }
                input type="hidden" name=(field.name()) value=(value) data-sheet-value;
            }
            (super::error(field))
        }
    }
}

/// At most this many rows are read (more is refused).
pub const MAX_ROWS: usize = 10_000;

/// The rows as objects from the grid's hidden field. Rows with every cell
/// empty (and every checkbox clear) are left out; `None` when no row is
/// left. A cell of the wrong type is refused, naming its row (as the grid
/// numbers it) and column.
pub fn read(component: &ComponentToRender, text: &str) -> Result<Option<Value>, String> {
    let columns = columns(&component.props);
    let rows: Vec<Vec<String>> = match text.trim() {
        "" => Vec::new(),
        text => serde_json::from_str(text).map_err(|_| "The grid could not be read.".to_owned())?,
    };
    if rows.len() > MAX_ROWS {
        return Err(format!("Enter at most {MAX_ROWS} rows."));
    }
    let mut records = Vec::new();
    for (i, cells) in rows.iter().enumerate() {
        let blank = |s: &String| s.trim().is_empty() || s == "false";
        if cells.iter().all(blank) {
            continue;
        }
        let mut record = Map::new();
        for (c, column) in columns.iter().enumerate() {
            let cell = cells.get(c).map(|s| s.trim()).unwrap_or_default();
            let at = format!("Row {}: {}", i + 1, column.name);
            let value = match (column.kind, cell.is_empty()) {
                (Kind::Boolean, true) if column.optional => Value::Null,
                (_, true) if column.optional => Value::Null,
                (Kind::Text, _) => Value::String(cell.to_owned()),
                (Kind::Boolean, _) => match cell.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "y" | "1" | "x" => Value::Bool(true),
                    "" | "false" | "no" | "n" | "0" => Value::Bool(false),
                    _ => {
                        return Err(format!(
                            "{at} must be yes or no (not \u{201c}{cell}\u{201d})."
                        ))
                    }
                },
                (Kind::Number, true) => return Err(format!("{at} needs a number.")),
                (Kind::Number, false) => number(cell).ok_or_else(|| {
                    format!("{at} must be a number (not \u{201c}{cell}\u{201d}).")
                })?,
            };
            record.insert(column.name.clone(), value);
        }
        records.push(Value::Object(record));
    }
    Ok((!records.is_empty()).then_some(Value::Array(records)))
}

/// Checks rows given as typed values (the typed dashboard API): a list of
/// objects whose values have their column's type (`null` in an optional
/// column).
pub fn check(component: &ComponentToRender, rows: &Value) -> Result<(), String> {
    let columns = columns(&component.props);
    let rows = rows.as_array().ok_or("Give the rows as a list.")?;
    for (i, row) in rows.iter().enumerate() {
        let row = row
            .as_object()
            .ok_or_else(|| format!("Row {}: give it as an object.", i + 1))?;
        for column in &columns {
            let fits = match (row.get(&column.name).unwrap_or(&Value::Null), column.kind) {
                (Value::Null, _) => column.optional,
                (Value::String(_), Kind::Text)
                | (Value::Number(_), Kind::Number)
                | (Value::Bool(_), Kind::Boolean) => true,
                _ => false,
            };
            if !fits {
                let kind = match column.kind {
                    Kind::Text => "text",
                    Kind::Number => "a number",
                    Kind::Boolean => "true or false",
                };
                return Err(format!("Row {}: {} must be {kind}.", i + 1, column.name));
            }
        }
    }
    Ok(())
}

/// A cell's number, as an integer when it is one (what JavaScript sends).
fn number(text: &str) -> Option<Value> {
    let n: f64 = text
        .replace(',', "")
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())?;
    Some(if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        json!(n as i64)
    } else {
        json!(n)
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{component, one};
    use super::*;

    fn sheet() -> ComponentToRender {
        component(
            "INPUT_SPREADSHEET",
            "Stock",
            json!({"columns": {"Item": "string", "Amount": "number", "Paid": "boolean", "Note": "string?"}}),
        )
    }

    #[test]
    fn a_grid_of_labelled_cells_with_the_default_rows() {
        let out = one(
            "INPUT_SPREADSHEET",
            "Stock",
            json!({"columns": {"Item": "string", "Amount": "number", "Paid": "boolean"},
                   "defaultValue": [{"Item": "Bolts", "Amount": 3, "Paid": true}]}),
        );
        assert!(out.contains(r#"aria-label="Row 1 Item""#), "{out}");
        assert!(out.contains(r#"value="Bolts""#) && out.contains(r#"value="3""#));
        assert!(out.contains(r#"aria-label="Row 1 Paid" data-column="Paid" checked"#));
        assert!(out.contains("Add row") && out.contains(" row 1"));
        assert!(out.contains(r#"value="[[&quot;Bolts&quot;,&quot;3&quot;,&quot;true&quot;]]""#));
        // Columns in the order the host declared them.
        assert!(out.find(">Item<").unwrap() < out.find(">Amount").unwrap());
    }

    #[test]
    fn typed_rows_with_blank_rows_left_out() {
        let rows = r#"[["Bolts","3","true",""],["","","false",""],["Nuts","1,200.5","false","x"]]"#;
        assert_eq!(
            read(&sheet(), rows),
            Ok(Some(json!([
                {"Item": "Bolts", "Amount": 3, "Paid": true, "Note": null},
                {"Item": "Nuts", "Amount": 1200.5, "Paid": false, "Note": "x"},
            ])))
        );
        assert_eq!(read(&sheet(), "[]"), Ok(None));
        assert_eq!(
            read(&sheet(), r#"[["a","1","false",""],["b","abc","false",""]]"#),
            Err("Row 2: Amount must be a number (not \u{201c}abc\u{201d}).".into())
        );
        assert_eq!(
            read(&sheet(), r#"[["a","","false",""]]"#),
            Err("Row 1: Amount needs a number.".into())
        );
        assert!(read(&sheet(), "a, 1").is_err());
    }

    #[test]
    fn typed_rows_are_checked_against_their_columns() {
        let good = json!([{"Item": "a", "Amount": 1, "Paid": false, "Note": null}]);
        assert_eq!(check(&sheet(), &good), Ok(()));
        let bad = json!([{"Item": "a", "Amount": "1", "Paid": false}]);
        assert_eq!(
            check(&sheet(), &bad),
            Err("Row 1: Amount must be a number.".into())
        );
        assert!(check(&sheet(), &json!({"Item": "a"})).is_err());
    }
}
