//! Dates in an action's values (tables, metadata, objects, results) shown
//! for the reader: a `<time datetime>` whose text the dashboard's script
//! rewrites in the browser's locale and time zone, with a readable UTC
//! text for when it does not run ("Mar 1, 2024, 12:00 UTC").
//!
//! Which strings are dates: exactly what Interval's dashboard takes for one
//! (`RenderValue`'s `new Date(s).toJSON() === s`), the canonical
//! `YYYY-MM-DDTHH:mm:ss.sssZ` form of a real instant. A superjson `Date`
//! (§3.5) always arrives in that form, whichever SDK sent it, so the rule
//! covers every value its meta marks as a date; any other string, however
//! date-like ("2024-03-01", "12:00"), stays text.

use maud::{html, Markup};
use serde_json::Value;

use super::text_of;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The parts of a canonical date string: year, month, day, hour, minute.
fn parts(s: &str) -> Option<[u32; 5]> {
    let b = s.as_bytes();
    let digits = |from: usize, to: usize| -> Option<u32> {
        let part = s.get(from..to)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() != 24
        || (b[4], b[7], b[10], b[13], b[16], b[19], b[23])
            != (b'-', b'-', b'T', b':', b':', b'.', b'Z')
    {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 7)?, digits(8, 10)?);
    let (hour, minute, second) = (digits(11, 13)?, digits(14, 16)?, digits(17, 19)?);
    digits(20, 23)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    (day >= 1 && day <= days && hour < 24 && minute < 60 && second < 60)
        .then_some([year, month, day, hour, minute])
}

/// Whether `s` is a date as Interval reads one: the exact
/// `Date.toJSON()` text of a real instant.
pub fn is_date(s: &str) -> bool {
    parts(s).is_some()
}

/// `Mar 1, 2024, 12:00 UTC` for a date string.
pub fn readable_utc(s: &str) -> Option<String> {
    let [year, month, day, hour, minute] = parts(s)?;
    Some(format!(
        "{} {day}, {year}, {hour:02}:{minute:02} UTC",
        MONTHS[month as usize - 1]
    ))
}

/// A date string as a `<time>` the script localizes (`data-date`), or
/// `None` when `s` is not a date.
pub fn time(s: &str) -> Option<Markup> {
    let text = readable_utc(s)?;
    Some(html! { time datetime=(s) data-date { (text) } })
}

/// A value as text, or as a `<time>` when it is a date.
pub fn value_text(value: &Value) -> Markup {
    match value.as_str().and_then(time) {
        Some(time) => time,
        None => html! { (text_of(value)) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_canonical_form_of_a_real_instant_is_a_date() {
        assert!(is_date("2024-03-01T12:00:00.000Z"));
        assert!(is_date("2024-02-29T23:59:59.999Z"));
        for not in [
            "2023-02-29T00:00:00.000Z",
            "2024-03-01T12:00:00Z",
            "2024-03-01",
            "2024-03-01T24:00:00.000Z",
            "2024-13-01T00:00:00.000Z",
            "12:00:00",
            "2024-03-01T12:00:00.000+01:00",
        ] {
            assert!(!is_date(not), "{not}");
        }
    }

    #[test]
    fn dates_read_in_utc_until_the_script_localizes_them() {
        assert_eq!(
            readable_utc("2024-03-01T12:00:00.000Z").as_deref(),
            Some("Mar 1, 2024, 12:00 UTC")
        );
        let out = value_text(&json!("2024-12-25T09:05:00.000Z")).into_string();
        assert_eq!(
            out,
            r#"<time datetime="2024-12-25T09:05:00.000Z" data-date>Dec 25, 2024, 09:05 UTC</time>"#
        );
        assert_eq!(value_text(&json!("2024-12-25")).into_string(), "2024-12-25");
        assert_eq!(value_text(&json!(3)).into_string(), "3");
    }
}
