//! # interval-rs
//!
//! Build internal tools in Rust. Write async *actions* that ask questions
//! (`io.input().text("Email").await?`), and a web dashboard renders those
//! questions as forms for the people who run the tool.
//!
//! This crate re-exports the runtime ([`interval_core`]); see [`Interval`] for
//! the entry point.

pub use interval_core::*;
