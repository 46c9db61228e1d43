//! The combobox of a searchable `SELECT_SINGLE` and of `SEARCH`, after the
//! WAI-ARIA 1.2 combobox pattern (list autocomplete): a text input with
//! `role="combobox"`, `aria-expanded`, `aria-controls` and (set by the
//! script) `aria-activedescendant`, and a popup `role="listbox"` of
//! `role="option"` items with `aria-selected`. The script
//! (assets/combobox.js) opens the popup, moves through it with the arrow
//! keys, picks with Enter or a click and closes with Escape; a searchable
//! select filters its options in the page, a search asks the host.
//!
//! What is chosen is in hidden form fields named like the component
//! (`c<index>`): one for a single choice, one per chip for a multiple
//! search (each chip with a "Remove …" button), so that picks stay when a
//! new query brings other results.

use maud::{html, Markup};
use serde_json::Value;

use super::{help, text_of, Field};
use crate::dashboard::sanitize;

/// One option of the popup.
pub struct Item<'a> {
    /// The form value when picked.
    pub value: String,
    /// The option as the host sent it (label, description, image).
    pub option: &'a Value,
}

impl Item<'_> {
    /// The label as text (what the input shows once picked).
    pub fn label(&self) -> String {
        text_of(self.option.get("label").unwrap_or(&Value::Null))
    }
}

/// What the combobox is for.
pub enum Kind {
    /// A searchable select: the script filters the options as one types.
    Filter,
    /// `io.search`: each query goes to the host (`{queryTerm}`).
    Search,
}

/// The combobox of `field` over `items`; `query` is the text of the input
/// (the last query, or the label of the chosen option); `chosen` the
/// values picked at first, with their labels.
pub fn combobox(
    field: Field<'_>,
    kind: Kind,
    items: &[Item<'_>],
    query: &str,
    chosen: &[(String, String)],
) -> Markup {
    let id = field.id();
    let listbox = format!("{id}-listbox");
    let multiple = field.component.is_multiple;
    let disabled = field.flag("disabled");
    let search = matches!(kind, Kind::Search);
    let placeholder =
        field
            .str("placeholder")
            .unwrap_or(if search { "Search…" } else { "Select…" });
    html! {
        div.field.combobox data-combobox=(if search { "search" } else { "filter" })
            data-multiple[multiple] {
            label #(format!("{id}-label")) for=(id) {
                (field.component.label)
                @if field.component.is_optional { " " span.optional { "(optional)" } }
            }
            (help(field))
            @if multiple {
                ul.chips #(format!("{id}-chips")) data-chips aria-label=(format!("Chosen: {}", field.component.label)) {
                    @for (value, label) in chosen {
                        (chip(field, value, label, disabled))
                    }
                }
            } @else {
                input type="hidden" name=(field.name()) data-chosen
                    value=(chosen.first().map(|(v, _)| v.as_str()).unwrap_or_default());
            }
            div.combobox-control {
                input #(id) type="text" role="combobox" value=(query) autocomplete="off"
                    aria-autocomplete="list" aria-expanded="false" aria-controls=(listbox)
                    aria-required=(field.required()) aria-describedby=(field.described_by())
                    placeholder=(placeholder) disabled[disabled]
                    data-search=[search.then_some(field.index)];
                ul.listbox #(listbox) role="listbox" aria-labelledby=(format!("{id}-label"))
                    aria-multiselectable=[multiple.then_some("true")] hidden {
                    @for (i, item) in items.iter().enumerate() {
                        @let selected = chosen.iter().any(|(v, _)| *v == item.value);
                        li.option #(format!("{id}-o{i}")) role="option"
                            aria-selected=(selected) data-value=(item.value) data-label=(item.label()) {
                            (option_body(item.option))
                        }
                    }
                }
            }
            p.combobox-note data-note hidden[!items.is_empty()] {
                @if !search { "No matching options." }
                @else if query.is_empty() { "Type to search." }
                @else { "No results." }
            }
            p.visually-hidden data-announce aria-live="polite" {}
            (super::error(field))
        }
    }
}

/// A chosen value of a multiple search, with the button that removes it.
fn chip(field: Field<'_>, value: &str, label: &str, disabled: bool) -> Markup {
    html! {
        li.chip {
            span.chip-label { (label) }
            input type="hidden" name=(field.name()) value=(value);
            button.chip-remove type="button" data-remove aria-label=(format!("Remove {label}"))
                disabled[disabled] { "×" }
        }
    }
}

/// An option's image, label and description.
pub fn option_body(option: &Value) -> Markup {
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
            " " span.option-description { (description) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::one;
    use serde_json::json;

    #[test]
    fn a_searchable_select_is_a_combobox_with_its_default_chosen() {
        let options = json!([
            {"label": "France", "value": "fr", "description": "Europe"},
            {"label": "Japan", "value": "jp", "imageUrl": "https://example.com/jp.png"},
        ]);
        let out = one(
            "SELECT_SINGLE",
            "Country",
            json!({"options": options, "searchable": true, "defaultValue": {"label": "Japan", "value": "jp"}}),
        );
        assert!(out.contains(r#"data-combobox="filter""#), "{out}");
        assert!(
            out.contains(r#"<input type="hidden" name="c0" data-chosen value="1">"#),
            "{out}"
        );
        assert!(
            out.contains(r#"id="c0" type="text" role="combobox" value="Japan""#),
            "{out}"
        );
        assert!(out.contains(r#"aria-expanded="false" aria-controls="c0-listbox""#));
        assert!(out.contains(r#"id="c0-listbox" role="listbox" aria-labelledby="c0-label""#));
        assert!(
            out.contains(r#"id="c0-o0" role="option" aria-selected="false" data-value="0" data-label="France""#),
            "{out}"
        );
        assert!(out.contains(r#"aria-selected="true" data-value="1""#));
        assert!(out.contains(r#"<span class="option-description">Europe</span>"#));
        assert!(
            out.contains(r#"<img class="option-image" src="https://example.com/jp.png" alt="">"#)
        );
    }

    #[test]
    fn a_multiple_search_shows_its_defaults_as_removable_chips() {
        let mut search = super::super::testing::component(
            "SEARCH",
            "Members",
            json!({"results": [
                {"value": "0:0", "label": "Ada"},
                {"value": "default:0", "label": "Grace", "description": "admin"},
            ]}),
        );
        search.is_multiple = true;
        search.multiple_props = Some(json!({"defaultValue": ["default:0"]}));
        let out = super::super::component(super::super::Field {
            prefix: "",
            index: 0,
            component: &search,
            state: None,
        })
        .into_string();
        assert!(
            out.contains(r#"data-combobox="search" data-multiple"#),
            "{out}"
        );
        assert!(out.contains(r#"aria-multiselectable="true""#));
        assert!(
            out.contains(r#"<input type="hidden" name="c0" value="default:0"><button class="chip-remove" type="button" data-remove aria-label="Remove Grace">"#),
            "{out}"
        );
        assert!(out.contains(r#"data-search="0""#));
        assert!(out.contains(r#"aria-selected="true" data-value="default:0""#));
        assert!(!out.contains("data-chosen"), "no single hidden field");
    }
}
