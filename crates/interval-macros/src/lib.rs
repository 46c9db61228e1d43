//! `#[action]` and `#[page]` attribute macros (see issue: macros and file-based routing).
