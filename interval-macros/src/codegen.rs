//! The expansion. Codegen reads the parsed model only; it never parses
//! attributes itself.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, Visibility};

use crate::attr::{Access, Attrs};
use crate::check;
use crate::ctxt::Ctxt;
use crate::handler::{ArgKind, Handler, Returns};
use crate::Kind;

/// Runs the macro: parse, check, generate; errors are appended to the
/// expansion.
pub fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let attrs = Attrs::parse(&mut cx, args);
    let item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            // Not a function: leave the item alone and say what is wrong.
            cx.error_spanned_by(&item, format!("{} goes on an `async fn`", kind.attr()));
            let errors = cx.into_compile_errors();
            return quote!(#item #errors);
        }
    };
    let handler = Handler::parse(&item);
    check::check_attrs(&mut cx, kind, &attrs);
    let callable = check::check_handler(&mut cx, kind, &handler);
    let expansion = generate(kind, &attrs, &handler, callable);
    let errors = cx.into_compile_errors();
    quote!(#expansion #errors)
}

/// The name of the hidden companion that the route table calls.
pub fn companion_ident(kind: Kind, ident: &Ident) -> Ident {
    let name = ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    match kind {
        Kind::Action => format_ident!("__interval_action_{}", name),
        Kind::Page => format_ident!("__interval_page_{}", name),
    }
}

fn generate(kind: Kind, attrs: &Attrs, handler: &Handler, callable: bool) -> TokenStream {
    let item = handler.item;
    let ident = &item.sig.ident;
    let vis = &item.vis;
    let companion = companion_ident(kind, ident);
    // `#[cfg]`s and docs stay on the generated fns; every other attribute
    // belongs to the handler itself.
    let (outer_attrs, inner_attrs): (Vec<_>, Vec<_>) = item.attrs.iter().partition(|a| {
        a.path().is_ident("doc") || a.path().is_ident("cfg") || a.path().is_ident("cfg_attr")
    });
    let cfgs: Vec<_> = outer_attrs
        .iter()
        .filter(|a| !a.path().is_ident("doc"))
        .collect();
    let inner = {
        let sig = &item.sig;
        let block = &item.block;
        // When the signature is wrong nothing calls the handler.
        let allow = (!callable).then(|| quote!(#[allow(dead_code)]));
        quote!(#allow #(#inner_attrs)* #sig #block)
    };
    let build = build_route(kind, attrs, handler, callable);
    let (ty, slug_param, slug_arg) = match kind {
        Kind::Action => (quote!(::interval::Action), quote!(), quote!()),
        Kind::Page => (
            quote!(::interval::Page),
            quote!(__interval_slug: &str),
            slug_literal(ident),
        ),
    };
    let public_vis = public_vis(vis);
    quote! {
        #(#outer_attrs)*
        #[allow(dead_code)]
        #vis fn #ident() -> #ty {
            #companion(#slug_arg)
        }

        #[doc(hidden)]
        #(#cfgs)*
        #public_vis fn #companion(#slug_param) -> #ty {
            #inner
            #build
        }
    }
}

/// `pub(crate)`, unless the fn is already `pub`: the route table calls the
/// companion from the crate root.
fn public_vis(vis: &Visibility) -> TokenStream {
    match vis {
        Visibility::Public(_) => quote!(pub),
        _ => quote!(pub(crate)),
    }
}

/// The fn's name as a string literal (without `r#`): an inline page's slug
/// defaults to it for naming.
fn slug_literal(ident: &Ident) -> TokenStream {
    let name = ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
    quote!(#name)
}

/// The expression building the `Action` or `Page` from the inner handler.
fn build_route(kind: Kind, attrs: &Attrs, handler: &Handler, callable: bool) -> TokenStream {
    let setters = setters(kind, attrs, handler);
    let ret_span = match &handler.item.sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => handler.item.sig.ident.span(),
    };
    if !callable {
        // The signature is wrong (and reported): the handler stays in the
        // expansion for rust-analyzer, but nothing calls it, so that no
        // follow-up errors pile up.
        return quote!(::core::unreachable!());
    }
    let closure = closure(kind, handler, ret_span);
    match kind {
        Kind::Action => {
            let new = quote_spanned!(ret_span=> ::interval::Action::new(#closure));
            quote! { #new #setters }
        }
        Kind::Page => {
            let name = match &attrs.name {
                Some(name) => quote!(#name),
                None => quote!(::interval::__private::slug_to_name(__interval_slug)),
            };
            let page = Ident::new("__interval_page", Span::mixed_site());
            let attach = quote_spanned!(ret_span=> #page.handler(#closure));
            quote! {
                let #page = ::interval::Page::new(#name) #setters;
                #attach
            }
        }
    }
}

/// `move |io, ctx| handler(<args in the handler's order>)`, wrapping a
/// plain value in `Ok`.
fn closure(kind: Kind, handler: &Handler, ret_span: Span) -> TokenStream {
    let ident = &handler.item.sig.ident;
    let io = Ident::new("__interval_io", Span::mixed_site());
    let ctx = Ident::new("__interval_ctx", Span::mixed_site());
    let args = handler.args.iter().map(|arg| {
        let span = arg.ty.map(|t| t.span()).unwrap_or_else(Span::call_site);
        match arg.kind {
            ArgKind::Io => quote_spanned!(span=> #io),
            _ => quote_spanned!(span=> #ctx),
        }
    });
    let ctx_ty = match kind {
        Kind::Action => quote!(::interval::Ctx),
        Kind::Page => quote!(::interval::PageCtx),
    };
    let call = quote!(#ident(#(#args),*));
    let body = match handler.returns {
        Returns::Result => call,
        Returns::Value => quote_spanned! {ret_span=>
            {
                let __interval_future = #call;
                async move {
                    ::interval::__private::Ok::<_, ::interval::__private::Infallible>(
                        __interval_future.await,
                    )
                }
            }
        },
    };
    quote_spanned!(ret_span=> move |#io: ::interval::Io, #ctx: #ctx_ty| #body)
}

/// `.name(..)`, `.description(..)` and the flags, in that order.
fn setters(kind: Kind, attrs: &Attrs, handler: &Handler) -> TokenStream {
    let mut out = TokenStream::new();
    if kind == Kind::Action {
        if let Some(name) = &attrs.name {
            out.extend(quote!(.name(#name)));
        }
    }
    let description = match (&attrs.description, &handler.doc) {
        (Some(d), _) => Some(d.to_token_stream()),
        (None, Some(doc)) => Some(quote!(#doc)),
        (None, None) => None,
    };
    if let Some(d) = description {
        out.extend(quote!(.description(#d)));
    }
    if kind == Kind::Action {
        if let Some(flag) = attrs.backgroundable {
            let v = flag.value;
            out.extend(quote!(.backgroundable(#v)));
        }
    }
    if let Some(flag) = attrs.unlisted {
        let v = flag.value;
        out.extend(quote!(.unlisted(#v)));
    }
    if kind == Kind::Action {
        if let Some(flag) = attrs.warn_on_close {
            let v = flag.value;
            out.extend(quote!(.warn_on_close(#v)));
        }
    }
    if let Some((access, _)) = &attrs.access {
        let access = match access {
            Access::EntireOrganization => quote!(::interval::AccessControl::entire_organization()),
            Access::Teams(teams) => {
                let n = teams.len();
                quote!(::interval::AccessControl::teams::<[&'static str; #n], &'static str>([#(#teams),*]))
            }
        };
        out.extend(quote!(.access(#access)));
    }
    out
}
