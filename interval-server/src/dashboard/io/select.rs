//! Choosing among options (§4.4): `SELECT_SINGLE` (a native select),
//! `SELECT_MULTIPLE` (checkboxes) and `SEARCH` (a search box whose results
//! come from the host through `SET_STATE`).

use maud::{html, Markup};
use serde_json::Value;

use super::{grouped, help, labelled, text_of, Field};
use crate::dashboard::sanitize;

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
/// it); option values are indices the server maps back to the options.
pub fn single(field: Field<'_>) -> Markup {
    let default = field.prop("defaultValue");
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
                        (option_label(option))
                    }
                }
            }
        }
    };
    grouped(field, controls)
}

fn option_label(option: &Value) -> Markup {
    let image = option
        .get("image")
        .and_then(|i| i.get("url"))
        .or_else(|| option.get("imageUrl"))
        .and_then(Value::as_str)
        .and_then(sanitize::media_url);
    html! {
        @if let Some(src) = image { img.option-image src=(src) alt=""; }
        span.option-label { (text_of(option.get("label").unwrap_or(&Value::Null))) }
        @if let Some(description) = option.get("description").and_then(Value::as_str) {
            span.option-description { (description) }
        }
    }
}

/// `SEARCH`: a search box (its text goes to the host as
/// `{queryTerm}`) and the host's results as radios or checkboxes.
pub fn search(field: Field<'_>) -> Markup {
    let results: &[Value] = field
        .prop("results")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let query = field
        .state
        .and_then(|s| s.get("queryTerm"))
        .and_then(Value::as_str)
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
    let kind = if multiple { "checkbox" } else { "radio" };
    html! {
        div.field.search-field {
            label for=(field.id()) {
                (field.component.label)
                @if field.component.is_optional { " " span.optional { "(optional)" } }
            }
            (help(field))
            input #(field.id()) type="search" value=(query) data-search=(field.index)
                placeholder=(field.str("placeholder").unwrap_or("Search…"))
                disabled[field.flag("disabled")] autocomplete="off"
                aria-describedby=(field.described_by());
            fieldset.results {
                legend.visually-hidden { "Results for " (field.component.label) }
                @if results.is_empty() {
                    p.empty { @if query.is_empty() { "Type to search." } @else { "No results." } }
                }
                ul.choices {
                    @for (i, result) in results.iter().enumerate() {
                        @let value = result.get("value").and_then(Value::as_str).unwrap_or_default();
                        @let id = format!("{}-r{i}", field.id());
                        li.check {
                            input #(id) type=(kind) name=(field.name()) value=(value)
                                checked[defaults.contains(&value)];
                            label for=(id) { (option_label(result)) }
                        }
                    }
                }
            }
            (super::error(field))
        }
    }
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
    fn search_results_are_radios() {
        let out = one(
            "SEARCH",
            "User",
            json!({"results": [{"value": "0:0", "label": "Ada", "description": "admin"}]}),
        );
        assert!(out.contains(r#"type="search""#) && out.contains(r#"data-search="0""#));
        assert!(
            out.contains(r#"type="radio" name="c0" value="0:0""#),
            "{out}"
        );
        assert!(out.contains("admin"));
    }
}
