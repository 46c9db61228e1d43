//! Parsing the attribute's arguments: `#[action(name = "Refund",
//! backgroundable, access(teams = ["support"]))]`.
//!
//! Every key of both macros is accepted here; [`crate::check`] rejects the
//! ones that do not apply to the macro at hand.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitBool, LitStr, Meta, Token};

use crate::ctxt::Ctxt;

/// The keys the attribute knows, in the order error messages list them.
pub const KEYS: &[&str] = &[
    "name",
    "description",
    "backgroundable",
    "unlisted",
    "warn_on_close",
    "access",
];

/// A flag as written: its value and the key's span.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    pub value: bool,
    pub span: Span,
}

/// Who may run the route.
#[derive(Clone)]
pub enum Access {
    /// `access(entire_organization)`.
    EntireOrganization,
    /// `access(teams = ["support", ...])`.
    Teams(Vec<LitStr>),
}

/// The parsed arguments of the attribute.
#[derive(Default)]
pub struct Attrs {
    pub name: Option<LitStr>,
    pub description: Option<LitStr>,
    pub backgroundable: Option<Flag>,
    pub unlisted: Option<Flag>,
    pub warn_on_close: Option<Flag>,
    pub access: Option<(Access, Span)>,
}

impl Attrs {
    /// Parses `args`; errors go to `cx`, and whatever parsed is kept.
    pub fn parse(cx: &mut Ctxt, args: TokenStream) -> Attrs {
        let mut attrs = Attrs::default();
        let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
            Ok(metas) => metas,
            Err(e) => {
                cx.syn_error(e);
                return attrs;
            }
        };
        for meta in metas {
            attrs.parse_one(cx, &meta);
        }
        attrs
    }

    fn parse_one(&mut self, cx: &mut Ctxt, meta: &Meta) {
        let path = meta.path();
        let Some(key) = path.get_ident().map(|i| i.to_string()) else {
            let key: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            cx.error_spanned_by(path, unknown_key_message(&key.join("::")));
            return;
        };
        let span = path
            .get_ident()
            .map(|i| i.span())
            .unwrap_or_else(Span::call_site);
        match key.as_str() {
            "name" => set(string(cx, meta), &mut self.name, cx, meta),
            "description" => set(string(cx, meta), &mut self.description, cx, meta),
            "backgroundable" => set(flag(cx, meta, span), &mut self.backgroundable, cx, meta),
            "unlisted" => set(flag(cx, meta, span), &mut self.unlisted, cx, meta),
            "warn_on_close" => set(flag(cx, meta, span), &mut self.warn_on_close, cx, meta),
            "access" => {
                let access = access(cx, meta).map(|a| (a, span));
                set(access, &mut self.access, cx, meta);
            }
            other => cx.error_spanned_by(path, unknown_key_message(other)),
        }
    }
}

/// Stores `value` in `slot`, or reports a duplicate key.
fn set<T>(value: Option<T>, slot: &mut Option<T>, cx: &mut Ctxt, meta: &Meta) {
    let Some(value) = value else { return };
    if slot.is_some() {
        let key = meta.path().get_ident().map(|i| i.to_string());
        cx.error_spanned_by(
            meta,
            format!("duplicate attribute `{}`", key.unwrap_or_default()),
        );
    } else {
        *slot = Some(value);
    }
}

/// The message for a key the attribute does not know: renamed keys (the
/// Node SDK's camelCase) say what they became; others list the valid keys.
fn unknown_key_message(key: &str) -> String {
    let renamed = match key {
        "warnOnClose" => Some("warn_on_close"),
        "title" | "label" => Some("name"),
        "isBackgroundable" => Some("backgroundable"),
        "teams" => Some("access(teams = [..])"),
        _ => None,
    };
    if let Some(new) = renamed {
        return format!("unknown attribute `{key}`; it is spelled `{new}` here");
    }
    let keys: Vec<String> = KEYS.iter().map(|k| format!("`{k}`")).collect();
    format!(
        "unknown attribute `{key}`; expected one of {}",
        keys.join(", ")
    )
}

/// `key = "text"`.
fn string(cx: &mut Ctxt, meta: &Meta) -> Option<LitStr> {
    let key = meta.path().get_ident()?.to_string();
    match meta {
        Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => {
                if s.value().trim().is_empty() {
                    cx.error_spanned_by(s, format!("`{key}` must not be empty"));
                    return None;
                }
                Some(s.clone())
            }
            other => {
                cx.error_spanned_by(other, format!("`{key}` takes a string: {key} = \"...\""));
                None
            }
        },
        _ => {
            cx.error_spanned_by(meta, format!("`{key}` takes a string: {key} = \"...\""));
            None
        }
    }
}

/// `key`, `key = true` or `key = false`.
fn flag(cx: &mut Ctxt, meta: &Meta, span: Span) -> Option<Flag> {
    let key = meta.path().get_ident()?.to_string();
    match meta {
        Meta::Path(_) => Some(Flag { value: true, span }),
        Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Bool(LitBool { value, .. }),
                ..
            }) => Some(Flag {
                value: *value,
                span,
            }),
            other => {
                cx.error_spanned_by(
                    other,
                    format!("`{key}` is a flag: write `{key}` or `{key} = false`"),
                );
                None
            }
        },
        Meta::List(list) => {
            cx.error_spanned_by(
                list,
                format!("`{key}` is a flag: write `{key}` or `{key} = false`"),
            );
            None
        }
    }
}

/// `access(teams = ["a", "b"])` or `access(entire_organization)`.
fn access(cx: &mut Ctxt, meta: &Meta) -> Option<Access> {
    const USAGE: &str =
        "write `access(teams = [\"team-slug\", ..])` or `access(entire_organization)`";
    let Meta::List(list) = meta else {
        cx.error_spanned_by(meta, USAGE);
        return None;
    };
    let inner = match list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
        Ok(inner) => inner,
        Err(e) => {
            cx.syn_error(e);
            return None;
        }
    };
    let mut items = inner.iter();
    let (Some(first), None) = (items.next(), items.next()) else {
        cx.error_spanned_by(list, USAGE);
        return None;
    };
    match first {
        Meta::Path(p) if p.is_ident("entire_organization") => Some(Access::EntireOrganization),
        Meta::NameValue(nv) if nv.path.is_ident("teams") => {
            let Expr::Array(array) = &nv.value else {
                cx.error_spanned_by(&nv.value, USAGE);
                return None;
            };
            let mut teams = Vec::new();
            for elem in &array.elems {
                match elem {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => teams.push(s.clone()),
                    other => cx.error_spanned_by(other, "a team is a string (its slug)"),
                }
            }
            Some(Access::Teams(teams))
        }
        other => {
            cx.error_spanned_by(other, USAGE);
            None
        }
    }
}
