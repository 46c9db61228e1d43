//! One log line from several values, as Node's `ctx.log(...args)` writes
//! it: the values joined with a space, strings as they are, anything else
//! as `JSON.stringify(value, undefined, 2)`.

use std::fmt::Write as _;

use interval_protocol::superjson::{strip_tags, DATE_TAG};
use serde::Serialize;
use serde_json::{Map, Value};

/// The values of one log line, for [`Ctx::log_args`](crate::Ctx::log_args)
/// and [`log!`](crate::log!): a tuple of up to 12 values of any
/// `Serialize` types (`()` for none).
///
/// Each value becomes text as the Node SDK's `ctx.log` makes it: a string
/// (anything serializing to a string, e.g. a `&str`, a `String` or a unit
/// enum variant) as it is; a [`Timestamp`](crate::Timestamp) as its quoted
/// ISO text; anything else as JSON indented by two spaces, with numbers
/// written as JavaScript writes them (`2.0` is `2`). The texts are joined
/// with a space.
pub trait LogArgs {
    /// The text of each value, in order.
    #[doc(hidden)]
    fn texts(self) -> Vec<String>;
}

impl LogArgs for () {
    fn texts(self) -> Vec<String> {
        Vec::new()
    }
}

macro_rules! tuple_log_args {
    ($($name:ident $index:tt),+) => {
        impl<$($name: Serialize),+> LogArgs for ($($name,)+) {
            fn texts(self) -> Vec<String> {
                vec![$(text(&self.$index)),+]
            }
        }
    };
}

tuple_log_args!(A 0);
tuple_log_args!(A 0, B 1);
tuple_log_args!(A 0, B 1, C 2);
tuple_log_args!(A 0, B 1, C 2, D 3);
tuple_log_args!(A 0, B 1, C 2, D 3, E 4);
tuple_log_args!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_log_args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_log_args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_log_args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_log_args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_log_args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_log_args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// Logs several values in one line of the transaction's log:
/// `log!(ctx, a, b, ...)` is [`ctx.log_args((a, b, ...))`](crate::Ctx::log_args),
/// a future to `.await`.
///
/// ```no_run
/// # use interval_core as interval;
/// # async fn f(ctx: interval::Ctx) {
/// # #[derive(serde::Serialize)] struct Order { id: u32 }
/// let order = Order { id: 7 };
/// interval::log!(ctx, "Refunded", &order, 12.5).await;
/// // The line: Refunded {\n  "id": 7\n} 12.5
/// # }
/// ```
#[macro_export]
macro_rules! log {
    ($ctx:expr $(, $arg:expr)* $(,)?) => {
        $ctx.log_args(($($arg,)*))
    };
}

/// The text of one value (see [`LogArgs`]).
fn text(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => match s.strip_prefix(DATE_TAG) {
            Some(date) => json_text(&Value::String(date.to_owned())),
            None => s,
        },
        Ok(mut value) => {
            strip_tags(&mut value);
            json_text(&value)
        }
        Err(e) => format!("<value cannot be serialized: {e}>"),
    }
}

/// `JSON.stringify(value, undefined, 2)`.
pub(crate) fn json_text(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value, 0);
    out
}

fn write_json(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                write_json(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            out.push('{');
            for (i, (key, item)) in js_key_order(map).into_iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write_json(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
        Value::Number(n) => match (n.is_f64(), n.as_f64()) {
            (true, Some(f)) => out.push_str(&js_number(f)),
            _ => out.push_str(&n.to_string()),
        },
        // Empty arrays and objects, strings, booleans, null.
        other => out.push_str(&other.to_string()),
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// JavaScript's property order: integer-like keys first, ascending, then
/// the others in insertion order.
fn js_key_order(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let index = |key: &str| -> Option<u32> {
        let n: u32 = key.parse().ok()?;
        (n.to_string() == key && n != u32::MAX).then_some(n)
    };
    let mut entries: Vec<_> = map.iter().collect();
    // Stable: the non-integer keys keep their order.
    entries.sort_by_key(|(key, _)| match index(key) {
        Some(n) => (0, n),
        None => (1, 0),
    });
    entries
}

/// `Number.prototype.toString()` of a finite `f` (JSON writes NaN and
/// infinities as `null`).
fn js_number(f: f64) -> String {
    if !f.is_finite() {
        return "null".into();
    }
    if f == 0.0 {
        return "0".into();
    }
    // The shortest round-trip digits and exponent: "d.ddde-7" -> ("dddd", -7).
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    // f = 0.digits * 10^n
    let n = exponent.parse::<i32>().unwrap_or(0) + 1;
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.push_str(&"0".repeat((n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = n - 1;
        let _ = write!(out, "e{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        let cases = [
            (2.0, "2"),
            (-12.5, "-12.5"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (1e20, "100000000000000000000"),
            (0.000001, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (123.456, "123.456"),
            (-0.0, "0"),
        ];
        for (f, expected) in cases {
            assert_eq!(js_number(f), expected, "{f}");
        }
    }

    #[test]
    fn values_become_node_text() {
        assert_eq!(text(&"plain \"text\""), "plain \"text\"");
        assert_eq!(text(&3), "3");
        assert_eq!(text(&true), "true");
        assert_eq!(text(&Option::<u8>::None), "null");
        assert_eq!(text(&json!([])), "[]");
        assert_eq!(text(&json!({})), "{}");
        assert_eq!(
            text(&json!({"b": [1.0, {"c": null}], "10": "x", "2": [], "a\n": 1})),
            "{\n  \"2\": [],\n  \"10\": \"x\",\n  \"b\": [\n    1,\n    {\n      \"c\": null\n    }\n  ],\n  \"a\\n\": 1\n}"
        );
        let date = format!("{DATE_TAG}2024-01-02T03:04:05.000Z");
        assert_eq!(text(&date), "\"2024-01-02T03:04:05.000Z\"");
        assert_eq!(
            text(&json!({"at": date})),
            "{\n  \"at\": \"2024-01-02T03:04:05.000Z\"\n}"
        );
        assert_eq!(
            ("a", 1, ["x"]).texts(),
            ["a", "1", "[\n  \"x\"\n]"].map(String::from)
        );
    }
}
