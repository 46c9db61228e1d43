//! The modules of interval-core form layers: no two modules import each
//! other, directly or through others. This test reads every `crate::` and
//! `super::` path in `src/` (in `use` lines and in code), resolves it to the
//! file that defines the module, and fails on a cycle, printing it.
//!
//! A facade (`lib.rs`, a `mod.rs`) that re-exports its children counts as
//! importing them, so a child must not import through its own facade.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module: its path below the crate root (`[]` is the root).
type Module = Vec<String>;

#[test]
fn no_module_imports_a_module_that_imports_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&src);
    let modules: BTreeMap<Module, PathBuf> = files
        .iter()
        .map(|file| (module_of(&src, file), file.clone()))
        .collect();
    let known: BTreeSet<Module> = modules.keys().cloned().collect();

    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).expect("a source file is readable");
        let code = without_tests(&strip_comments_and_strings(&text));
        let targets = edges.entry(module.clone()).or_default();
        for path in paths(&code) {
            if let Some(target) = resolve(module, &path, &known) {
                if target != *module {
                    targets.insert(target);
                }
            }
        }
    }

    if std::env::var_os("LAYERS_DEBUG").is_some() {
        for (m, t) in &edges {
            eprintln!(
                "{} -> {:?}",
                display(m),
                t.iter().map(display).collect::<Vec<_>>()
            );
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        let names: Vec<String> = cycle.iter().map(display).collect();
        panic!(
            "interval-core's modules import each other in a circle: {}\n\
             Move what both sides need into a module below them.",
            names.join(" -> ")
        );
    }
}

#[test]
fn the_checker_finds_a_cycle() {
    let module = |name: &str| vec![name.to_owned()];
    let mut edges = BTreeMap::new();
    edges.insert(module("a"), BTreeSet::from([module("b")]));
    edges.insert(module("b"), BTreeSet::from([module("c")]));
    edges.insert(module("c"), BTreeSet::from([module("a")]));
    edges.insert(module("d"), BTreeSet::from([module("a")]));
    let cycle = find_cycle(&edges).expect("a -> b -> c -> a is a cycle");
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4);
    edges.insert(module("c"), BTreeSet::new());
    assert_eq!(find_cycle(&edges), None);
}

#[test]
fn the_checker_reads_use_trees_and_paths_in_code() {
    let code = strip_comments_and_strings(
        "pub(crate) use crate::io::{render::{self, Call}, Io};\n\
         pub use child::{A, B};\n\
         // use crate::commented::Out;\n\
         let s = \"crate::in_a_string\";\n\
         crate::logging::init(level);\n\
         $crate::io::call::$tr",
    );
    let found: BTreeSet<String> = paths(&code).iter().map(|p| p.join("::")).collect();
    let expected = [
        "child::A",
        "child::B",
        "crate::io::render",
        "crate::io::render::Call",
        "crate::io::Io",
        "crate::logging::init",
        "crate::io::call",
    ];
    assert_eq!(found, expected.iter().map(|s| s.to_string()).collect());
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).expect("src/ is readable");
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// `src/a/b.rs` is `[a, b]`; `src/a/mod.rs` is `[a]`; `src/lib.rs` is `[]`.
fn module_of(src: &Path, file: &Path) -> Module {
    let relative = file.strip_prefix(src).expect("a file below src/");
    let mut parts: Module = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn display(module: &Module) -> String {
    match module.is_empty() {
        true => "lib".into(),
        false => module.join("::"),
    }
}

/// The code with comments and the contents of string and char literals
/// blanked out.
fn strip_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            'raw: while j < chars.len() {
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break 'raw;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            out.push_str("' '");
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The code before its `#[cfg(test)]` module (kept at the end of a file).
fn without_tests(code: &str) -> String {
    match code.find("#[cfg(test)]\nmod ") {
        Some(at) => code[..at].to_owned(),
        None => code.to_owned(),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Other,
}

fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
            continue;
        }
        match c {
            ':' if chars.get(i + 1) == Some(&':') => {
                out.push(Token::PathSep);
                i += 1;
            }
            '{' => out.push(Token::Open),
            '}' => out.push(Token::Close),
            ',' => out.push(Token::Comma),
            c if c.is_whitespace() => {}
            _ => out.push(Token::Other),
        }
        i += 1;
    }
    out
}

/// Every path that starts with `crate::` or `super::`, and every path of a
/// `use` item (which may start with a child module's name), use trees
/// expanded.
fn paths(code: &str) -> Vec<Vec<String>> {
    let tokens = tokens(code);
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let is_use = matches!(&tokens[i], Token::Ident(w) if w == "use");
        let starts = matches!(&tokens[i], Token::Ident(w) if w == "crate" || w == "super");
        let after_sep = i > 0 && tokens[i - 1] == Token::PathSep;
        let before_sep = tokens.get(i + 1) == Some(&Token::PathSep);
        if is_use {
            i = tree(&tokens, i + 1, Vec::new(), &mut found);
        } else if starts && before_sep && !after_sep {
            i = tree(&tokens, i, Vec::new(), &mut found);
        } else {
            i += 1;
        }
    }
    found
}

/// Reads one use tree at `i` below `prefix`; returns the index after it.
fn tree(
    tokens: &[Token],
    mut i: usize,
    mut prefix: Vec<String>,
    found: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        match tokens.get(i) {
            Some(Token::Ident(word)) => {
                if word != "self" {
                    prefix.push(word.clone());
                }
                i += 1;
            }
            Some(Token::Open) => {
                i += 1;
                loop {
                    if tokens.get(i) == Some(&Token::Close) {
                        return i + 1;
                    }
                    i = tree(tokens, i, prefix.clone(), found);
                    match tokens.get(i) {
                        Some(Token::Comma) => i += 1,
                        Some(Token::Close) => return i + 1,
                        _ => return i,
                    }
                }
            }
            _ => {
                if !prefix.is_empty() {
                    found.push(prefix);
                }
                return i;
            }
        }
        if tokens.get(i) == Some(&Token::PathSep) {
            i += 1;
        } else {
            if !prefix.is_empty() {
                found.push(prefix);
            }
            return i;
        }
    }
}

/// The module a path points into: the longest known module it starts with.
fn resolve(from: &Module, path: &[String], known: &BTreeSet<Module>) -> Option<Module> {
    let mut segments = path.iter();
    let mut base: Module = match segments.next()?.as_str() {
        "crate" => Vec::new(),
        // `src/a/b.rs` and `src/a/mod.rs` alike: the parent module.
        "super" => from[..from.len().saturating_sub(1)].to_vec(),
        // A `use` of a child module by its name (or of another crate).
        child => {
            let mut base = from.clone();
            base.push(child.to_owned());
            if !known.contains(&base) {
                return None;
            }
            base
        }
    };
    let rest: Vec<&String> = segments.collect();
    let mut resolved = base.clone();
    for segment in rest {
        base.push(segment.clone());
        if known.contains(&base) {
            resolved = base.clone();
        } else {
            break;
        }
    }
    Some(resolved)
}

/// A cycle as a path that starts and ends with the same module, if any.
fn find_cycle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit(
        module: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        marks: &mut BTreeMap<Module, Mark>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        match marks.get(module) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => {
                let start = stack.iter().position(|m| m == module)?;
                let mut cycle = stack[start..].to_vec();
                cycle.push(module.clone());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(module.clone(), Mark::Visiting);
        stack.push(module.clone());
        for next in edges.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(module.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for module in edges.keys() {
        if let Some(cycle) = visit(module, edges, &mut marks, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}
