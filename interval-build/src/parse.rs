//! Reading one route file with `syn`: which `#[action]`/`#[page]` fns it
//! holds.

use std::path::Path;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Item};

use crate::error::Error;

/// What an annotated fn declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlerKind {
    /// `#[action]`.
    Action,
    /// `#[page]`.
    Page,
}

impl HandlerKind {
    fn attr(self) -> &'static str {
        match self {
            HandlerKind::Action => "`#[action]`",
            HandlerKind::Page => "`#[page]`",
        }
    }
}

/// An annotated fn found in a file.
#[derive(Debug, Clone)]
pub struct Handler {
    pub kind: HandlerKind,
    /// The fn's name, without `r#`.
    pub name: String,
    /// Where the fn is (for errors).
    pub span: Span,
}

/// The handlers of one file: top-level fns only.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub handlers: Vec<Handler>,
    /// Whether the file starts with inner attributes or `//!` docs.
    pub inner_attrs: Option<Span>,
}

/// Parses `source` (the text of `path`).
pub fn parse_file(path: &Path, source: &str) -> Result<Parsed, Vec<Error>> {
    let file = syn::parse_file(source).map_err(|e| {
        vec![Error::spanned(
            path,
            e.span(),
            format!("this file does not parse: {e}"),
        )]
    })?;
    let mut parsed = Parsed {
        inner_attrs: file.attrs.first().map(|a| a.span()),
        ..Parsed::default()
    };
    let mut errors = Vec::new();
    for item in &file.items {
        let Item::Fn(f) = item else { continue };
        let Some(kind) = handler_kind(&f.attrs) else {
            continue;
        };
        if f.sig.asyncness.is_none() {
            errors.push(Error::spanned(
                path,
                f.sig.fn_token.span,
                format!(
                    "{} handlers must be `async fn`: write `async fn {}`",
                    kind.attr(),
                    f.sig.ident
                ),
            ));
        }
        let name = f.sig.ident.to_string();
        parsed.handlers.push(Handler {
            kind,
            name: name.strip_prefix("r#").unwrap_or(&name).to_owned(),
            span: f.sig.fn_token.span,
        });
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

/// `#[action]`, `#[interval::action]`, `#[::interval::page]`, ...
fn handler_kind(attrs: &[Attribute]) -> Option<HandlerKind> {
    attrs.iter().find_map(|attr| {
        let segments: Vec<String> = attr
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let last = match segments.as_slice() {
            [last] => last,
            [krate, last] if krate == "interval" || krate == "interval_macros" => last,
            _ => return None,
        };
        match last.as_str() {
            "action" => Some(HandlerKind::Action),
            "page" => Some(HandlerKind::Page),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_annotated_fns_only() {
        let source = r#"
            use interval::{action, Io};
            fn helper() {}
            #[interval::action(name = "Hi")]
            pub async fn r#type(io: Io) {}
            #[serde::action] async fn not_ours() {}
            mod inner { #[action] async fn nested() {} }
        "#;
        let parsed = parse_file(Path::new("x.rs"), source).unwrap();
        assert_eq!(parsed.handlers.len(), 1);
        assert_eq!(parsed.handlers[0].name, "type");
        assert_eq!(parsed.handlers[0].kind, HandlerKind::Action);
        assert_eq!(parsed.handlers[0].span.start().line, 5);
        assert!(parsed.inner_attrs.is_none());
        let parsed = parse_file(Path::new("x.rs"), "//! Docs\n#[page] async fn p() {}").unwrap();
        assert_eq!(parsed.handlers[0].kind, HandlerKind::Page);
        assert!(parsed.inner_attrs.is_some());
    }

    #[test]
    fn reports_sync_handlers_and_syntax_errors() {
        let errors = parse_file(Path::new("x.rs"), "\n#[page]\nfn p() {}").unwrap_err();
        assert_eq!(errors[0].position, Some((3, 1)));
        assert!(errors[0].message.contains("must be `async fn`"));
        let errors = parse_file(Path::new("x.rs"), "fn (").unwrap_err();
        assert!(errors[0].message.starts_with("this file does not parse"));
    }
}
