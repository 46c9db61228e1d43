//! Checks of the parsed attribute and function. Each problem is reported on
//! the user's token and the checks go on, so one build shows every mistake.

use crate::attr::Attrs;
use crate::ctxt::Ctxt;
use crate::handler::{ArgKind, Handler};
use crate::Kind;

/// Checks the attribute against the macro: pages have no `backgroundable`
/// or `warn_on_close`.
pub fn check_attrs(cx: &mut Ctxt, kind: Kind, attrs: &Attrs) {
    if kind == Kind::Page {
        for (key, flag) in [
            ("backgroundable", &attrs.backgroundable),
            ("warn_on_close", &attrs.warn_on_close),
        ] {
            if let Some(flag) = flag {
                cx.syn_error(syn::Error::new(
                    flag.span,
                    format!("`{key}` applies to `#[action]` only; pages take `name`, `description`, `unlisted` and `access`"),
                ));
            }
        }
    }
}

/// Checks the function's signature. Returns whether it can be called as a
/// handler (if not, the expansion leaves the call out).
pub fn check_handler(cx: &mut Ctxt, kind: Kind, handler: &Handler) -> bool {
    let sig = &handler.item.sig;
    let attr = kind.attr();
    let mut errors = 0;
    let mut error = |cx: &mut Ctxt, tokens: &dyn quote::ToTokens, msg: String| {
        errors += 1;
        cx.error_spanned_by(tokens.to_token_stream(), msg);
    };
    if sig.asyncness.is_none() {
        error(
            cx,
            &sig.fn_token,
            format!(
                "{attr} handlers must be `async fn`: write `async fn {}`",
                sig.ident
            ),
        );
    }
    if let Some(token) = &sig.constness {
        error(cx, token, format!("{attr} handlers cannot be `const`"));
    }
    if let Some(token) = &sig.unsafety {
        error(cx, token, format!("{attr} handlers cannot be `unsafe`"));
    }
    if let Some(abi) = &sig.abi {
        error(cx, abi, format!("{attr} handlers cannot have an ABI"));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        error(
            cx,
            &sig.generics,
            format!("{attr} handlers cannot be generic"),
        );
    }
    if let Some(variadic) = &sig.variadic {
        error(cx, variadic, format!("{attr} handlers cannot be variadic"));
    }
    let ctx = match kind {
        Kind::Action => ArgKind::Ctx,
        Kind::Page => ArgKind::PageCtx,
    };
    let expected = format!("`Io` and/or `{}`", ctx.type_name());
    let mut seen: Vec<ArgKind> = Vec::new();
    for arg in &handler.args {
        let Some(ty) = arg.ty else {
            error(
                cx,
                arg.arg,
                format!("{attr} handlers are free functions: they take {expected}, not `self`"),
            );
            continue;
        };
        match arg.kind {
            ArgKind::Other => error(
                cx,
                ty,
                format!(
                    "{attr} handlers take {expected}, in any order; found `{}`",
                    type_name(ty)
                ),
            ),
            k if k != ArgKind::Io && k != ctx => error(
                cx,
                ty,
                format!(
                    "{attr} handlers take `{}`, not `{}`",
                    ctx.type_name(),
                    k.type_name()
                ),
            ),
            k if arg.by_ref => error(
                cx,
                ty,
                format!("take `{}` by value: it is cheap to clone", k.type_name()),
            ),
            k if seen.contains(&k) => error(
                cx,
                arg.arg,
                format!("`{}` is already taken by another argument", k.type_name()),
            ),
            k => seen.push(k),
        }
    }
    errors == 0
}

/// A type as the user would write it (`Vec<u8>`, not `Vec < u8 >`).
fn type_name(ty: &syn::Type) -> String {
    quote::ToTokens::to_token_stream(ty)
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace("& ", "&")
        .replace(" ,", ",")
}
