//! The dashboard's form fields turned into the typed values of a RETURN
//! response (§3.4, §4): `"36"` becomes `36`, `"2024-01-02"` becomes
//! `{year, month, day}`, an option index becomes the option. Missing
//! required values and malformed ones are refused here, with a message per
//! field, before the host sees anything.

use interval_protocol::io::{ComponentToRender, IoRender};
use serde_json::{json, Map, Value};

use super::io::is_display;
use super::sanitize;
use crate::api::FieldError;

/// One component's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A value.
    Value(Value),
    /// Nothing given for an optional input (sent as `undefined`).
    Undefined,
}

/// The message for a required input left empty (the SDK's own wording).
pub const REQUIRED: &str = "This field is required.";

/// The values (and their superjson meta) for `render` from the form's
/// `fields` (one list of strings per component).
pub fn read_all(
    render: &IoRender,
    fields: &[Vec<String>],
) -> Result<(Vec<Value>, Option<Value>), Vec<FieldError>> {
    let mut values = Vec::with_capacity(render.to_render.len());
    let mut undefined = Map::new();
    let mut errors = Vec::new();
    for (index, component) in render.to_render.iter().enumerate() {
        let raw = fields.get(index).map(Vec::as_slice).unwrap_or_default();
        match read(component, raw) {
            Ok(Answer::Value(v)) => values.push(v),
            Ok(Answer::Undefined) => {
                undefined.insert(index.to_string(), json!(["undefined"]));
                values.push(Value::Null);
            }
            Err(message) => {
                errors.push(FieldError { index, message });
                values.push(Value::Null);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let meta = (!undefined.is_empty()).then(|| json!({ "values": undefined }));
    Ok((values, meta))
}

/// Checks typed `values` (what the typed dashboard API sends, as the
/// protocol's RESPOND does) against the constraints of `render`'s
/// components, as the form's fields are checked: lengths, formats and
/// bounds of text and numbers, the count of a multiple selection, the
/// types of a spreadsheet's cells, and that a required input has a value. The shape of other values is the host's to
/// check, as with Interval.
pub fn check_typed(render: &IoRender, values: &[Value]) -> Result<(), Vec<FieldError>> {
    let errors: Vec<FieldError> = render
        .to_render
        .iter()
        .enumerate()
        .filter_map(|(index, component)| {
            let value = values.get(index).unwrap_or(&Value::Null);
            check_one(component, value)
                .err()
                .map(|message| FieldError { index, message })
        })
        .collect();
    match errors.is_empty() {
        true => Ok(()),
        false => Err(errors),
    }
}

fn check_one(component: &ComponentToRender, value: &Value) -> Result<(), String> {
    let method = component.method_name.as_str();
    if is_display(method) {
        return Ok(());
    }
    if value.is_null() {
        return match method {
            // Answered by a choice, not a value.
            "CONFIRM" | "CONFIRM_IDENTITY" | "INPUT_BOOLEAN" => Ok(()),
            _ => missing(component).map(|_| ()),
        };
    }
    match (method, value) {
        ("INPUT_TEXT" | "INPUT_EMAIL" | "INPUT_URL", Value::String(text)) => {
            text_value(component, text).map(|_| ())
        }
        ("INPUT_NUMBER" | "INPUT_SLIDER", Value::Number(n)) => {
            number(component, &n.to_string()).map(|_| ())
        }
        ("INPUT_NUMBER" | "INPUT_SLIDER", _) => Err("Enter a number.".into()),
        ("SELECT_MULTIPLE" | "SELECT_TABLE", Value::Array(chosen)) => {
            count_checked(component, chosen.len())
        }
        ("INPUT_SPREADSHEET", rows) => super::io::sheet::check(component, rows),
        _ => Ok(()),
    }
}

fn missing(component: &ComponentToRender) -> Result<Answer, String> {
    if component.is_optional {
        Ok(Answer::Undefined)
    } else {
        Err(REQUIRED.into())
    }
}

fn prop<'a>(component: &'a ComponentToRender, key: &str) -> Option<&'a Value> {
    component.props.get(key).filter(|v| !v.is_null())
}

fn num(component: &ComponentToRender, key: &str) -> Option<f64> {
    prop(component, key).and_then(Value::as_f64)
}

/// One component's answer from its raw fields.
pub fn read(component: &ComponentToRender, raw: &[String]) -> Result<Answer, String> {
    let method = component.method_name.as_str();
    if is_display(method) {
        return Ok(Answer::Value(Value::Null));
    }
    if let Some(default) = disabled_default(component) {
        return Ok(Answer::Value(default));
    }
    let first = raw.iter().map(String::as_str).find(|s| !s.is_empty());
    match method {
        "INPUT_TEXT" | "INPUT_EMAIL" | "INPUT_URL" | "INPUT_RICH_TEXT" => {
            let Some(text) = first else {
                return missing(component);
            };
            text_value(component, text).map(Answer::Value)
        }
        "INPUT_NUMBER" | "INPUT_SLIDER" => {
            let Some(text) = first else {
                return missing(component);
            };
            number(component, text.trim()).map(Answer::Value)
        }
        "INPUT_BOOLEAN" => Ok(Answer::Value(Value::Bool(first == Some("true")))),
        "CONFIRM" | "CONFIRM_IDENTITY" => Ok(Answer::Value(Value::Bool(first == Some("true")))),
        "INPUT_DATE" | "INPUT_TIME" | "INPUT_DATETIME" => {
            let Some(text) = first else {
                return missing(component);
            };
            date_time(component, text).map(Answer::Value)
        }
        "SELECT_SINGLE" => {
            let Some(text) = first else {
                return missing(component);
            };
            option(component, text).map(Answer::Value)
        }
        "SELECT_MULTIPLE" => {
            let chosen = raw
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| option(component, s))
                .collect::<Result<Vec<_>, _>>()?;
            count_checked(component, chosen.len())?;
            Ok(Answer::Value(Value::Array(chosen)))
        }
        "SELECT_TABLE" => {
            let keys: Vec<String> = match first {
                Some(text) => serde_json::from_str(text)
                    .map_err(|_| "The selection could not be read.".to_owned())?,
                None => Vec::new(),
            };
            if keys.is_empty() && component.is_optional {
                return Ok(Answer::Undefined);
            }
            count_checked(component, keys.len())?;
            Ok(Answer::Value(
                keys.into_iter().map(|key| json!({ "key": key })).collect(),
            ))
        }
        "SEARCH" => {
            let chosen: Vec<Value> = raw
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.clone()))
                .collect();
            match (chosen.is_empty(), component.is_multiple) {
                (true, _) => missing(component),
                (false, true) => Ok(Answer::Value(Value::Array(chosen))),
                (false, false) => Ok(Answer::Value(chosen[0].clone())),
            }
        }
        "UPLOAD_FILE" => {
            let files: Vec<Value> = match first {
                Some(text) => serde_json::from_str(text)
                    .map_err(|_| "The uploaded files could not be read.".to_owned())?,
                None => Vec::new(),
            };
            match (files.is_empty(), component.is_multiple) {
                (true, _) => missing(component),
                (false, true) => Ok(Answer::Value(Value::Array(files))),
                (false, false) => Ok(Answer::Value(files[0].clone())),
            }
        }
        "INPUT_SPREADSHEET" => {
            match super::io::sheet::read(component, first.unwrap_or_default())? {
                Some(rows) => Ok(Answer::Value(rows)),
                None => missing(component),
            }
        }
        _ => Err("This dashboard cannot answer this field.".into()),
    }
}

/// The answer of a disabled input: the default the host gave, as with
/// Interval. The person cannot change a disabled field, and a browser
/// leaves a disabled control out of the form data, so what the form sent
/// for it is not used. `None` when the field is not disabled, has no
/// default, or is of a kind whose default is not its answer (its fields
/// are then read as usual).
fn disabled_default(component: &ComponentToRender) -> Option<Value> {
    if prop(component, "disabled").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    let default = prop(component, "defaultValue")?;
    let method = component.method_name.as_str();
    match (method, default) {
        ("INPUT_TEXT" | "INPUT_EMAIL" | "INPUT_URL" | "INPUT_RICH_TEXT", Value::String(_))
        | ("INPUT_NUMBER" | "INPUT_SLIDER", Value::Number(_))
        | ("INPUT_BOOLEAN", Value::Bool(_))
        | ("SELECT_SINGLE", Value::Object(_))
        | ("SELECT_MULTIPLE", Value::Array(_)) => Some(default.clone()),
        ("INPUT_DATE" | "INPUT_TIME" | "INPUT_DATETIME", _) => {
            let text = super::io::input::html_date(Some(default), method)?;
            date_time(component, &text).ok()
        }
        _ => None,
    }
}

fn text_value(component: &ComponentToRender, text: &str) -> Result<Value, String> {
    let chars = text.chars().count() as f64;
    if let Some(min) = num(component, "minLength").filter(|m| chars < *m) {
        return Err(format!("Enter at least {min} characters."));
    }
    if let Some(max) = num(component, "maxLength").filter(|m| chars > *m) {
        return Err(format!("Enter at most {max} characters."));
    }
    match component.method_name.as_str() {
        "INPUT_EMAIL" => {
            let trimmed = text.trim();
            let valid = trimmed
                .split_once('@')
                .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
                && !trimmed.contains(char::is_whitespace);
            if !valid {
                return Err("Enter an email address, like ada@example.com.".into());
            }
            Ok(Value::String(trimmed.into()))
        }
        "INPUT_URL" => {
            let url = url::Url::parse(text.trim())
                .map_err(|_| "Enter a full URL, like https://example.com.".to_owned())?;
            let allowed: Vec<&str> = prop(component, "allowedProtocols")
                .and_then(Value::as_array)
                .map(|p| p.iter().filter_map(Value::as_str).collect())
                .unwrap_or_else(|| vec!["http", "https"]);
            if !allowed.contains(&url.scheme()) {
                return Err(format!("Use a URL starting with {}.", allowed.join(" or ")));
            }
            Ok(Value::String(text.trim().into()))
        }
        "INPUT_RICH_TEXT" => Ok(Value::String(sanitize::html(text).into_string())),
        _ => Ok(Value::String(text.into())),
    }
}

fn number(component: &ComponentToRender, text: &str) -> Result<Value, String> {
    let n: f64 = text
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or("Enter a number.")?;
    if let Some(min) = num(component, "min").filter(|m| n < *m) {
        return Err(format!("Enter a number of at least {min}."));
    }
    if let Some(max) = num(component, "max").filter(|m| n > *m) {
        return Err(format!("Enter a number of at most {max}."));
    }
    if let Some(decimals) = num(component, "decimals") {
        let places = text.split_once('.').map(|(_, f)| f.len()).unwrap_or(0);
        if places as f64 > decimals {
            return Err(format!("Use at most {decimals} decimal places."));
        }
    }
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        Ok(json!(n as i64))
    } else {
        Ok(json!(n))
    }
}

fn parse_date(text: &str) -> Option<(i64, i64, i64)> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts
        .next()?
        .parse()
        .ok()
        .filter(|m| (1..=12).contains(m))?;
    let day = parts
        .next()?
        .parse()
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    Some((year, month, day))
}

fn parse_time(text: &str) -> Option<(i64, i64)> {
    let mut parts = text.split(':');
    let hour = parts.next()?.parse().ok().filter(|h| (0..24).contains(h))?;
    let minute = parts.next()?.parse().ok().filter(|m| (0..60).contains(m))?;
    Some((hour, minute))
}

fn date_time(component: &ComponentToRender, text: &str) -> Result<Value, String> {
    let (value, key) = match component.method_name.as_str() {
        "INPUT_DATE" => {
            let (year, month, day) = parse_date(text).ok_or("Enter a date.")?;
            (
                json!({"year": year, "month": month, "day": day}),
                vec![year, month, day],
            )
        }
        "INPUT_TIME" => {
            let (hour, minute) = parse_time(text).ok_or("Enter a time.")?;
            (json!({"hour": hour, "minute": minute}), vec![hour, minute])
        }
        _ => {
            let (date, time) = text.split_once('T').ok_or("Enter a date and a time.")?;
            let (year, month, day) = parse_date(date).ok_or("Enter a date and a time.")?;
            let (hour, minute) = parse_time(time).ok_or("Enter a date and a time.")?;
            (
                json!({"year": year, "month": month, "day": day, "hour": hour, "minute": minute}),
                vec![year, month, day, hour, minute],
            )
        }
    };
    let bound = |name: &str| -> Option<Vec<i64>> {
        let b = prop(component, name)?;
        ["year", "month", "day", "hour", "minute"]
            .iter()
            .filter(|k| value.get(**k).is_some())
            .map(|k| b.get(*k).and_then(Value::as_i64))
            .collect()
    };
    if bound("min").is_some_and(|min| key < min) {
        return Err("Choose a later value.".into());
    }
    if bound("max").is_some_and(|max| key > max) {
        return Err("Choose an earlier value.".into());
    }
    Ok(value)
}

fn option(component: &ComponentToRender, index: &str) -> Result<Value, String> {
    index
        .parse::<usize>()
        .ok()
        .and_then(|i| prop(component, "options")?.as_array()?.get(i).cloned())
        .ok_or_else(|| "Choose one of the options.".into())
}

fn count_checked(component: &ComponentToRender, n: usize) -> Result<(), String> {
    let n = n as f64;
    if let Some(min) = num(component, "minSelections").filter(|m| n < *m) {
        return Err(format!("Select at least {min}."));
    }
    if let Some(max) = num(component, "maxSelections").filter(|m| n > *m) {
        return Err(format!("Select at most {max}."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::io::testing::{component, render};

    fn one(c: ComponentToRender, raw: &[&str]) -> Result<Answer, String> {
        read(&c, &raw.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn texts_numbers_and_missing_values() {
        let text = component("INPUT_TEXT", "Name", json!({"minLength": 2}));
        assert_eq!(one(text.clone(), &["Ada"]), Ok(Answer::Value(json!("Ada"))));
        assert_eq!(one(text.clone(), &[""]), Err(REQUIRED.into()));
        assert!(one(text, &["A"]).is_err());
        let age = component("INPUT_NUMBER", "Age", json!({"min": 0}));
        assert_eq!(one(age.clone(), &["36"]), Ok(Answer::Value(json!(36))));
        assert_eq!(one(age.clone(), &["x"]), Err("Enter a number.".into()));
        assert!(one(age, &["-1"]).is_err());
        let money = component("INPUT_NUMBER", "Total", json!({"decimals": 2}));
        assert_eq!(
            one(money.clone(), &["1.25"]),
            Ok(Answer::Value(json!(1.25)))
        );
        assert!(one(money, &["1.255"]).is_err());
        let email = component("INPUT_EMAIL", "Email", json!({}));
        assert!(one(email, &["nope"]).is_err());
    }

    #[test]
    fn a_disabled_input_answers_its_default() {
        let name = component(
            "INPUT_TEXT",
            "Name",
            json!({"defaultValue": "Ada", "disabled": true}),
        );
        // The browser sends nothing for a disabled control.
        assert_eq!(one(name.clone(), &[]), Ok(Answer::Value(json!("Ada"))));
        assert_eq!(one(name, &["Eve"]), Ok(Answer::Value(json!("Ada"))));
        let age = component(
            "INPUT_NUMBER",
            "Age",
            json!({"defaultValue": 36, "disabled": true}),
        );
        assert_eq!(one(age, &[]), Ok(Answer::Value(json!(36))));
        let day = component(
            "INPUT_DATE",
            "Day",
            json!({"defaultValue": {"year": 2024, "month": 3, "day": 9}, "disabled": true}),
        );
        assert_eq!(
            one(day, &[]),
            Ok(Answer::Value(json!({"year": 2024, "month": 3, "day": 9})))
        );
        // Without a default, a disabled required input is still missing.
        let bare = component("INPUT_TEXT", "Name", json!({"disabled": true}));
        assert_eq!(one(bare, &[]), Err(REQUIRED.into()));
    }

    #[test]
    fn optional_values_are_undefined_with_meta() {
        let mut age = component("INPUT_NUMBER", "Age", json!({}));
        age.is_optional = true;
        let r = render(vec![component("INPUT_TEXT", "Name", json!({})), age]);
        let (values, meta) = read_all(&r, &[vec!["Ada".into()], vec!["".into()]]).unwrap();
        assert_eq!(values, vec![json!("Ada"), Value::Null]);
        assert_eq!(meta, Some(json!({"values": {"1": ["undefined"]}})));
        let errors = read_all(&r, &[vec![], vec![]]).unwrap_err();
        assert_eq!(
            errors,
            vec![FieldError {
                index: 0,
                message: REQUIRED.into()
            }]
        );
    }

    #[test]
    fn dates_selects_tables_files() {
        let date = component(
            "INPUT_DATE",
            "Day",
            json!({"min": {"year": 2024, "month": 1, "day": 1}}),
        );
        assert_eq!(
            one(date.clone(), &["2024-03-09"]),
            Ok(Answer::Value(json!({"year": 2024, "month": 3, "day": 9})))
        );
        assert!(one(date, &["2023-12-31"]).is_err());
        let dt = component("INPUT_DATETIME", "At", json!({}));
        assert_eq!(
            one(dt, &["2024-03-09T14:05"]),
            Ok(Answer::Value(
                json!({"year": 2024, "month": 3, "day": 9, "hour": 14, "minute": 5})
            ))
        );
        let options = json!({"options": [{"label": "A", "value": "a", "extra": 1}, {"label": "B", "value": "b"}]});
        let single = component("SELECT_SINGLE", "One", options.clone());
        assert_eq!(
            one(single, &["0"]),
            Ok(Answer::Value(
                json!({"label": "A", "value": "a", "extra": 1})
            ))
        );
        let mut many = component("SELECT_MULTIPLE", "Many", options);
        many.props["minSelections"] = json!(1);
        assert_eq!(one(many, &[]), Err("Select at least 1.".into()));
        let table = component("SELECT_TABLE", "Rows", json!({"maxSelections": 1}));
        assert_eq!(
            one(table.clone(), &["[\"3\"]"]),
            Ok(Answer::Value(json!([{"key": "3"}])))
        );
        assert!(one(table, &["[\"3\",\"4\"]"]).is_err());
        let file = component("UPLOAD_FILE", "File", json!({}));
        let desc =
            r#"[{"name":"a.txt","type":"text/plain","size":1,"lastModified":0,"url":"http://x"}]"#;
        assert_eq!(
            one(file, &[desc]),
            Ok(Answer::Value(
                json!({"name":"a.txt","type":"text/plain","size":1,"lastModified":0,"url":"http://x"})
            ))
        );
    }

    #[test]
    fn confirm_search_spreadsheet_rich_text() {
        assert_eq!(
            one(component("CONFIRM", "Sure?", json!({})), &["false"]),
            Ok(Answer::Value(json!(false)))
        );
        let mut search = component("SEARCH", "Who", json!({}));
        assert_eq!(
            one(search.clone(), &["1:2"]),
            Ok(Answer::Value(json!("1:2")))
        );
        search.is_multiple = true;
        assert_eq!(
            one(search, &["1:2", "1:3"]),
            Ok(Answer::Value(json!(["1:2", "1:3"])))
        );
        let sheet = component(
            "INPUT_SPREADSHEET",
            "People",
            json!({"columns": {"name": "string", "age": "number?"}}),
        );
        assert_eq!(
            one(sheet.clone(), &[r#"[["Ada","36"],["Bob",""]]"#]),
            Ok(Answer::Value(
                json!([{"name": "Ada", "age": 36}, {"name": "Bob", "age": null}])
            ))
        );
        assert_eq!(one(sheet.clone(), &["[]"]), Err(REQUIRED.into()));
        assert!(one(sheet, &[r#"[["Ada","x"]]"#]).is_err());
        let rich = component("INPUT_RICH_TEXT", "Notes", json!({}));
        assert_eq!(
            one(rich, &["<b>hi</b><script>x</script>"]),
            Ok(Answer::Value(json!("<b>hi</b>")))
        );
    }
}
