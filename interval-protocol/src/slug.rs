//! Slug rules (§2.2 INITIALIZE_HOST step 5, §11.12), shared by the server
//! (which reports slugs breaking them as `invalidSlugs`) and the build-time
//! route checker of `interval-build`.
//!
//! Interval's own rule is "non-empty, only `A–Z a–z 0–9 - _ .`". Slugs end
//! up in URLs, in file-system-like route trees and in the database, so this
//! implementation adds two rules Interval does not have:
//!
//! * at most [`MAX_SLUG_LEN`] bytes per slug (a host could otherwise declare
//!   slugs of any size; Interval has no limit, 256 is far above any slug
//!   seen in practice);
//! * no path-like segments: a segment may not start or end with `.` nor
//!   contain `..` (so `.`, `..`, `.hidden`, `v2.` and `a..b` are refused,
//!   `send-email.v2` is fine).

use std::fmt;

/// The longest slug accepted, in bytes. For a page slug (`users/admin`) the
/// limit applies to the whole path.
pub const MAX_SLUG_LEN: usize = 256;

/// Why a slug is refused. The messages complete the sentence "`<slug>` is
/// not a valid slug: …".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlugError {
    /// The slug (or one of its segments) is empty.
    Empty,
    /// Longer than [`MAX_SLUG_LEN`] bytes (the length is given).
    TooLong(usize),
    /// A character other than ASCII letters, digits, `-`, `_` and `.`
    /// (and `/` between page segments).
    Character(char),
    /// A segment starts or ends with `.` (`.`, `..`, `.hidden`, `v2.`).
    EdgeDot,
    /// A segment contains `..`.
    DoubleDot,
}

impl fmt::Display for SlugError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlugError::Empty => f.write_str("it is empty (or has an empty `/`-separated part)"),
            SlugError::TooLong(len) => write!(
                f,
                "it is {len} bytes long; slugs may have at most {MAX_SLUG_LEN} bytes"
            ),
            SlugError::Character(c) => write!(
                f,
                "it contains {c:?}; use only letters, digits, `-`, `_` and `.`"
            ),
            SlugError::EdgeDot => f.write_str(
                "it starts or ends with `.`; a slug may not look like a hidden file or a path (`.`, `..`)",
            ),
            SlugError::DoubleDot => {
                f.write_str("it contains `..`; a slug may not look like a path")
            }
        }
    }
}

impl std::error::Error for SlugError {}

fn check_segment(segment: &str) -> Result<(), SlugError> {
    if segment.is_empty() {
        return Err(SlugError::Empty);
    }
    if let Some(c) = segment
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(SlugError::Character(c));
    }
    if segment.starts_with('.') || segment.ends_with('.') {
        return Err(SlugError::EdgeDot);
    }
    if segment.contains("..") {
        return Err(SlugError::DoubleDot);
    }
    Ok(())
}

/// Checks an action slug segment (an action's own `slug`, a route file or
/// directory name): non-empty, at most [`MAX_SLUG_LEN`] bytes, only ASCII
/// letters, digits, `-`, `_` and `.`, not starting or ending with `.`, no `..`.
pub fn check_action_slug(slug: &str) -> Result<(), SlugError> {
    if slug.len() > MAX_SLUG_LEN {
        return Err(SlugError::TooLong(slug.len()));
    }
    check_segment(slug)
}

/// Checks a page slug (a full path such as `users/admin`, or a `groupSlug`):
/// at most [`MAX_SLUG_LEN`] bytes in all, segments separated by single `/`,
/// each following the action slug rule.
pub fn check_page_slug(slug: &str) -> Result<(), SlugError> {
    if slug.len() > MAX_SLUG_LEN {
        return Err(SlugError::TooLong(slug.len()));
    }
    slug.split('/').try_for_each(check_segment)
}

/// Whether `slug` is a valid action slug segment ([`check_action_slug`]).
pub fn is_valid_action_slug(slug: &str) -> bool {
    check_action_slug(slug).is_ok()
}

/// Whether `slug` is a valid page slug ([`check_page_slug`]).
pub fn is_valid_page_slug(slug: &str) -> bool {
    check_page_slug(slug).is_ok()
}

/// The name the Node SDK gives a page it derives from a directory
/// (`slugToName` of `@interval/sdk`'s file loader): `userSettings` →
/// `User settings`, `billing_v2` → `Billing v2`, `URLTools` → `Url tools`.
pub fn name_from_slug(slug: &str) -> String {
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
    fn slugs() {
        assert!(is_valid_action_slug("hello_world-2.0"));
        assert!(!is_valid_action_slug(""));
        assert!(!is_valid_action_slug("a/b"));
        assert!(!is_valid_action_slug("héllo"));
        assert!(is_valid_page_slug("users/admin"));
        assert!(!is_valid_page_slug("users//admin"));
        assert!(!is_valid_page_slug("/users"));
    }

    #[test]
    fn no_path_like_or_huge_slugs() {
        for bad in [".", "..", ".hidden", "v2.", "a..b"] {
            assert!(!is_valid_action_slug(bad), "{bad}");
            assert!(!is_valid_page_slug(&format!("users/{bad}")), "{bad}");
        }
        assert_eq!(check_action_slug(".."), Err(SlugError::EdgeDot));
        assert_eq!(check_action_slug("a..b"), Err(SlugError::DoubleDot));
        assert!(is_valid_action_slug("send-email.v2"));
        let longest = "a".repeat(MAX_SLUG_LEN);
        assert!(is_valid_action_slug(&longest));
        assert_eq!(
            check_action_slug(&format!("{longest}a")),
            Err(SlugError::TooLong(MAX_SLUG_LEN + 1))
        );
        assert!(!is_valid_page_slug(&format!("users/{longest}")));
        assert_eq!(
            check_action_slug("send email").unwrap_err().to_string(),
            "it contains ' '; use only letters, digits, `-`, `_` and `.`"
        );
    }

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
            assert_eq!(name_from_slug(slug), name, "{slug}");
        }
    }
}
