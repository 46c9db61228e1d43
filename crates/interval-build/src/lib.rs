//! Build-script support: file-based routes from `src/routes/` (see issue: file-based routing).
