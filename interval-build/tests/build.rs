//! interval-build on fixture trees: the generated code against checked-in
//! expected files, writing only on change, and every build-time error.
//!
//! Set `INTERVAL_BLESS=1` to rewrite the expected files.

use std::path::{Path, PathBuf};

use interval_build::{Config, Error};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The generated code with the fixtures' absolute path replaced by `$DIR`.
fn generate(dir: &str) -> String {
    let code = Config::new()
        .dir(fixtures().join(dir))
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));
    code.replace(&fixtures().display().to_string(), "$DIR")
}

fn check_expected(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/expected/{name}.rs"));
    if std::env::var_os("INTERVAL_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    // Line breaks depend on the length of the checkout's path, which `$DIR`
    // replaced after formatting: compare without whitespace.
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    assert!(
        squash(&expected) == squash(actual),
        "generated code differs from {} (INTERVAL_BLESS=1 rewrites it):\n{actual}",
        path.display()
    );
}

#[test]
fn generates_the_expected_route_table() {
    check_expected("basic", &generate("basic"));
}

#[test]
fn an_empty_directory_gives_an_empty_table() {
    let dir = temp_dir("empty");
    let code = Config::new().dir(dir.path()).generate().unwrap();
    assert!(code.contains("::interval::Routes::default()"), "{code}");
    assert!(!code.contains("routes.insert"), "{code}");
}

#[test]
fn writes_only_when_the_content_changes() {
    let out = temp_dir("out");
    let config = Config::new()
        .dir(fixtures().join("basic"))
        .out_dir(out.path())
        .cargo_instructions(false);
    let first = config.write().unwrap();
    assert!(first.changed);
    assert_eq!(first.path, out.path().join("interval_routes.rs"));
    let modified = std::fs::metadata(&first.path).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = config.write().unwrap();
    assert!(!second.changed);
    let modified_again = std::fs::metadata(&second.path).unwrap().modified().unwrap();
    assert_eq!(modified, modified_again);
    // Every route file and directory is an input.
    let users = fixtures().join("basic/users");
    assert!(second.inputs.contains(&users));
    assert!(second.inputs.contains(&users.join("admin/audit.rs")));
    // A different file name is a different file.
    let other = config.clone().file_name("other.rs").write().unwrap();
    assert!(other.changed && other.path.ends_with("other.rs"));
}

/// The errors of fixture `errors/<name>`, as `(file name, line, message)`.
fn errors(name: &str) -> Vec<(String, Option<usize>, String)> {
    let root = fixtures().join("errors").join(name);
    let errors = Config::new().dir(&root).generate().unwrap_err();
    // The rustc-like rendering names the file and the line.
    let rendered = errors.to_string();
    errors
        .0
        .into_iter()
        .map(
            |Error {
                 path,
                 position,
                 message,
             }| {
                let file = path.strip_prefix(&root).unwrap().display().to_string();
                let line = position.map(|(line, _)| line);
                let location = match line {
                    Some(line) => format!("{}:{line}:", path.display()),
                    None => path.display().to_string(),
                };
                assert!(rendered.contains(&location), "{rendered}");
                (file, line, message)
            },
        )
        .collect()
}

#[test]
fn two_routes_with_one_slug() {
    let errors = errors("duplicate_slug");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "users.rs");
    assert!(
        errors[0].2.starts_with("two routes with the slug `users`"),
        "{errors:?}"
    );
}

#[test]
fn a_slug_the_protocol_rejects() {
    let errors = errors("bad_slug");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "send email.rs");
    assert!(
        errors[0].2.contains("`send email` is not a valid slug"),
        "{errors:?}"
    );
}

#[test]
fn a_route_file_without_a_handler() {
    let errors = errors("no_handler");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "helpers.rs");
    assert!(
        errors[0].2.contains("no `#[action]` or `#[page]` fn"),
        "{errors:?}"
    );
}

#[test]
fn two_handlers_in_one_file() {
    let errors = errors("two_handlers");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].0.as_str(), errors[0].1), ("refund.rs", Some(7)));
    assert!(
        errors[0]
            .2
            .contains("`refund` (line 4) is already this file's route"),
        "{errors:?}"
    );
}

#[test]
fn a_handler_that_is_not_async() {
    let errors = errors("not_async");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].0.as_str(), errors[0].1), ("refund.rs", Some(5)));
    assert!(errors[0].2.contains("must be `async fn`"), "{errors:?}");
}

#[test]
fn what_a_mod_rs_may_hold() {
    let errors = errors("mod_rs");
    let lines: Vec<_> = errors.iter().map(|e| e.1).collect();
    assert_eq!(lines, [Some(1), Some(9), Some(14)], "{errors:?}");
    assert!(errors[0].2.contains("cannot have inner attributes"));
    assert!(errors[1]
        .2
        .contains("`users` (line 4) is already this page's handler"));
    assert!(errors[2]
        .2
        .contains("the action `ban` belongs in a file of its own"));
    let errors = self::errors("root_page");
    assert!(errors[0]
        .2
        .contains("the routes directory itself is not a page"));
}

#[test]
fn a_missing_directory() {
    let errors = Config::new()
        .dir(fixtures().join("does-not-exist"))
        .generate()
        .unwrap_err();
    assert!(errors
        .to_string()
        .contains("the routes directory does not exist"));
}

/// A fresh directory in the temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!(
        "interval-build-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}
