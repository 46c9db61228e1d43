//! Markdown and HTML from actions, made safe to show: rendered with
//! pulldown-cmark, cleaned with ammonia (no script, no event handler, no
//! `javascript:` URL, no style), and URLs checked before they become links
//! or image sources.

use maud::{Markup, PreEscaped};

/// Cleans HTML from an action (`DISPLAY_HTML`, rich text).
pub fn html(source: &str) -> Markup {
    PreEscaped(without_sourceless_images(
        &cleaner().clean(source).to_string(),
    ))
}

/// `cleaned` (ammonia's output) less its `<img>` elements that have no
/// `src`: one whose source the cleaner refused (`<img src=x onerror=…>`)
/// would show nothing, and a screen reader would announce an image with
/// no text. Scans ammonia's serialization, where every attribute value is
/// quoted and escaped (and a `>` inside quotes would not end the tag).
fn without_sourceless_images(cleaned: &str) -> String {
    let mut kept = String::with_capacity(cleaned.len());
    let mut rest = cleaned;
    while let Some(start) = rest.find("<img") {
        kept.push_str(&rest[..start]);
        let tag = &rest[start..];
        let mut quoted = false;
        let end = tag
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == '>' && !quoted
            })
            .map_or(tag.len(), |(i, _)| i + 1);
        let element = &tag[..end];
        if element.contains(" src=\"") {
            kept.push_str(element);
        }
        rest = &tag[end..];
    }
    kept.push_str(rest);
    kept
}

/// Renders markdown from an action (`DISPLAY_MARKDOWN`) and cleans the
/// result: raw HTML inside the markdown goes through the same cleaner.
pub fn markdown(source: &str) -> Markup {
    use pulldown_cmark::{html::push_html, Options, Parser};
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut rendered = String::with_capacity(source.len() * 3 / 2);
    push_html(&mut rendered, Parser::new_ext(source, options));
    html(&rendered)
}

/// The elements of inline markdown (help texts), as Interval allows them:
/// paragraphs, breaks, emphasis, links, code and lists. Anything else keeps
/// its text and loses its element.
const INLINE_TAGS: [&str; 11] = [
    "p", "br", "b", "strong", "i", "em", "a", "code", "ul", "ol", "li",
];

/// Renders the inline markdown of a help text: emphasis, `code` and links
/// (opening in a new tab, as Interval's do), cleaned like [`markdown`].
pub fn inline_markdown(source: &str) -> Markup {
    use pulldown_cmark::{html::push_html, Options, Parser};
    let mut rendered = String::with_capacity(source.len() * 3 / 2);
    push_html(
        &mut rendered,
        Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH),
    );
    let mut builder = cleaner();
    builder
        .tags(INLINE_TAGS.into())
        .set_tag_attribute_value("a", "target", "_blank");
    PreEscaped(builder.clean(&rendered).to_string())
}

fn cleaner() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tags(["input"])
        .url_schemes(["http", "https", "mailto", "tel", "data"].into())
        // Every URL goes through the same checks as the dashboard's own
        // links: `data:` only as the source of an image, and no relative
        // URL that a browser would read as another host (`/\evil.example`).
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("img", "src") => media_url(value).map(Into::into),
            (_, "href" | "src" | "cite" | "action" | "formaction" | "poster" | "srcset") => {
                link_url(value).map(Into::into)
            }
            _ => Some(value.into()),
        });
    builder
}

/// `url` if it is safe as a link target: http(s), mailto, tel, a path on
/// this server or a fragment; `None` for `javascript:`, `data:`, a
/// protocol-relative `//host`, and paths a browser would read as one
/// (`/\host`, or with tabs or newlines inside).
pub fn link_url(url: &str) -> Option<&str> {
    let trimmed = url.trim();
    if trimmed.starts_with('/') || trimmed.starts_with('#') {
        let ambiguous = trimmed.starts_with("//")
            || trimmed.contains('\\')
            || trimmed.chars().any(|c| c.is_control());
        return (!ambiguous).then_some(trimmed);
    }
    let scheme = trimmed.split_once(':')?.0.to_ascii_lowercase();
    matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel").then_some(trimmed)
}

/// `url` if it is safe as an image or video source: what [`link_url`]
/// accepts, plus `data:` URLs of images and videos (what the SDKs send for
/// buffers).
pub fn media_url(url: &str) -> Option<&str> {
    let trimmed = url.trim();
    let lower = trimmed.get(..11).unwrap_or(trimmed).to_ascii_lowercase();
    if lower.starts_with("data:image/") || lower.starts_with("data:video/") {
        // An SVG data URL could carry script if opened on its own; as an
        // <img> source it cannot run, but keep it out anyway.
        if trimmed.to_ascii_lowercase().starts_with("data:image/svg") {
            return None;
        }
        return Some(trimmed);
    }
    link_url(trimmed).filter(|u| !u.starts_with("mailto:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_never_survives() {
        let dirty = "# Hi\n\n<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n\
                     [x](javascript:alert(3)) <a href=\"javascript:alert(4)\">y</a> \
                     <div style=\"background:url(javascript:alert(5))\">z</div>";
        for out in [markdown(dirty).0, html(dirty).0] {
            let lower = out.to_lowercase();
            assert!(!lower.contains("<script"), "{out}");
            assert!(!lower.contains("onerror"), "{out}");
            assert!(!lower.contains("href=\"javascript:"), "{out}");
            assert!(!lower.contains("style="), "{out}");
        }
        assert!(markdown(dirty).0.contains("<h1>Hi</h1>"));
    }

    #[test]
    fn data_urls_survive_only_as_image_sources() {
        let dirty = "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>\
                     <img src=\"data:image/png;base64,iVBO\">\
                     <img src=\"data:image/svg+xml,<svg onload=alert(2)>\">\
                     <a href=\"/\\evil.example\">y</a> <iframe src=\"data:text/html,z\"></iframe>";
        for out in [markdown(dirty).0, html(dirty).0] {
            let lower = out.to_lowercase();
            assert!(!lower.contains("data:text"), "{out}");
            assert!(!lower.contains("data:image/svg"), "{out}");
            assert!(!lower.contains("evil.example"), "{out}");
            assert!(
                lower.contains("src=\"data:image/png;base64,ivbo\""),
                "{out}"
            );
        }
    }

    #[test]
    fn markdown_keeps_its_formatting() {
        let out = markdown("**bold** and a [link](https://example.com)\n\n| a |\n|---|\n| 1 |").0;
        assert!(out.contains("<strong>bold</strong>"));
        assert!(out.contains("href=\"https://example.com\""));
        assert!(out.contains("rel=\"noopener noreferrer nofollow\""));
        assert!(out.contains("<table>"));
    }

    #[test]
    fn help_texts_keep_inline_markdown_only() {
        let out = inline_markdown(
            "See **the docs**, *now*: [guide](https://example.com) or `x = 1`.\n\n# Big\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(2))",
        )
        .0;
        assert!(out.contains("<strong>the docs</strong>"), "{out}");
        assert!(out.contains("<em>now</em>"), "{out}");
        assert!(out.contains("<code>x = 1</code>"), "{out}");
        assert!(
            out.contains(r#"<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">guide</a>"#),
            "{out}"
        );
        // A heading keeps its text, not its size; script goes whole.
        assert!(!out.contains("<h1") && out.contains("Big"), "{out}");
        assert!(
            !out.contains("script") && !out.contains("alert(1)"),
            "{out}"
        );
        assert!(!out.contains("javascript:"), "{out}");
    }

    #[test]
    fn images_without_a_source_are_dropped() {
        let cleaned = html(
            "<p>a<img src=x onerror=\"alert(1)\">b</p>\
             <img alt=\"1 > 0\" src=\"https://example.com/a.png\">\
             <img src=\"javascript:alert(2)\" alt=\"gone\">",
        )
        .into_string();
        assert_eq!(
            cleaned,
            "<p>ab</p><img alt=\"1 &gt; 0\" src=\"https://example.com/a.png\">"
        );
    }

    #[test]
    fn urls_are_checked() {
        assert_eq!(link_url("https://a.b/c"), Some("https://a.b/c"));
        assert_eq!(link_url("/actions/x"), Some("/actions/x"));
        assert_eq!(link_url("//evil.com"), None);
        assert_eq!(link_url("/\\evil.com"), None);
        assert_eq!(link_url("/\t/evil.com"), None);
        assert_eq!(link_url("#fn-1"), Some("#fn-1"));
        assert_eq!(link_url(" JavaScript:alert(1)"), None);
        assert_eq!(link_url("data:text/html,<script>"), None);
        assert!(media_url("data:image/png;base64,iVBO").is_some());
        assert_eq!(media_url("data:image/svg+xml,<svg onload=x>"), None);
        assert_eq!(media_url("mailto:a@b"), None);
    }
}
