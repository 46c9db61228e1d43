//! superjson `json` + `meta` encoding (§3.5).
//!
//! JSON cannot carry dates, big integers or `undefined`; superjson sends the
//! plain JSON plus a `meta` tree describing which paths to restore. This
//! module reads and writes that tree for the types a Rust program can hold:
//! `undefined` (absent), `bigint` (an integer beyond JavaScript's safe range),
//! `Date` (kept as its ISO-8601 string), the `["custom","time"]` annotation of
//! `HH:MM:SS` strings (identity), and the special numbers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

/// The `meta` half of a superjson value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// The annotation tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Value>,
    /// Paths that held the same object; readers may ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referential_equalities: Option<Value>,
}

/// Prefix marking a string as a superjson `Date` when it is encoded: a
/// Rust date type serializes as this tag followed by the ISO-8601 text, and
/// [`encode`] strips the tag and annotates the path with `"Date"`.
pub const DATE_TAG: &str = "\u{0}superjson:Date\u{0}";

/// Whether `s` is exactly `HH:MM:SS`, which the Node SDK and the dashboard
/// annotate as `["custom","time"]`.
pub fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit())
}

/// Removes [`DATE_TAG`]s (for plain-JSON places such as logs and redirect
/// params, where dates are bare ISO strings).
pub fn strip_tags(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Some(rest) = s.strip_prefix(DATE_TAG) {
                *s = rest.to_owned();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_tags),
        Value::Object(map) => map.values_mut().for_each(strip_tags),
        _ => {}
    }
}

/// The largest integer JavaScript represents exactly (2^53 − 1).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Encodes `value` as superjson: integers outside JavaScript's safe range
/// become `bigint`s so that no digit is lost. Returns the `json` part and the
/// `meta` part (absent when nothing needed annotating).
pub fn encode(mut value: Value) -> (Value, Option<Meta>) {
    let mut annotations = Map::new();
    let mut path = Vec::new();
    annotate(&mut value, &mut path, &mut annotations);
    if annotations.is_empty() {
        return (value, None);
    }
    // A transformed root is written as a bare tree rather than a path map.
    let values = match annotations.remove("") {
        Some(root) => root,
        None => Value::Object(annotations),
    };
    (
        value,
        Some(Meta {
            values: Some(values),
            referential_equalities: None,
        }),
    )
}

fn annotate(value: &mut Value, path: &mut Vec<String>, out: &mut Map<String, Value>) {
    match value {
        Value::Number(n) => {
            let unsafe_int = match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => u > MAX_SAFE_INTEGER,
                (None, Some(i)) => i.unsigned_abs() > MAX_SAFE_INTEGER,
                _ => false,
            };
            if unsafe_int {
                *value = Value::String(n.to_string());
                out.insert(join_path(path), Value::Array(vec!["bigint".into()]));
            }
        }
        Value::String(s) => {
            if let Some(rest) = s.strip_prefix(DATE_TAG) {
                *s = rest.to_owned();
                out.insert(join_path(path), Value::Array(vec!["Date".into()]));
            } else if is_time(s) {
                out.insert(
                    join_path(path),
                    Value::Array(vec![Value::Array(vec!["custom".into(), "time".into()])]),
                );
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                annotate(item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                path.push(k.replace('.', "\\."));
                annotate(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn join_path(path: &[String]) -> String {
    path.join(".")
}

/// Splits a superjson path on unescaped dots.
fn split_path(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                current.push('.');
                chars.next();
            }
            '.' => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
}

/// Restores `json` with its `meta`: `undefined` becomes JSON `null` (absent
/// for `Option`), `bigint`s that fit in 64 bits become numbers, `"number"`
/// specials become `null` (Rust's JSON has no NaN), sets become arrays, and
/// every other annotation (dates, `["custom","time"]`, ...) is kept as the
/// string or value superjson sent.
pub fn decode(json: Value, meta: Option<&Meta>) -> Value {
    decode_with(json, meta, Bigints::Fitting)
}

/// Restores `json` with its `meta` as JSON text, for deserializing into a
/// typed value: as [`decode`], but every `bigint` is written as a bare
/// integer literal whatever its size, so that it deserializes into an `i128`
/// or `u128` (or any integer type wide enough). `json` may also be the
/// output of [`decode`] with the same `meta`.
///
/// ```
/// use interval_protocol::superjson::{decode_to_text, Meta};
/// let meta: Meta = serde_json::from_value(serde_json::json!({"values": {"n": ["bigint"]}})).unwrap();
/// let text = decode_to_text(serde_json::json!({"n": "170141183460469231731687303715884105727"}), Some(&meta));
/// assert_eq!(text, r#"{"n":170141183460469231731687303715884105727}"#);
/// let params: std::collections::HashMap<String, i128> = serde_json::from_str(&text).unwrap();
/// assert_eq!(params["n"], i128::MAX);
/// ```
pub fn decode_to_text(json: Value, meta: Option<&Meta>) -> String {
    let value = decode_with(json, meta, Bigints::Tagged);
    let text = value.to_string();
    // The tag holds NULs, which JSON text escapes.
    let escaped = format!("\"{}", BIGINT_TAG.replace('\u{0}', "\\u0000"));
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(&escaped) {
        out.push_str(&rest[..at]);
        rest = &rest[at + escaped.len()..];
        // Tagged digits lose their quotes; anything else stays as it was.
        let end = rest.find('"').unwrap_or(rest.len());
        if is_integer(&rest[..end]) && end < rest.len() {
            out.push_str(&rest[..end]);
            rest = &rest[end + 1..];
        } else {
            out.push_str(&escaped);
        }
    }
    out.push_str(rest);
    out
}

/// Marks a bigint's digits for [`decode_to_text`].
const BIGINT_TAG: &str = "\u{0}superjson:bigint\u{0}";

/// What [`restore`] makes of a `bigint`.
#[derive(Clone, Copy)]
enum Bigints {
    /// A number when it fits in 64 bits, else the string of digits.
    Fitting,
    /// The digits behind [`BIGINT_TAG`] (a number that is already one stays).
    Tagged,
}

fn decode_with(mut json: Value, meta: Option<&Meta>, bigints: Bigints) -> Value {
    let Some(tree) = meta.and_then(|m| m.values.as_ref()) else {
        return json;
    };
    match tree {
        Value::Array(_) => restore_tree(&mut json, tree, bigints),
        Value::Object(paths) => {
            for (path, tree) in paths {
                if let Some(target) = lookup_mut(&mut json, &split_path(path)) {
                    restore_tree(target, tree, bigints);
                }
            }
        }
        _ => {}
    }
    json
}

/// The annotation `meta` gives the value at `path` (keys and indices from
/// the root), as a string: `"Date"`, `"bigint"`, `"undefined"`, ... or
/// `"custom"` for `["custom", name]`.
///
/// ```
/// use interval_protocol::superjson::{annotation, Meta};
/// let meta: Meta = serde_json::from_value(serde_json::json!({"values": {"when": ["Date"]}})).unwrap();
/// assert_eq!(annotation(&meta, &["when"]), Some("Date"));
/// assert_eq!(annotation(&meta, &["other"]), None);
/// ```
pub fn annotation<'m>(meta: &'m Meta, path: &[&str]) -> Option<&'m str> {
    let tree = match meta.values.as_ref()? {
        tree @ Value::Array(_) => {
            if !path.is_empty() {
                return None;
            }
            tree
        }
        Value::Object(paths) => {
            let key = path
                .iter()
                .map(|p| p.replace('.', "\\."))
                .collect::<Vec<_>>()
                .join(".");
            paths.get(&key)?
        }
        _ => return None,
    };
    match tree.as_array()?.first()? {
        Value::String(kind) => Some(kind),
        Value::Array(parts) => parts.first()?.as_str(),
        _ => None,
    }
}

fn lookup_mut<'a>(mut value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    for key in path {
        value = match value {
            Value::Object(map) => map.get_mut(key)?,
            Value::Array(items) => items.get_mut(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Applies one tree: `[annotation]` or `[annotation, {child: tree}]`.
fn restore_tree(value: &mut Value, tree: &Value, bigints: Bigints) {
    let Value::Array(parts) = tree else { return };
    if let Some(Value::Object(children)) = parts.get(1) {
        for (path, child) in children {
            if let Some(target) = lookup_mut(value, &split_path(path)) {
                restore_tree(target, child, bigints);
            }
        }
    }
    // Composite annotations such as ["custom","time"] are identities here.
    if let Some(Value::String(kind)) = parts.first() {
        restore(value, kind, bigints);
    }
}

fn restore(value: &mut Value, kind: &str, bigints: Bigints) {
    match (kind, bigints) {
        ("undefined" | "number", _) => *value = Value::Null,
        ("bigint", Bigints::Fitting) => {
            if let Some(n) = value.as_str().and_then(parse_int) {
                *value = Value::Number(n);
            }
        }
        ("bigint", Bigints::Tagged) => {
            if let Some(digits) = value.as_str().filter(|s| is_integer(s)) {
                *value = Value::String(format!("{BIGINT_TAG}{digits}"));
            }
        }
        _ => {}
    }
}

/// Whether `s` is an integer literal: an optional `-`, then digits.
fn is_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn parse_int(s: &str) -> Option<Number> {
    s.parse::<i64>()
        .map(Number::from)
        .or_else(|_| s.parse::<u64>().map(Number::from))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(values: Value) -> Meta {
        Meta {
            values: Some(values),
            referential_equalities: None,
        }
    }

    #[test]
    fn plain_values_have_no_meta() {
        assert_eq!(
            encode(json!({"a": 1, "b": [true]})),
            (json!({"a": 1, "b": [true]}), None)
        );
    }

    #[test]
    fn big_integers_become_bigints_and_back() {
        let (json, m) = encode(json!({"a.b": [9007199254740993u64]}));
        assert_eq!(json, json!({"a.b": ["9007199254740993"]}));
        assert_eq!(m, Some(meta(json!({"a\\.b.0": ["bigint"]}))));
        assert_eq!(
            decode(json, m.as_ref()),
            json!({"a.b": [9007199254740993u64]})
        );
        let (root, m) = encode(json!(-9007199254740993i64));
        assert_eq!(m, Some(meta(json!(["bigint"]))));
        assert_eq!(decode(root, m.as_ref()), json!(-9007199254740993i64));
    }

    #[test]
    fn decodes_the_values_example_of_the_protocol() {
        let values = json!([null, "12:00:00", {"when": "2024-01-02T03:04:05.000Z"}]);
        let m = meta(json!({"0": ["undefined"], "1": [["custom", "time"]], "2.when": ["Date"]}));
        assert_eq!(decode(values.clone(), Some(&m)), values);
    }

    #[test]
    fn encodes_dates_and_times() {
        let date = format!("{DATE_TAG}2024-01-02T03:04:05.000Z");
        let (json, m) = encode(json!([null, "12:00:00", {"when": date}]));
        assert_eq!(
            json,
            json!([null, "12:00:00", {"when": "2024-01-02T03:04:05.000Z"}])
        );
        assert_eq!(
            m,
            Some(meta(json!({"1": [["custom", "time"]], "2.when": ["Date"]})))
        );
        let (_, m) = encode(json!(format!("{DATE_TAG}2024-01-02T03:04:05.000Z")));
        assert_eq!(m, Some(meta(json!(["Date"]))));
        assert!(!is_time("12:00") && !is_time("ab:cd:ef"));
    }

    #[test]
    fn decodes_to_text_with_bigints_of_any_size() {
        let m = meta(
            json!({"n": ["bigint"], "small": ["bigint"], "when": ["Date"], "a\\.b": ["bigint"], "gone": ["undefined"]}),
        );
        let json = json!({
            "n": "-170141183460469231731687303715884105728",
            "small": "9007199254740993",
            "when": "2024-01-02T03:04:05.000Z",
            "a.b": "12",
            "gone": null,
            "text": "\u{0}superjson:bigint\u{0}x",
        });
        let text = decode_to_text(json.clone(), Some(&m));
        assert_eq!(
            text,
            r#"{"n":-170141183460469231731687303715884105728,"small":9007199254740993,"when":"2024-01-02T03:04:05.000Z","a.b":12,"gone":null,"text":"\u0000superjson:bigint\u0000x"}"#
        );
        // Already decoded: the same text.
        assert_eq!(decode_to_text(decode(json, Some(&m)), Some(&m)), text);
        assert_eq!(annotation(&m, &["a.b"]), Some("bigint"));
        assert_eq!(annotation(&m, &["when"]), Some("Date"));
        let time = meta(json!({"t": [["custom", "time"]]}));
        assert_eq!(annotation(&time, &["t"]), Some("custom"));
        assert_eq!(annotation(&meta(json!(["Date"])), &[]), Some("Date"));
    }

    #[test]
    fn ignores_paths_that_do_not_exist() {
        let m = meta(json!({"9.x": ["Date"], "": ["undefined"]}));
        assert_eq!(decode(json!([1]), Some(&m)), json!([1]));
    }
}
