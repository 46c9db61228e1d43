//! Fragments of the action and page views that are not IO calls: loading
//! states, log lines, results, page layouts, host status, timestamps.

use std::collections::HashMap;

use interval_protocol::layout::Layout;
use interval_protocol::result::{ActionResult, ActionResultStatus};
use interval_protocol::types::{LoadingState, ResultStatus};
use maud::{html, Markup};
use serde_json::Value;

use super::io::{display, form, menu_items, Scope};

/// `YYYY-MM-DDTHH:MM:SSZ` for milliseconds since the epoch (UTC).
pub fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// A timestamp; the script shows it in the viewer's time zone.
pub fn time(ms: i64) -> Markup {
    let iso = iso(ms);
    let text = format!("{} {} UTC", &iso[..10], &iso[11..16]);
    html! { time datetime=(iso) { (text) } }
}

/// A loading state, with a progress bar when items are counted.
pub fn loading(state: &LoadingState) -> Markup {
    let label = state
        .label
        .as_deref()
        .or(state.title.as_deref())
        .unwrap_or("Loading…");
    html! {
        div.loading role="status" aria-live="polite" {
            div.spinner aria-hidden="true" {}
            div {
                p.loading-label { (label) }
                @if let Some(description) = &state.description { p.help { (description) } }
                @if let Some(total) = state.items_in_queue.filter(|t| *t > 0) {
                    @let done = state.items_completed.unwrap_or(0).min(total);
                    progress value=(done) max=(total) aria-label=(label) {}
                    p.help.count { (done) " of " (total) " completed" }
                }
            }
        }
    }
}

/// One line of the log panel.
pub fn log_line(index: i64, data: &str, timestamp: i64) -> Markup {
    html! {
        li data-log=(index) { (time_to_the_second(timestamp)) " " span.log-text { (data) } }
    }
}

/// A `<time>` to the second (log lines: several often fall in one minute),
/// localized by the dashboard's script.
pub fn time_to_the_second(ms: i64) -> Markup {
    let iso = iso(ms);
    let text = format!("{} {} UTC", &iso[..10], &iso[11..19]);
    html! { time datetime=(iso) data-seconds { (text) } }
}

/// The outcome of a transaction.
pub fn result(status: ResultStatus, result: Option<&ActionResult>, at: i64) -> Markup {
    let failed = status == ResultStatus::Failure
        || result.is_some_and(|r| r.status == ActionResultStatus::Failure);
    let (class, title) = match status {
        _ if failed => ("result failure", "Error"),
        ResultStatus::Canceled => ("result canceled", "Canceled"),
        ResultStatus::Redirected => ("result", "Redirected"),
        _ => ("result success", "Completed"),
    };
    html! {
        section class=(class) aria-labelledby="result-title" role="status" data-ended {
            p.result-head {
                span.result-mark aria-hidden="true" { (if failed { "!" } else { "✓" }) }
                strong #result-title { (title) } " at " (time(at))
            }
            @if let Some(result) = result {
                @if failed {
                    @let message = result.data.get("message").and_then(Value::as_str).unwrap_or("The action failed.");
                    p.error-message { (message) }
                    @if let Some(error) = result.data.get("error").and_then(Value::as_str).filter(|e| *e != "Error") {
                        p.help { (error) }
                    }
                } @else if !result.data.is_null() {
                    p.help { "Result:" }
                    div.result-data { (display::value(&result.data)) }
                }
            }
        }
    }
}

/// The toolbar of a finished transaction.
pub fn done_toolbar(slug: Option<&str>) -> Markup {
    html! {
        @if let Some(slug) = slug {
            a.button.secondary href=(super::routes::href(slug, None)) { "New transaction" }
        }
        a.button.secondary href="/" { "Go back" }
    }
}

/// A banner about the host running the transaction or page; `ended` when
/// the transaction is over for good (leaving it then needs no warning).
pub fn host_status(message: &str, ended: bool) -> Markup {
    html! { p.banner role="alert" data-ended[ended] { (message) } }
}

/// The parts of a page's layout: title, description, menu, children and
/// errors (`None` for parts to leave as they are).
pub struct LayoutParts {
    /// The title, when the host sent one.
    pub title: Option<Markup>,
    /// The description, when the host sent one.
    pub description: Option<Markup>,
    /// The menu items.
    pub menu: Markup,
    /// Children and errors.
    pub body: Markup,
}

/// A page's layout (§5.2).
pub fn layout(page_key: &str, layout: &Layout, states: &HashMap<usize, Value>) -> LayoutParts {
    let pending = html! { span.pending { "Loading…" } };
    LayoutParts {
        title: layout.title.as_ref().map(|t| match t {
            Some(title) => html! { (title) },
            None => pending.clone(),
        }),
        description: layout.description.as_ref().map(|d| match d {
            Some(description) => html! { (description) },
            None => pending.clone(),
        }),
        menu: html! {
            @if let Some(items) = &layout.menu_items { (menu_items(items)) }
        },
        body: html! {
            @for error in layout.errors.iter().flatten() {
                div.error-box role="alert" {
                    strong { (error.error) } ": " (error.message)
                    @if let Some(key) = &error.layout_key { span.help { " (in " (key) ")" } }
                }
            }
            @if let Some(children) = &layout.children {
                (form(children, Scope { key: page_key, page: true, states, identity: Default::default(), prefix: "", append: false, answered: false }))
            }
        },
    }
}

/// A notification shown at once, over the page (`ctx.notify`); the page's
/// script dismisses it after a while, or its button does.
pub fn toast(title: Option<&str>, message: &str) -> Markup {
    html! {
        div.toast role="status" {
            @if let Some(title) = title { strong.toast-title { (title) } " " }
            span.toast-message { (message) }
            button.toast-close type="button" aria-label="Dismiss notification" data-dismiss { "×" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_709_993_045_000), "2024-03-09T14:04:05Z");
        assert!(time(0).into_string().contains("1970-01-01 00:00 UTC"));
    }

    #[test]
    fn loading_with_progress() {
        let state = LoadingState {
            label: Some("Importing".into()),
            items_in_queue: Some(4),
            items_completed: Some(1),
            ..Default::default()
        };
        let out = loading(&state).into_string();
        assert!(out.contains(r#"<progress value="1" max="4""#), "{out}");
        assert!(out.contains("1 of 4 completed"));
    }

    #[test]
    fn results() {
        let ok = ActionResult::success(json!({"message": "Hello, Ada"}), None);
        let out = result(ResultStatus::Success, Some(&ok), 0).into_string();
        assert!(
            out.contains("Completed") && out.contains("Hello, Ada"),
            "{out}"
        );
        let failed = ActionResult::failure(interval_protocol::result::FailureData {
            error: "Error".into(),
            message: "Something <b>broke</b>".into(),
            cause: None,
        });
        let out = result(ResultStatus::Failure, Some(&failed), 0).into_string();
        assert!(out.contains("Something &lt;b&gt;broke&lt;/b&gt;"), "{out}");
    }
}
