//! Inputs (§4.4): text, email, URL, rich text, number, slider, boolean,
//! date, time, date and time, and the confirm dialog (the spreadsheet is
//! in [`super::sheet`]).

use maud::{html, Markup};
use serde_json::Value;

use super::{help, labelled, Field};
use crate::dashboard::sanitize;

/// `INPUT_TEXT`, `INPUT_EMAIL`, `INPUT_URL` and `INPUT_RICH_TEXT`.
pub fn text(field: Field<'_>) -> Markup {
    let method = field.component.method_name.as_str();
    let default = field.str("defaultValue").unwrap_or_default();
    let disabled = field.flag("disabled");
    if method == "INPUT_RICH_TEXT" {
        // An editable region; the script copies its HTML into the hidden
        // field, and the server cleans it before the host sees it.
        let label_id = format!("{}-label", field.id());
        return html! {
            div.field {
                span.label-text #(label_id) {
                    (field.component.label)
                    @if field.component.is_optional { " " span.optional { "(optional)" } }
                }
                (help(field))
                div.rich-text #(field.id()) contenteditable=(if disabled { "false" } else { "true" })
                    role="textbox" aria-multiline="true" aria-labelledby=(label_id)
                    aria-describedby=(field.described_by())
                    data-placeholder=[field.str("placeholder")] data-sync=(field.name()) {
                    (sanitize::html(default))
                }
                input type="hidden" name=(field.name()) value=(sanitize::html(default).into_string());
                (super::error(field))
            }
        };
    }
    let kind = match method {
        "INPUT_EMAIL" => "email",
        "INPUT_URL" => "url",
        _ => "text",
    };
    let control = if field.flag("multiline") {
        html! {
            textarea #(field.id()) name=(field.name()) rows=(field.num("lines").unwrap_or(3.0))
                placeholder=[field.str("placeholder")] disabled[disabled]
                minlength=[field.num("minLength")] maxlength=[field.num("maxLength")]
                aria-required=(field.required()) aria-describedby=(field.described_by()) { (default) }
        }
    } else {
        html! {
            input #(field.id()) type=(kind) name=(field.name()) value=(default)
                placeholder=[field.str("placeholder")] disabled[disabled]
                minlength=[field.num("minLength")] maxlength=[field.num("maxLength")]
                autocomplete="off"
                aria-required=(field.required()) aria-describedby=(field.described_by());
        }
    };
    labelled(field, control)
}

/// The symbol shown before an amount in `currency`.
fn currency_symbol(currency: &str) -> &str {
    match currency {
        "USD" | "CAD" | "AUD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "CNY" | "JPY" => "¥",
        other => other,
    }
}

/// `INPUT_NUMBER` and `INPUT_SLIDER`.
pub fn number(field: Field<'_>) -> Markup {
    let slider = field.component.method_name == "INPUT_SLIDER";
    let step = match (field.num("step"), field.num("decimals")) {
        (Some(step), _) => step.to_string(),
        (None, Some(d)) if d >= 1.0 => format!("{}", 10f64.powi(-(d as i32))),
        _ if slider => "1".into(),
        _ => "any".into(),
    };
    let default = field.num("defaultValue");
    let disabled = field.flag("disabled");
    let prepend = field
        .str("prepend")
        .or_else(|| field.str("currency").map(currency_symbol));
    let control = if slider {
        let shown = default.or(field.num("min")).unwrap_or(0.0);
        html! {
            div.slider {
                input #(field.id()) type="range" name=(field.name()) value=(shown)
                    min=[field.num("min")] max=[field.num("max")] step=(step) disabled[disabled]
                    aria-describedby=(field.described_by());
                output for=(field.id()) data-output-of=(field.id()) { (shown) }
            }
        }
    } else {
        html! {
            div.affixed {
                @if let Some(prepend) = prepend { span.prepend aria-hidden="true" { (prepend) } }
                input #(field.id()) type="number" name=(field.name())
                    value=[default] placeholder=[field.str("placeholder")]
                    min=[field.num("min")] max=[field.num("max")] step=(step) disabled[disabled]
                    inputmode="decimal"
                    aria-required=(field.required()) aria-describedby=(field.described_by());
            }
        }
    };
    labelled(field, control)
}

/// `INPUT_BOOLEAN`: a checkbox with its label beside it.
pub fn boolean(field: Field<'_>) -> Markup {
    let checked = field
        .prop("defaultValue")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    html! {
        div.field.checkbox-field {
            div.check {
                input #(field.id()) type="checkbox" name=(field.name()) value="true"
                    checked[checked] disabled[field.flag("disabled")]
                    aria-describedby=(field.described_by());
                label for=(field.id()) { (field.component.label) }
            }
            (help(field))
            (super::error(field))
        }
    }
}

fn two(n: Option<&Value>) -> String {
    format!("{:02}", n.and_then(Value::as_u64).unwrap_or(0))
}

/// A dateObject / timeObject / dateTimeObject as the value of an
/// `<input type=date|time|datetime-local>`.
pub fn html_date(value: Option<&Value>, method: &str) -> Option<String> {
    let v = value?.as_object()?;
    let date = || {
        Some(format!(
            "{:04}-{}-{}",
            v.get("year")?.as_u64()?,
            two(v.get("month")),
            two(v.get("day"))
        ))
    };
    let time = || {
        v.get("hour")?;
        Some(format!("{}:{}", two(v.get("hour")), two(v.get("minute"))))
    };
    match method {
        "INPUT_DATE" => date(),
        "INPUT_TIME" => time(),
        _ => Some(format!("{}T{}", date()?, time()?)),
    }
}

/// `INPUT_DATE`, `INPUT_TIME` and `INPUT_DATETIME`.
pub fn date_time(field: Field<'_>) -> Markup {
    let method = field.component.method_name.as_str();
    let kind = match method {
        "INPUT_DATE" => "date",
        "INPUT_TIME" => "time",
        _ => "datetime-local",
    };
    let control = html! {
        input #(field.id()) type=(kind) name=(field.name())
            value=[html_date(field.prop("defaultValue"), method)]
            min=[html_date(field.prop("min"), method)] max=[html_date(field.prop("max"), method)]
            disabled[field.flag("disabled")]
            aria-required=(field.required()) aria-describedby=(field.described_by());
    };
    labelled(field, control)
}

/// `CONFIRM`: a question with two named buttons that answer at once.
pub fn confirm(field: Field<'_>) -> Markup {
    let label_id = format!("{}-label", field.id());
    html! {
        div.confirm role="group" aria-labelledby=(label_id) {
            h2 #(label_id) { (field.component.label) }
            (help(field))
            div.buttons {
                button.button.primary type="submit" name=(field.name()) value="true" { "Confirm" }
                button.button.secondary type="submit" name=(field.name()) value="false" { "Cancel" }
            }
            (super::error(field))
        }
    }
}

/// `CONFIRM_IDENTITY`: a confirmation that, with a dashboard password,
/// asks for it again (unless this session authenticated within
/// `gracePeriodMs`). The password goes in `__password`, outside the
/// component's values; the server checks it before the host hears `true`.
pub fn confirm_identity(field: Field<'_>, prompt: super::IdentityPrompt) -> Markup {
    use super::IdentityPrompt;
    let id = field.id();
    let label_id = format!("{id}-label");
    html! {
        div.confirm.confirm-identity role="group" aria-labelledby=(label_id) {
            h2 #(label_id) { (field.component.label) }
            (help(field))
            @if matches!(prompt, IdentityPrompt::Password | IdentityPrompt::Recent) {
                // Also offered within the grace period: it may run out while
                // the form is open, and the server then asks for it.
                div.field {
                    label for=(id) { "Your password" }
                    " "
                    input #(id) name="__password" type="password" autocomplete="current-password"
                        aria-describedby=(field.described_by());
                }
            }
            @match prompt {
                IdentityPrompt::Password => {
                    p.help { "Enter your password to confirm it is you. Cancel needs no password." }
                }
                IdentityPrompt::Recent => {
                    p.help { "You signed in recently, so no password is needed to confirm (unless the form was left open too long)." }
                }
                IdentityPrompt::NoPassword => {
                    p.help.identity-note {
                        "Identity cannot be confirmed: this dashboard has no password. Confirming answers without a check."
                    }
                }
            }
            div.buttons {
                button.button.primary type="submit" name=(field.name()) value="true" { "Confirm" }
                button.button.secondary type="submit" name=(field.name()) value="false" { "Cancel" }
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
    fn text_inputs() {
        let out = one(
            "INPUT_TEXT",
            "Bio",
            json!({"multiline": true, "lines": 5, "defaultValue": "hi", "maxLength": 10}),
        );
        assert!(
            out.contains(r#"<textarea id="c0" name="c0" rows="5""#),
            "{out}"
        );
        assert!(out.contains(">hi</textarea>"));
        let out = one("INPUT_EMAIL", "Email", json!({"placeholder": "a@b.c"}));
        assert!(out.contains(r#"type="email""#) && out.contains(r#"placeholder="a@b.c""#));
        let out = one(
            "INPUT_RICH_TEXT",
            "Notes",
            json!({"defaultValue": "<b>x</b><script>1</script>"}),
        );
        assert!(
            out.contains("contenteditable=\"true\"") && !out.contains("<script>"),
            "{out}"
        );
    }

    #[test]
    fn numbers_and_sliders() {
        let out = one(
            "INPUT_NUMBER",
            "Total",
            json!({"min": 0, "decimals": 2, "currency": "EUR"}),
        );
        assert!(out.contains(r#"step="0.01""#), "{out}");
        assert!(out.contains("€"));
        let out = one(
            "INPUT_SLIDER",
            "Level",
            json!({"min": 1, "max": 5, "defaultValue": 3}),
        );
        assert!(
            out.contains(r#"type="range""#) && out.contains(">3</output>"),
            "{out}"
        );
    }

    #[test]
    fn booleans_dates_and_confirm() {
        let out = one("INPUT_BOOLEAN", "Tip?", json!({"defaultValue": true}));
        assert!(out.contains("checked") && out.contains(r#"<label for="c0">Tip?</label>"#));
        let out = one(
            "INPUT_DATETIME",
            "When",
            json!({"defaultValue": {"year": 2024, "month": 1, "day": 2, "hour": 3, "minute": 4}}),
        );
        assert!(out.contains(r#"value="2024-01-02T03:04""#), "{out}");
        let out = one("INPUT_TIME", "At", json!({"min": {"hour": 9, "minute": 0}}));
        assert!(out.contains(r#"min="09:00""#), "{out}");
        let out = one("CONFIRM", "Sure?", json!({"helpText": "No undo"}));
        assert!(out.contains(r#"name="c0" value="true""#) && out.contains("No undo"));
    }
}
