//! Syntax highlighting of `DISPLAY_CODE` for its `language`: the code as
//! `<span class="hl-…">` elements, one class per part of each token's
//! TextMate scope (`keyword.control.rust` is `hl-keyword hl-control
//! hl-rust`), coloured by the dashboard's stylesheet (no `style=`
//! attribute: the pages' Content-Security-Policy allows no inline style).
//!
//! With the `highlight` feature (a default one, and the embedded server's):
//! syntect with the syntaxes curated by bat (the `two-face` crate), which
//! has TypeScript and TSX beside JavaScript, SQL, JSON, Rust, Python, Bash,
//! YAML, HTML, CSS and about 150 more. A language is found by one of its
//! file extensions or its name, whatever the case (`ts`, `TypeScript`, `js`,
//! `sh`, `yml`), or by one of a few aliases ([`ALIASES`]). Without the
//! feature, for an unknown language, or for code over [`MAX_BYTES`] or
//! [`MAX_LINES`], code is plain escaped text, as it is if the highlighter
//! fails in any way.
//!
//! What it costs, measured on the shared 2-core development machine with
//! 10 KiB of TypeScript: a syntax's regexes are compiled the first time a
//! block of that language is shown, once per process. With Oniguruma (the
//! engine the grammars are written for) the first TypeScript block takes
//! about 50 ms (150 ms in a debug build) and the process grows by about
//! 7 MiB; later blocks about 33 ms (110 ms). Rust and Python take less.
//! (syntect's pure-Rust engine took 0.5 s and 90 MiB for the same block.)

use maud::{html, Markup};

/// Code longer than this is shown plain: at the slowest (TypeScript) it
/// takes about 0.2 s to highlight (0.7 s in a debug build), for each render.
pub const MAX_BYTES: usize = 64 * 1024;

/// Code of more lines than this is shown plain (as [`MAX_BYTES`]).
pub const MAX_LINES: usize = 2_000;

/// Names of languages that are neither a syntax's name nor one of its file
/// extensions, and the extension that finds them.
pub const ALIASES: &[(&str, &str)] = &[
    ("shell", "sh"),
    ("console", "sh"),
    ("jsx", "tsx"),
    ("node", "js"),
    ("golang", "go"),
    ("c++", "cpp"),
    ("c#", "cs"),
    ("csharp", "cs"),
    ("postgres", "sql"),
    ("postgresql", "sql"),
    ("mysql", "sql"),
    ("sqlite", "sql"),
];

/// `code` for `language`: highlighted when the language is known and the
/// code is within the limits above, else plain escaped text. Never fails.
pub fn code(code: &str, language: Option<&str>) -> Markup {
    match language.and_then(|language| highlighted(code, language)) {
        Some(spans) => maud::PreEscaped(spans),
        None => html! { (code) },
    }
}

#[cfg(not(feature = "highlight"))]
fn highlighted(_code: &str, _language: &str) -> Option<String> {
    None
}

#[cfg(feature = "highlight")]
fn highlighted(code: &str, language: &str) -> Option<String> {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    if code.len() > MAX_BYTES || code.lines().nth(MAX_LINES).is_some() {
        return None;
    }
    let syntaxes = syntaxes::set();
    let syntax = syntaxes::find(syntaxes, language)?;
    // syntect compiles a syntax's regexes the first time they are used and
    // expects them to compile: a panic there, or anywhere in the
    // highlighter (or in moving off the runtime), shows the code plain
    // rather than failing the render.
    let spans = catch_unwind(AssertUnwindSafe(|| {
        off_the_runtime(|| syntaxes::spans(syntaxes, syntax, code))
    }));
    match spans {
        Ok(Ok(spans)) => Some(spans),
        Ok(Err(error)) => {
            tracing::debug!(%error, language, "code shown plain: highlighting failed");
            None
        }
        Err(_) => {
            tracing::warn!(language, "code shown plain: the highlighter panicked");
            None
        }
    }
}

/// Runs `work`, CPU-bound, so that on a multi-threaded tokio runtime the
/// worker's other tasks move to another thread meanwhile (a render runs in
/// an async task; the first block of a language can take a second).
#[cfg(feature = "highlight")]
fn off_the_runtime<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

#[cfg(feature = "highlight")]
mod syntaxes {
    use std::sync::LazyLock;

    use syntect::html::{ClassStyle, ClassedHTMLGenerator};
    use syntect::parsing::{SyntaxReference, SyntaxSet};
    use syntect::util::LinesWithEndings;

    use super::ALIASES;

    /// bat's syntaxes (for lines that end with their newline), decoded the
    /// first time a code block is shown (about 2 ms and 2.5 MiB): a host
    /// that shows no code never pays for them.
    static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);

    /// The classes of a scope's parts start with this.
    const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

    pub fn set() -> &'static SyntaxSet {
        &SYNTAXES
    }

    /// The syntax that `language` names, but plain text (nothing to
    /// highlight).
    pub fn find<'a>(set: &'a SyntaxSet, language: &str) -> Option<&'a SyntaxReference> {
        let language = language.trim();
        let token = ALIASES
            .iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(language))
            .map_or(language, |(_, token)| token);
        if token.is_empty() {
            return None;
        }
        set.find_syntax_by_token(token)
            .filter(|syntax| syntax.name != "Plain Text")
    }

    /// `code` as classed spans, its text escaped.
    pub fn spans(
        set: &SyntaxSet,
        syntax: &SyntaxReference,
        code: &str,
    ) -> Result<String, syntect::Error> {
        let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, STYLE);
        for line in LinesWithEndings::from(code) {
            generator.parse_html_for_line_which_includes_newline(line)?;
        }
        Ok(generator.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(code: &str, language: &str) -> String {
        self::code(code, Some(language)).into_string()
    }

    fn plain(code: &str) -> String {
        html! { (code) }.into_string()
    }

    #[test]
    fn unknown_language_or_none_is_plain_escaped_text() {
        assert_eq!(render("a < b", "no-such-language"), "a &lt; b");
        assert_eq!(render("a < b", ""), "a &lt; b");
        assert_eq!(render("a < b", "text"), "a &lt; b");
        assert_eq!(code("a < b", None).into_string(), "a &lt; b");
    }

    #[test]
    fn oversize_code_is_plain() {
        let line = "let x = \"<y>\";\n";
        let long = line.repeat(MAX_BYTES / line.len() + 1);
        assert_eq!(render(&long, "rust"), plain(&long));
        let many = "x\n".repeat(MAX_LINES + 1);
        assert_eq!(render(&many, "rust"), many);
    }

    #[cfg(feature = "highlight")]
    mod highlighted {
        use super::{plain, render};
        use crate::dashboard::io::highlight::syntaxes;
        use crate::dashboard::io::highlight::{MAX_BYTES, MAX_LINES};

        /// The text of the first element whose classes start with `classes`.
        fn text_in(html: &str, classes: &str) -> Option<String> {
            let at = html.find(&format!("<span class=\"{classes}"))?;
            let open = at + html[at..].find('>')? + 1;
            let close = open + html[open..].find('<')?;
            Some(html[open..close].to_string())
        }

        #[test]
        fn typescript_keywords_and_strings_have_classes() {
            let code = "const greeting: string = 'hi <b>';\nexport async function f() {}\n";
            for language in ["ts", "TypeScript", "typescript"] {
                let out = render(code, language);
                assert!(
                    out.starts_with(r#"<span class="hl-source hl-ts">"#),
                    "{out}"
                );
                assert_eq!(
                    text_in(&out, "hl-storage hl-type").as_deref(),
                    Some("const"),
                    "{out}"
                );
                assert_eq!(
                    text_in(&out, "hl-keyword hl-control hl-export").as_deref(),
                    Some("export"),
                    "{out}"
                );
                assert_eq!(
                    text_in(&out, "hl-support hl-type hl-primitive").as_deref(),
                    Some("string"),
                    "{out}"
                );
                assert!(out.contains("hl-punctuation hl-definition hl-string hl-begin hl-ts\">&#39;</span>hi &lt;b&gt;<"), "{out}");
            }
        }

        #[test]
        fn code_at_the_limits_is_highlighted() {
            let lines = "x\n".repeat(MAX_LINES);
            assert!(render(&lines, "rust").starts_with("<span class=\"hl-"));
            let bytes = format!("// {}", "x".repeat(MAX_BYTES - 3));
            assert_eq!(bytes.len(), MAX_BYTES);
            assert!(render(&bytes, "rust").starts_with("<span class=\"hl-"));
        }

        #[test]
        fn highlights_in_a_task_of_either_kind_of_runtime() {
            use tokio::runtime::Builder;
            for runtime in [
                Builder::new_current_thread().build(),
                Builder::new_multi_thread().worker_threads(1).build(),
            ] {
                let out = runtime.unwrap().block_on(async {
                    tokio::spawn(async { render("fn main() {}", "rust") })
                        .await
                        .unwrap()
                });
                assert!(
                    out.starts_with("<span class=\"hl-source hl-rust\">"),
                    "{out}"
                );
            }
        }

        #[test]
        fn rust_keywords_and_strings_have_classes() {
            let out = render("fn main() { let s = \"hi\"; }", "rs");
            assert_eq!(
                text_in(&out, "hl-storage hl-type hl-function").as_deref(),
                Some("fn"),
                "{out}"
            );
            assert_eq!(
                text_in(&out, "hl-entity hl-name hl-function").as_deref(),
                Some("main"),
                "{out}"
            );
            assert!(
                out.contains("<span class=\"hl-string hl-quoted hl-double hl-rust\">"),
                "{out}"
            );
        }

        #[test]
        fn languages_are_found_by_name_or_extension_whatever_the_case() {
            let set = syntaxes::set();
            for (language, name) in [
                ("ts", "TypeScript"),
                ("TypeScript", "TypeScript"),
                ("tsx", "TypeScriptReact"),
                ("jsx", "TypeScriptReact"),
                ("javascript", "JavaScript"),
                ("JS", "JavaScript (Babel)"),
                ("sql", "SQL"),
                ("postgres", "SQL"),
                ("json", "JSON"),
                ("rust", "Rust"),
                ("rs", "Rust"),
                ("Python", "Python"),
                ("py", "Python"),
                ("bash", "Bourne Again Shell (bash)"),
                ("sh", "Bourne Again Shell (bash)"),
                ("shell", "Bourne Again Shell (bash)"),
                ("yaml", "YAML"),
                ("yml", "YAML"),
                ("html", "HTML"),
                ("css", "CSS"),
                (" toml ", "TOML"),
                ("go", "Go"),
            ] {
                let found = syntaxes::find(set, language).map(|s| s.name.as_str());
                assert_eq!(found, Some(name), "{language}");
            }
            for language in ["", "  ", "txt", "plain text", "no-such-language"] {
                assert!(syntaxes::find(set, language).is_none(), "{language}");
            }
        }

        #[test]
        fn html_in_code_is_escaped() {
            let code = "let s = \"<script>alert(1)</script>\"; // <b>&amp;";
            let out = render(code, "rust");
            assert!(!out.contains("<script") && !out.contains("<b>"), "{out}");
            assert!(
                out.contains("&lt;script&gt;") && out.contains("&lt;b&gt;&amp;amp;"),
                "{out}"
            );
            // Nothing but spans, and the text is the code, escaped.
            let tags = out.matches('<').count();
            let spans = out.matches("<span class=\"hl-").count() + out.matches("</span>").count();
            assert_eq!(tags, spans, "{out}");
            let mut text = String::new();
            let mut in_tag = false;
            for c in out.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' if in_tag => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            let unquoted = |s: &str| s.replace("&quot;", "\"").replace("&#39;", "'");
            assert_eq!(unquoted(&text), unquoted(&plain(code)), "{out}");
        }
    }
}
