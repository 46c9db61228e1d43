//! # interval-build
//!
//! File-based routes for interval-rs, discovered at build time. In
//! `build.rs`:
//!
//! ```no_run
//! // build.rs, in `fn main`:
//! interval_build::routes(); // src/routes → $OUT_DIR/interval_routes.rs
//! ```
//!
//! or, with options:
//!
//! ```no_run
//! interval_build::Config::new().dir("src/tools").run();
//! ```
//!
//! and in `main.rs`:
//!
//! ```ignore
//! let interval = interval::Interval::from_env()
//!     .routes(interval::include_routes!())
//!     .build();
//! ```
//!
//! ## Mapping
//!
//! As the Node SDK's `routesDirectory` (PROTOCOL §9):
//!
//! | file | route |
//! |---|---|
//! | `src/routes/hello.rs` (`#[action] async fn hello`) | action `hello` |
//! | `src/routes/users/` | page `users`, named `Users`, grouping what is inside |
//! | `src/routes/users/mod.rs` (`#[page] async fn users`) | the handler of page `users` |
//! | `src/routes/users/ban.rs` | action `users/ban` |
//! | `src/routes/users/admin/audit.rs` | page `users/admin`, action `users/admin/audit` |
//!
//! A route file holds exactly one `#[action]` or `#[page]` fn (a page
//! without sub-routes); its other items are ordinary Rust. A directory's
//! `mod.rs` holds at most one `#[page]` and helpers its routes reach with
//! `super::`; the routes directory's own `mod.rs` holds helpers only. Files
//! other than `.rs` and names starting with `.` are ignored.
//!
//! ## What is generated
//!
//! Items for `interval::include_routes!` to include into a module: a hidden
//! module tree `__interval_routes` that declares every route file as a
//! module of the user's crate (`#[path = "<absolute path>"] pub mod ban;`,
//! and an `include!` of each `mod.rs` into its directory's module), and `pub
//! fn routes() -> interval::Routes` built from the hidden companions that
//! `#[action]`/`#[page]` generate (`__interval_action_<fn>()`,
//! `__interval_page_<fn>(slug)`). So route files are not declared with `mod`
//! by hand, and `crate::` and `super::` work in them as usual.
//!
//! ## Errors
//!
//! Problems stop the build with rustc-style messages pointing at the file
//! and line: two routes with one slug, a slug the protocol rejects, a route
//! file without a handler, two handlers in one file, a handler that is not
//! `async`.

mod codegen;
mod error;
mod parse;
mod scan;

use std::path::{Path, PathBuf};

pub use error::{Error, Errors};

/// The default routes directory, relative to the crate's manifest.
pub const DEFAULT_DIR: &str = "src/routes";
/// The default name of the generated file in `OUT_DIR`.
pub const DEFAULT_FILE_NAME: &str = "interval_routes.rs";

/// Generates `$OUT_DIR/interval_routes.rs` from `src/routes`; on errors,
/// prints them and fails the build. The one-call form of [`Config`].
pub fn routes() {
    Config::new().run()
}

/// Where routes are read from and written to.
#[derive(Debug, Clone)]
pub struct Config {
    dir: PathBuf,
    out_dir: Option<PathBuf>,
    file_name: String,
    cargo_instructions: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// What a successful run wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The generated file.
    pub path: PathBuf,
    /// Whether its content changed (and it was written).
    pub changed: bool,
    /// Every file and directory the route table depends on.
    pub inputs: Vec<PathBuf>,
}

impl Config {
    /// The defaults: `src/routes` into `$OUT_DIR/interval_routes.rs`, with
    /// `cargo:rerun-if-changed` lines.
    pub fn new() -> Self {
        Config {
            dir: PathBuf::from(DEFAULT_DIR),
            out_dir: None,
            file_name: DEFAULT_FILE_NAME.into(),
            cargo_instructions: true,
        }
    }

    /// The routes directory; a relative path is relative to the crate's
    /// manifest (`CARGO_MANIFEST_DIR`).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// Where to write (default: `OUT_DIR`).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The generated file's name (default `interval_routes.rs`); include a
    /// different name with `interval::include_routes!("name.rs")`.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = name.into();
        self
    }

    /// Whether to print `cargo:rerun-if-changed` lines (default true).
    pub fn cargo_instructions(mut self, yes: bool) -> Self {
        self.cargo_instructions = yes;
        self
    }

    /// The routes directory as an absolute path.
    pub fn routes_dir(&self) -> PathBuf {
        if self.dir.is_absolute() {
            return self.dir.clone();
        }
        let base = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        base.join(&self.dir)
    }

    /// The generated code, without writing it.
    pub fn generate(&self) -> Result<String, Errors> {
        self.generate_with_inputs().map(|(code, _)| code)
    }

    fn generate_with_inputs(&self) -> Result<(String, Vec<PathBuf>), Errors> {
        let root = self.routes_dir();
        let (tree, inputs) = scan::scan(&root).map_err(Errors)?;
        Ok((codegen::generate(&tree), inputs))
    }

    /// Generates the route table and writes it, only if its content
    /// changed (so an unchanged route tree rebuilds nothing).
    pub fn write(&self) -> Result<Generated, Errors> {
        let root = self.routes_dir();
        if self.cargo_instructions {
            // Printed first, so that a failing run is retried once fixed.
            println!("cargo:rerun-if-changed={}", root.display());
        }
        let (code, inputs) = self.generate_with_inputs()?;
        if self.cargo_instructions {
            for input in &inputs {
                println!("cargo:rerun-if-changed={}", input.display());
            }
        }
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| {
                Errors(vec![Error::at(
                    &root,
                    "OUT_DIR is not set: call interval_build from build.rs, or set Config::out_dir",
                )])
            })?),
        };
        let path = out_dir.join(&self.file_name);
        let changed = write_if_changed(&path, &code).map_err(|e| {
            Errors(vec![Error::at(
                &path,
                format!("cannot write the route table: {e}"),
            )])
        })?;
        Ok(Generated {
            path,
            changed,
            inputs,
        })
    }

    /// [`Config::write`], printing the errors and failing the build script
    /// (exit code 1) on problems.
    pub fn run(&self) {
        if let Err(errors) = self.write() {
            eprintln!("{errors}");
            eprintln!(
                "interval-build: {} problem(s) in the routes directory {}",
                errors.0.len(),
                self.routes_dir().display()
            );
            std::process::exit(1);
        }
    }
}

fn write_if_changed(path: &Path, content: &str) -> std::io::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(false);
    }
    std::fs::write(path, content)?;
    Ok(true)
}
