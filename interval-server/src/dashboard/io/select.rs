//! Choosing among options (§4.4): `SELECT_SINGLE` (a native select, or a
//! combobox when searchable), `SELECT_MULTIPLE` (checkboxes) and `SEARCH`
//! (a combobox whose results come from the host through `SET_STATE`).

use maud::{html, Markup};
use serde_json::Value;

use super::combobox::{combobox, option_body, Item, Kind};
use super::{grouped, labelled, text_of, Field};

/// The `options` of a select.
pub fn options<'a>(field: &Field<'a>) -> &'a [Value] {
    field
        .component
        .props
        .get("options")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn same_value(a: &Value, b: &Value) -> bool {
    a.get("value") == b.get("value")
}

/// `SELECT_SINGLE`: a native `<select>` (keyboard and screen readers know
/// it), or a combobox that filters the options when `searchable`; option
/// values are indices the server maps back to the options.
pub fn single(field: Field<'_>) -> Markup {
    let default = field.prop("defaultValue");
    if field.flag("searchable") {
        let items: Vec<Item> = options(&field)
            .iter()
            .enumerate()
            .map(|(i, option)| Item {
                value: i.to_string(),
                option,
            })
            .collect();
        let chosen: Vec<(String, String)> = items
            .iter()
            .filter(|item| default.is_some_and(|d| same_value(d, item.option)))
            .map(|item| (item.value.clone(), item.label()))
            .take(1)
            .collect();
        let query = chosen.first().map(|(_, l)| l.clone()).unwrap_or_default();
        return combobox(field, Kind::Filter, &items, &query, &chosen);
    }
    let control = html! {
        select #(field.id()) name=(field.name()) disabled[field.flag("disabled")]
            aria-required=(field.required()) aria-describedby=(field.described_by()) {
            option value="" selected[default.is_none()] { "Select…" }
            @for (i, option) in options(&field).iter().enumerate() {
                @let label = text_of(option.get("label").unwrap_or(&Value::Null));
                option value=(i) selected[default.is_some_and(|d| same_value(d, option))] {
                    (label)
                    @if let Some(description) = option.get("description").and_then(Value::as_str) {
                        " — " (description)
                    }
                }
            }
        }
    };
    labelled(field, control)
}

/// `SELECT_MULTIPLE`: one checkbox per option.
pub fn multiple(field: Field<'_>) -> Markup {
    let defaults: Vec<&Value> = field
        .prop("defaultValue")
        .and_then(Value::as_array)
        .map(|d| d.iter().collect())
        .unwrap_or_default();
    let controls = html! {
        ul.choices {
            @for (i, option) in options(&field).iter().enumerate() {
                @let id = format!("{}-{i}", field.id());
                li.check {
                    input #(id) type="checkbox" name=(field.name()) value=(i)
                        checked[defaults.iter().any(|d| same_value(d, option))]
                        disabled[field.flag("disabled")];
                    label for=(id) {
                        (option_body(option))
                    }
                }
            }
        }
    };
    grouped(field, controls)
}

/// `SEARCH`: a combobox whose text goes to the host as `{queryTerm}` and
/// whose options are the host's results. The defaults (`defaultValue`,
/// or `multipleProps.defaultValue`, values of results the host appended)
/// start chosen.
pub fn search(field: Field<'_>) -> Markup {
    let results: &[Value] = field
        .prop("results")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let multiple = field.component.is_multiple;
    let defaults: Vec<&str> = if multiple {
        field
            .component
            .multiple_props
            .as_ref()
            .and_then(|m| m.get("defaultValue"))
            .and_then(Value::as_array)
            .map(|d| d.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    } else {
        field.str("defaultValue").into_iter().collect()
    };
    let items: Vec<Item> = results
        .iter()
        .map(|result| Item {
            value: result
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            option: result,
        })
        .collect();
    let chosen: Vec<(String, String)> = defaults
        .iter()
        .filter_map(|d| items.iter().find(|item| item.value == *d))
        .map(|item| (item.value.clone(), item.label()))
        .collect();
    let query = field
        .state
        .and_then(|s| s.get("queryTerm"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    // A single search with its default picked shows the default's label.
    let query = match (query, multiple, chosen.first()) {
        (Some(query), _, _) => query,
        (None, false, Some((_, label))) => label.clone(),
        (None, _, _) => String::new(),
    };
    combobox(field, Kind::Search, &items, &query, &chosen)
}

#[cfg(test)]
mod tests {
    use super::super::testing::one;
    use serde_json::json;

    #[test]
    fn selects() {
        let options =
            json!([{"label": "Red", "value": "r"}, {"label": 2, "value": 2, "description": "two"}]);
        let out = one(
            "SELECT_SINGLE",
            "Color",
            json!({"options": options, "defaultValue": {"label": 2, "value": 2}}),
        );
        assert!(out.contains(r#"<select id="c0" name="c0""#), "{out}");
        assert!(
            out.contains(r#"<option value="1" selected>2 — two</option>"#),
            "{out}"
        );
        let out = one(
            "SELECT_MULTIPLE",
            "Colors",
            json!({"options": options, "defaultValue": [{"label": "Red", "value": "r"}]}),
        );
        assert!(out.contains("<legend>Colors</legend>"));
        assert!(
            out.contains(r#"id="c0-0" type="checkbox" name="c0" value="0" checked"#),
            "{out}"
        );
        assert!(out.contains(r#"<label for="c0-1">"#));
    }

    #[test]
    fn search_results_are_options_of_a_combobox() {
        let out = one(
            "SEARCH",
            "User",
            json!({"results": [{"value": "0:0", "label": "Ada", "description": "admin"}]}),
        );
        assert!(out.contains(r#"role="combobox""#) && out.contains(r#"data-search="0""#));
        assert!(
            out.contains(
                r#"role="option" aria-selected="false" data-value="0:0" data-label="Ada""#
            ),
            "{out}"
        );
        assert!(
            out.contains(r#"<input type="hidden" name="c0" data-chosen value="">"#),
            "{out}"
        );
        assert!(out.contains("admin"));
    }
}
