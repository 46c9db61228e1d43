//! Displays (§4.3): headings, markdown, HTML, code, images, videos, links,
//! objects, metadata and progress. Markdown and HTML are sanitized; URLs
//! are checked.

use maud::{html, Markup};
use serde_json::Value;

use super::{highlight, menu_items, text_of, Field};
use crate::dashboard::routes::target_href;
use crate::dashboard::sanitize;

/// `DISPLAY_HEADING`.
pub fn heading(field: Field<'_>) -> Markup {
    let level = field.num("level").map(|l| l as u8).unwrap_or(2);
    let text = &field.component.label;
    html! {
        div.heading {
            @match level {
                3 => h3 { (text) },
                4 => h4 { (text) },
                _ => h2 { (text) },
            }
            @if let Some(description) = field.str("description") { p.description { (description) } }
            @if let Some(items) = field.prop("menuItems").and_then(Value::as_array) {
                div.menu { (menu_items(items)) }
            }
        }
    }
}

/// `DISPLAY_MARKDOWN`: the label is the markdown.
pub fn markdown(field: Field<'_>) -> Markup {
    html! { div.prose { (sanitize::markdown(&field.component.label)) } }
}

/// `DISPLAY_HTML`.
pub fn html(field: Field<'_>) -> Markup {
    html! {
        div.prose.html-display {
            @if !field.component.label.is_empty() { p.label-text { (field.component.label) } }
            (sanitize::html(field.str("html").unwrap_or_default()))
        }
    }
}

/// `DISPLAY_CODE`: highlighted for its `language` ([`highlight`]).
pub fn code(field: Field<'_>) -> Markup {
    let language = field.str("language");
    let code = field.str("code").unwrap_or_default();
    html! {
        figure.code {
            @if !field.component.label.is_empty() { figcaption { (field.component.label) } }
            pre tabindex="0" {
                code class=[language.map(|l| format!("language-{l}"))] { (highlight::code(code, language)) }
            }
        }
    }
}

fn size_class(field: &Field<'_>) -> String {
    let size = field
        .str("size")
        .or_else(|| field.str("width"))
        .or_else(|| field.str("height"))
        .filter(|s| matches!(*s, "thumbnail" | "small" | "medium" | "large"))
        .unwrap_or("medium");
    format!("size-{size}")
}

/// `DISPLAY_IMAGE`.
pub fn image(field: Field<'_>) -> Markup {
    let src = field.str("url").and_then(sanitize::media_url);
    html! {
        figure.media {
            @if let Some(src) = src {
                img src=(src) alt=(field.str("alt").unwrap_or(&field.component.label))
                    class=(size_class(&field));
            } @else { p.error-box { "This image's URL is not allowed." } }
            @if !field.component.label.is_empty() { figcaption { (field.component.label) } }
        }
    }
}

/// `DISPLAY_VIDEO`.
pub fn video(field: Field<'_>) -> Markup {
    let src = field.str("url").and_then(sanitize::media_url);
    html! {
        figure.media {
            @if let Some(src) = src {
                video src=(src) controls loop[field.flag("loop")] muted[field.flag("muted")]
                    class=(size_class(&field)) aria-label=(field.component.label) {}
            } @else { p.error-box { "This video's URL is not allowed." } }
            @if !field.component.label.is_empty() { figcaption { (field.component.label) } }
        }
    }
}

/// `DISPLAY_LINK`: a button-styled link.
pub fn link(field: Field<'_>) -> Markup {
    let class = match field.str("theme") {
        Some("danger") => "button danger",
        Some("primary") => "button primary",
        _ => "button secondary",
    };
    let download = field.str("download");
    html! {
        p.link {
            @match target_href(&field.component.props) {
                Some((href, true)) => {
                    a class=(class) href=(href) download=[download] target="_blank" rel="noopener noreferrer" {
                        (field.component.label)
                    }
                }
                Some((href, false)) => { a class=(class) href=(href) download=[download] { (field.component.label) } }
                None => { span.error-box { (field.component.label) ": this link's URL is not allowed." } }
            }
        }
    }
}

/// Any JSON value as nested key/value tables (`DISPLAY_OBJECT` and
/// action results).
pub fn value(value: &Value) -> Markup {
    match value {
        Value::Object(map) if !map.is_empty() => html! {
            table.object {
                tbody {
                    @for (k, v) in map {
                        tr { th scope="row" { (k) } td { (self::value(v)) } }
                    }
                }
            }
        },
        Value::Array(items) if !items.is_empty() => html! {
            ol.object-list {
                @for item in items { li { (self::value(item)) } }
            }
        },
        Value::Null => html! { span.null { "null" } },
        other => super::dates::value_text(other),
    }
}

/// `DISPLAY_OBJECT`.
pub fn object(field: Field<'_>) -> Markup {
    html! {
        div.object-display {
            @if !field.component.label.is_empty() { h2.label-text { (field.component.label) } }
            (value(field.prop("data").unwrap_or(&Value::Null)))
        }
    }
}

/// `DISPLAY_METADATA`: labelled values as a grid, a list or a card.
pub fn metadata(field: Field<'_>) -> Markup {
    let layout = match field.str("layout") {
        Some("list") => "list",
        Some("card") => "card",
        _ => "grid",
    };
    let items: &[Value] = field
        .prop("data")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    html! {
        div.metadata-display {
            @if !field.component.label.is_empty() { h2.label-text { (field.component.label) } }
            dl class=(format!("metadata {layout}")) {
                @for item in items {
                    div.meta-item {
                        dt { (item.get("label").map(text_of).unwrap_or_default()) }
                        dd {
                            @if let Some(error) = item.get("error").and_then(Value::as_str) {
                                span.error { (error) }
                            } @else {
                                @if let Some(src) = item.get("image").and_then(|i| i.get("url")).and_then(Value::as_str).and_then(sanitize::media_url) {
                                    img.meta-image src=(src) alt="";
                                }
                                @let value = item.get("value").filter(|v| !v.is_null() && v.as_str() != Some(""));
                                @match (target_href(item), value) {
                                    (Some((href, _)), Some(value)) => { a href=(href) { (super::dates::value_text(value)) } }
                                    (Some((href, _)), None) => { a href=(href) { (href) } }
                                    (None, Some(value)) => { (super::dates::value_text(value)) }
                                    (None, None) => {}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The three progress displays.
pub fn progress(field: Field<'_>) -> Markup {
    let label = &field.component.label;
    match field.component.method_name.as_str() {
        "DISPLAY_PROGRESS_STEPS" => {
            let steps = field.prop("steps");
            let completed = steps
                .and_then(|s| s.get("completed"))
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let total = steps
                .and_then(|s| s.get("total"))
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            html! {
                div.progress-display {
                    p.label-text #(format!("{}-label", field.id())) { (label) }
                    @if let Some(step) = field.str("currentStep") { p { (step) } }
                    progress value=(completed) max=(total.max(1.0)) aria-labelledby=(format!("{}-label", field.id())) {}
                    p.help { (completed) " of " (total) @if let Some(s) = field.str("subTitle") { " · " (s) } }
                }
            }
        }
        "DISPLAY_PROGRESS_INDETERMINATE" => html! {
            div.progress-display {
                p.label-text #(format!("{}-label", field.id())) { (label) }
                progress aria-labelledby=(format!("{}-label", field.id())) {}
            }
        },
        _ => {
            let items: &[Value] = field
                .prop("items")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            html! {
                div.progress-display {
                    p.label-text { (label) }
                    ul.progress-list {
                        @for item in items {
                            @let done = item.get("isComplete").and_then(Value::as_bool).unwrap_or(false);
                            li class=(if done { "done" } else { "pending" }) {
                                span.mark aria-hidden="true" { (if done { "✓" } else { "…" }) }
                                span.visually-hidden { (if done { "Done: " } else { "Pending: " }) }
                                (item.get("label").map(text_of).unwrap_or_default())
                                @if let Some(result) = item.get("resultDescription").and_then(Value::as_str) {
                                    " — " span.help { (result) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::one;
    use serde_json::json;

    #[test]
    fn markdown_and_html_are_clean() {
        let out = one(
            "DISPLAY_MARKDOWN",
            "**hi** <script>alert(1)</script>",
            json!({}),
        );
        assert!(
            out.contains("<strong>hi</strong>") && !out.contains("<script"),
            "{out}"
        );
        let out = one(
            "DISPLAY_HTML",
            "",
            json!({"html": "<p onclick=\"x()\">ok</p><script>1</script>"}),
        );
        assert!(out.contains("<p>ok</p>") && !out.contains("onclick") && !out.contains("<script"));
    }

    #[test]
    fn media_links_and_code() {
        let out = one(
            "DISPLAY_IMAGE",
            "Logo",
            json!({"url": "https://x/l.png", "width": "small"}),
        );
        assert!(
            out.contains(r#"src="https://x/l.png" alt="Logo" class="size-small""#),
            "{out}"
        );
        let out = one(
            "DISPLAY_IMAGE",
            "Bad",
            json!({"url": "javascript:alert(1)"}),
        );
        assert!(!out.contains("javascript"));
        let out = one(
            "DISPLAY_VIDEO",
            "Clip",
            json!({"url": "https://x/v.mp4", "muted": true}),
        );
        assert!(out.contains("<video") && out.contains("muted"));
        let out = one(
            "DISPLAY_LINK",
            "Docs",
            json!({"url": "https://docs", "theme": "primary"}),
        );
        assert!(
            out.contains(r#"class="button primary" href="https://docs""#),
            "{out}"
        );
        let out = one(
            "DISPLAY_CODE",
            "main.rs",
            json!({"code": "fn main() { <x> }", "language": "rust"}),
        );
        assert!(
            out.contains("language-rust") && !out.contains("<x>"),
            "{out}"
        );
        assert!(text(&out).contains("fn main() { &lt;x&gt; }"), "{out}");
        let out = one(
            "DISPLAY_CODE",
            "",
            json!({"code": "<x>", "language": "no-such-language"}),
        );
        assert!(
            out.contains(r#"<code class="language-no-such-language">&lt;x&gt;</code>"#),
            "{out}"
        );
    }

    /// `html` without its tags.
    fn text(html: &str) -> String {
        let mut text = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        text
    }

    #[cfg(feature = "highlight")]
    #[test]
    fn code_is_highlighted_for_its_language() {
        let out = one(
            "DISPLAY_CODE",
            "main.rs",
            json!({"code": "fn main() { let s = \"hi\"; }", "language": "Rust"}),
        );
        assert!(
            out.contains(r#"<code class="language-Rust"><span class="hl-source hl-rust">"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<span class="hl-storage hl-type hl-function hl-rust">fn</span>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<span class="hl-string hl-quoted hl-double hl-rust">"#),
            "{out}"
        );
        assert!(
            text(&out).contains("fn main() { let s = &quot;hi&quot;; }"),
            "{out}"
        );
    }

    #[test]
    fn objects_metadata_progress() {
        let out = one(
            "DISPLAY_OBJECT",
            "User",
            json!({"data": {"name": "Ada", "tags": ["a"]}}),
        );
        assert!(
            out.contains(r#"<th scope="row">name</th><td>Ada</td>"#),
            "{out}"
        );
        let out = one(
            "DISPLAY_METADATA",
            "Info",
            json!({"layout": "card", "data": [{"label": "Plan", "value": "Pro"}, {"label": "Err", "error": "boom"}]}),
        );
        assert!(out.contains("metadata card") && out.contains("Pro") && out.contains("boom"));
        let out = one(
            "DISPLAY_PROGRESS_STEPS",
            "Import",
            json!({"steps": {"completed": 2, "total": 5}, "currentStep": "Users"}),
        );
        assert!(out.contains(r#"<progress value="2" max="5""#), "{out}");
    }
}
