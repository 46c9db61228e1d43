//! Walking the routes directory into a tree of routes, with the checks of
//! slugs, duplicates and handlers.
//!
//! Mapping (the Node SDK's `routesDirectory`, PROTOCOL §9): a file is a
//! route named by its file stem; a directory is a page grouping what is
//! inside; a directory's `mod.rs` may hold that page's `#[page]` handler
//! (and helpers shared by its routes). The routes directory's own `mod.rs`
//! holds helpers only: its routes are the top-level routes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use interval_protocol::slug::check_action_slug;
use walkdir::WalkDir;

use crate::error::Error;
use crate::parse::{parse_file, Handler, HandlerKind};

/// A directory: the routes directory itself, or a page.
#[derive(Debug)]
pub struct Dir {
    /// The page's slug (its directory name); empty for the routes directory.
    pub slug: String,
    /// The Rust module the directory becomes.
    pub module: String,
    pub path: PathBuf,
    /// The directory's `mod.rs`, if any.
    pub mod_rs: Option<PathBuf>,
    /// The `#[page]` handler in `mod.rs`, if any.
    pub page: Option<Handler>,
    pub children: Vec<Node>,
}

/// A file holding one route.
#[derive(Debug)]
pub struct File {
    pub slug: String,
    pub module: String,
    pub path: PathBuf,
    pub handler: Handler,
}

/// A route: a file or a directory.
#[derive(Debug)]
pub enum Node {
    File(File),
    Dir(Dir),
}

/// Name of the module that holds the routes directory in the user's crate.
pub const ROOT_MODULE: &str = "__interval_routes";

/// Walks `root` (an absolute path). Returns the tree and every file and
/// directory visited (for `rerun-if-changed`), or every problem found.
pub fn scan(root: &Path) -> Result<(Dir, Vec<PathBuf>), Vec<Error>> {
    if !root.is_dir() {
        return Err(vec![Error::at(
            root,
            "the routes directory does not exist: create it, or point `interval_build::Config::dir` at yours",
        )]);
    }
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let walk = WalkDir::new(root)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        match entry {
            Ok(entry) => entries.push((entry.path().to_owned(), entry.file_type().is_dir())),
            Err(e) => errors.push(Error::at(
                e.path().unwrap_or(root),
                format!("cannot read the routes directory: {e}"),
            )),
        }
    }
    let visited: Vec<PathBuf> = entries.iter().map(|(p, _)| p.clone()).collect();
    let root_dir = build_dir(
        root,
        String::new(),
        ROOT_MODULE.into(),
        &entries,
        &mut errors,
    );
    if errors.is_empty() {
        Ok((root_dir, visited))
    } else {
        Err(errors)
    }
}

fn build_dir(
    path: &Path,
    slug: String,
    module: String,
    entries: &[(PathBuf, bool)],
    errors: &mut Vec<Error>,
) -> Dir {
    let is_root = slug.is_empty();
    let mut dir = Dir {
        slug,
        module,
        path: path.to_owned(),
        mod_rs: None,
        page: None,
        children: Vec::new(),
    };
    let mut modules = HashSet::new();
    // Slug → the path that has it, to report duplicates.
    let mut slugs: Vec<(String, PathBuf)> = Vec::new();
    let children = entries.iter().filter(|(p, _)| p.parent() == Some(path));
    for (child, is_dir) in children {
        let name = child.file_name().unwrap_or_default().to_string_lossy();
        let slug = if *is_dir {
            name.to_string()
        } else if let Some(stem) = name.strip_suffix(".rs") {
            stem.to_owned()
        } else {
            continue; // Not Rust: ignored, as the Node SDK ignores non-JS files.
        };
        if !is_dir && slug == "mod" {
            read_mod_rs(&mut dir, child, is_root, errors);
            continue;
        }
        if let Err(e) = check_action_slug(&slug) {
            errors.push(Error::at(
                child,
                format!(
                    "`{slug}` is not a valid slug: {e}. Route file and directory names are \
                     slugs; rename it."
                ),
            ));
            continue;
        }
        if let Some((_, other)) = slugs.iter().find(|(s, _)| *s == slug) {
            errors.push(Error::at(
                child,
                format!(
                    "two routes with the slug `{slug}`: {} and {}; rename one (a page's own handler goes in its directory's `mod.rs`)",
                    other.display(),
                    child.display()
                ),
            ));
            continue;
        }
        slugs.push((slug.clone(), child.clone()));
        let module = module_ident(&slug, &mut modules);
        if *is_dir {
            let sub = build_dir(child, slug, module, entries, errors);
            dir.children.push(Node::Dir(sub));
        } else if let Some(handler) = read_route_file(child, errors) {
            dir.children.push(Node::File(File {
                slug,
                module,
                path: child.clone(),
                handler,
            }));
        }
    }
    dir
}

fn read(path: &Path, errors: &mut Vec<Error>) -> Option<crate::parse::Parsed> {
    let source = match std::fs::read_to_string(path) {
        Ok(source) => source,
        Err(e) => {
            errors.push(Error::at(path, format!("cannot read this file: {e}")));
            return None;
        }
    };
    match parse_file(path, &source) {
        Ok(parsed) => Some(parsed),
        Err(e) => {
            errors.extend(e);
            None
        }
    }
}

/// A route file: exactly one handler.
fn read_route_file(path: &Path, errors: &mut Vec<Error>) -> Option<Handler> {
    let parsed = read(path, errors)?;
    let mut handlers = parsed.handlers.into_iter();
    let Some(first) = handlers.next() else {
        errors.push(Error::at(
            path,
            "this route file has no `#[action]` or `#[page]` fn: add one, or move the file out of the routes directory",
        ));
        return None;
    };
    let mut ok = true;
    for extra in handlers {
        ok = false;
        errors.push(Error::spanned(
            path,
            extra.span,
            format!(
                "two handlers in one route file: `{}` (line {}) is already this file's route; move `{}` into a file of its own",
                first.name,
                first.span.start().line,
                extra.name
            ),
        ));
    }
    ok.then_some(first)
}

/// A directory's `mod.rs`: helpers, and at most one `#[page]` (not in the
/// routes directory itself).
fn read_mod_rs(dir: &mut Dir, path: &Path, is_root: bool, errors: &mut Vec<Error>) {
    dir.mod_rs = Some(path.to_owned());
    let Some(parsed) = read(path, errors) else {
        return;
    };
    if let Some(span) = parsed.inner_attrs {
        errors.push(Error::spanned(
            path,
            span,
            "a `mod.rs` in the routes directory is included into a generated module, so it cannot have inner attributes or `//!` docs: document the `#[page]` fn with `///` instead",
        ));
    }
    for handler in parsed.handlers {
        let message = match handler.kind {
            HandlerKind::Action => format!(
                "`mod.rs` holds the page of its directory; the action `{}` belongs in a file of its own",
                handler.name
            ),
            HandlerKind::Page if is_root => format!(
                "the routes directory itself is not a page: move the page `{}` into a directory of its own",
                handler.name
            ),
            HandlerKind::Page => match &dir.page {
                Some(first) => format!(
                    "two handlers in one route file: `{}` (line {}) is already this page's handler",
                    first.name,
                    first.span.start().line
                ),
                None => {
                    dir.page = Some(handler);
                    continue;
                }
            },
        };
        errors.push(Error::spanned(path, handler.span, message));
    }
}

/// A Rust identifier for `slug`, unique among `taken`: `send-email` →
/// `send_email`, `2fa` → `_2fa`, `type` → `r#type`.
fn module_ident(slug: &str, taken: &mut HashSet<String>) -> String {
    let mut ident: String = slug
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ident.starts_with(|c: char| c.is_ascii_digit()) || ident == "_" {
        ident.insert(0, '_');
    }
    if matches!(ident.as_str(), "self" | "super" | "crate" | "Self") {
        ident.push('_');
    } else if syn::parse_str::<syn::Ident>(&ident).is_err() {
        ident = format!("r#{ident}");
    }
    let base = ident.clone();
    let mut n = 2;
    while !taken.insert(ident.clone()) {
        ident = format!("{base}_{n}");
        n += 1;
    }
    ident
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_idents() {
        let mut taken = HashSet::new();
        let idents: Vec<_> = [
            "send-email",
            "send_email",
            "2fa",
            "type",
            "self",
            "v1.2",
            "_",
        ]
        .iter()
        .map(|s| module_ident(s, &mut taken))
        .collect();
        assert_eq!(
            idents,
            [
                "send_email",
                "send_email_2",
                "_2fa",
                "r#type",
                "self_",
                "v1_2",
                "__"
            ]
        );
    }
}
