//! Build-time errors, each pointing at a file (and a line when there is one).

use std::fmt;
use std::path::PathBuf;

/// One problem in the routes directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The file or directory at fault.
    pub path: PathBuf,
    /// The 1-based line and column, when the problem is inside a file.
    pub position: Option<(usize, usize)>,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl Error {
    /// An error about a whole file or directory.
    pub(crate) fn at(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error {
            path: path.into(),
            position: None,
            message: message.into(),
        }
    }

    /// An error at the start of `span` in `path`.
    pub(crate) fn spanned(
        path: impl Into<PathBuf>,
        span: proc_macro2::Span,
        message: impl Into<String>,
    ) -> Self {
        let start = span.start();
        Error {
            path: path.into(),
            position: Some((start.line, start.column + 1)),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}\n  --> {}", self.message, self.path.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        Ok(())
    }
}

/// Every problem found in one run, in the order of the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}
