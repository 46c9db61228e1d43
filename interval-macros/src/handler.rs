//! Parsing the annotated function: what each argument is, what it returns,
//! and its doc comment.

use syn::{Attribute, Expr, ExprLit, FnArg, ItemFn, Lit, Meta, ReturnType, Type};

/// What a handler argument receives, judged by the last segment of its
/// type's path (macros cannot resolve types; `interval::Io` and `Io` both
/// work, a renamed import does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// `Io`: the I/O handle.
    Io,
    /// `Ctx`: an action's context.
    Ctx,
    /// `PageCtx`: a page's context.
    PageCtx,
    /// Anything else (an error, reported by the checks).
    Other,
}

impl ArgKind {
    /// The type's name, for messages.
    pub fn type_name(self) -> &'static str {
        match self {
            ArgKind::Io => "Io",
            ArgKind::Ctx => "Ctx",
            ArgKind::PageCtx => "PageCtx",
            ArgKind::Other => "?",
        }
    }
}

/// One argument of the handler.
pub struct Arg<'a> {
    pub kind: ArgKind,
    /// The whole argument (`io: Io`), for spans.
    pub arg: &'a FnArg,
    /// Its type, when it is not `self`.
    pub ty: Option<&'a Type>,
    /// Whether the type is a reference (`&Io`).
    pub by_ref: bool,
}

/// How the handler's return value becomes a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// A type whose last path segment is `Result`: passed on as is.
    Result,
    /// Anything else (including `()`): wrapped in `Ok`.
    Value,
}

/// The annotated function, parsed.
pub struct Handler<'a> {
    pub item: &'a ItemFn,
    pub args: Vec<Arg<'a>>,
    pub returns: Returns,
    /// The doc comment, joined into a description.
    pub doc: Option<String>,
}

impl<'a> Handler<'a> {
    /// Reads `item`.
    pub fn parse(item: &'a ItemFn) -> Handler<'a> {
        let args = item.sig.inputs.iter().map(parse_arg).collect();
        let returns = match &item.sig.output {
            ReturnType::Type(_, ty) if is_result(ty) => Returns::Result,
            _ => Returns::Value,
        };
        Handler {
            item,
            args,
            returns,
            doc: doc_to_description(&item.attrs),
        }
    }
}

fn parse_arg(arg: &FnArg) -> Arg<'_> {
    let FnArg::Typed(typed) = arg else {
        return Arg {
            kind: ArgKind::Other,
            arg,
            ty: None,
            by_ref: false,
        };
    };
    let (ty, by_ref) = match &*typed.ty {
        Type::Reference(r) => (&*r.elem, true),
        ty => (ty, false),
    };
    let kind = match last_segment(ty).as_deref() {
        Some("Io") => ArgKind::Io,
        Some("Ctx") => ArgKind::Ctx,
        Some("PageCtx") => ArgKind::PageCtx,
        _ => ArgKind::Other,
    };
    Arg {
        kind,
        arg,
        ty: Some(&typed.ty),
        by_ref,
    }
}

/// The identifier of the last segment of a path type.
fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

fn is_result(ty: &Type) -> bool {
    last_segment(ty).as_deref() == Some("Result")
}

/// Joins the lines of a doc comment into a description: lines of a
/// paragraph are joined with a space, paragraphs with a blank line.
fn doc_to_description(attrs: &[Attribute]) -> Option<String> {
    let lines = attrs.iter().filter_map(|attr| match &attr.meta {
        Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    });
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for text in lines {
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() {
                if !current.is_empty() {
                    paragraphs.push(std::mem::take(&mut current));
                }
            } else {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(line);
            }
        }
        if text.trim().is_empty() && !current.is_empty() {
            paragraphs.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    (!paragraphs.is_empty()).then(|| paragraphs.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tokens: proc_macro2::TokenStream) -> ItemFn {
        syn::parse2(tokens).unwrap()
    }

    #[test]
    fn classifies_arguments_and_returns() {
        let item = parse(quote::quote! {
            async fn f(ctx: interval::Ctx, io: &Io, x: String) -> interval::Result<()> {}
        });
        let h = Handler::parse(&item);
        let kinds: Vec<_> = h.args.iter().map(|a| (a.kind, a.by_ref)).collect();
        assert_eq!(
            kinds,
            [
                (ArgKind::Ctx, false),
                (ArgKind::Io, true),
                (ArgKind::Other, false)
            ]
        );
        assert_eq!(h.returns, Returns::Result);
        let item = parse(quote::quote! { async fn f() -> Vec<u8> {} });
        assert_eq!(Handler::parse(&item).returns, Returns::Value);
        let item = parse(quote::quote! { async fn f() {} });
        assert_eq!(Handler::parse(&item).returns, Returns::Value);
    }

    #[test]
    fn joins_doc_comments() {
        let item = parse(quote::quote! {
            /// Refunds an order
            ///   in full.
            ///
            /// Careful.
            #[inline]
            async fn f() {}
        });
        assert_eq!(
            Handler::parse(&item).doc.as_deref(),
            Some("Refunds an order in full.\n\nCareful.")
        );
        let item = parse(quote::quote! { async fn f() {} });
        assert_eq!(Handler::parse(&item).doc, None);
    }
}
