//! # interval-rs
//!
//! Build internal tools in Rust. Write async *actions* that ask questions
//! (`io.input().text("Email").await?`), and a web dashboard renders those
//! questions as forms for the people who run the tool.
//!
//! This crate re-exports the runtime ([`interval_core`]); see [`Interval`] for
//! the entry point. Routes are declared inline (`Action::new(..)`), with the
//! [`action`] and [`page`] attribute macros, or as files under `src/routes/`
//! that the `interval-build` build script turns into a route table, pulled in
//! with [`include_routes!`].

pub use interval_core::*;
pub use interval_macros::{action, page};

/// The route table that `interval_build` generated for this crate.
///
/// As an expression of type [`Routes`]:
///
/// ```ignore
/// let interval = interval::Interval::from_env()
///     .routes(interval::include_routes!())
///     .build();
/// ```
///
/// The generated file also declares the route files as modules of this
/// crate, so they are not listed by hand: do not add `mod routes;` yourself,
/// and include the table once per crate.
///
/// The expression form puts those modules inside the calling function, where
/// `#[test]`s are not collected. To unit-test route files in place, include
/// the table as a module instead and call its `routes()`:
///
/// ```ignore
/// interval::include_routes!(mod routes);
///
/// let interval = interval::Interval::from_env().routes(routes::routes()).build();
/// ```
///
/// A file name set with `interval_build::Config::file_name` goes last:
/// `include_routes!("admin_routes.rs")`, `include_routes!(mod admin, "admin_routes.rs")`.
#[macro_export]
macro_rules! include_routes {
    () => {
        $crate::include_routes!("interval_routes.rs")
    };
    ($file:literal) => {{
        $crate::include_routes!(mod __interval_included_routes, $file);
        __interval_included_routes::routes()
    }};
    ($vis:vis mod $name:ident) => {
        $crate::include_routes!($vis mod $name, "interval_routes.rs");
    };
    ($vis:vis mod $name:ident, $file:literal) => {
        $vis mod $name {
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }
    };
}

/// Support for the code that `#[action]`, `#[page]` and `interval-build`
/// generate. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use ::core::convert::Infallible;
    pub use ::core::result::Result::Ok;

    /// The name the Node SDK gives a page it derives from a directory
    /// (`slugToName` of `@interval/sdk`'s file loader): `userSettings` →
    /// `User settings`, `billing_v2` → `Billing v2`, `URLTools` → `Url tools`.
    pub fn slug_to_name(slug: &str) -> String {
        let mut slug = slug.rsplit('/').next().unwrap_or(slug).to_owned();
        if slug == slug.to_uppercase() {
            slug = slug.to_lowercase();
        }
        // Runs of capitals (`URL` in `URLTools`) become their own word,
        // all but the last capital, which starts the next word.
        for run in capital_runs(&slug) {
            let head = &run[..run.len() - 1];
            slug = slug.replacen(head, &format!(" {} ", head.to_lowercase()), 1);
        }
        let mut words: Vec<String> = Vec::new();
        let mut word = String::new();
        for (i, c) in slug.chars().enumerate() {
            if c.is_whitespace() || matches!(c, '-' | '_' | '.') {
                words.push(std::mem::take(&mut word));
            } else {
                if c.is_ascii_uppercase() && i > 0 {
                    words.push(std::mem::take(&mut word));
                }
                word.push(c);
            }
        }
        words.push(word);
        let name = words
            .into_iter()
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let mut chars = name.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => name,
        }
    }

    /// Non-overlapping runs of two or more ASCII capitals, in order.
    fn capital_runs(s: &str) -> Vec<String> {
        let mut runs = Vec::new();
        let mut run = String::new();
        for c in s.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_uppercase() {
                run.push(c);
            } else {
                if run.len() >= 2 {
                    runs.push(run.clone());
                }
                run.clear();
            }
        }
        runs
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn names_like_the_node_sdk() {
            let cases = [
                ("users", "Users"),
                ("userSettings", "User settings"),
                ("billing_v2", "Billing v2"),
                ("URLTools", "Url tools"),
                ("API", "Api"),
                ("send-email.v2", "Send email v2"),
                ("users/admin", "Admin"),
                ("myHTTPServer", "My http server"),
                ("", ""),
            ];
            for (slug, name) in cases {
                assert_eq!(slug_to_name(slug), name, "{slug}");
            }
        }
    }
}
