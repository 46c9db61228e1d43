//! Slug rules (§2.2 INITIALIZE_HOST step 5, §11.12).

/// Whether `slug` is a valid action slug segment: non-empty, only ASCII
/// letters, digits, `-`, `_` and `.`.
pub fn is_valid_action_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Whether `slug` is a valid page slug: segments separated by single `/`,
/// each a valid action slug.
pub fn is_valid_page_slug(slug: &str) -> bool {
    slug.split('/').all(is_valid_action_slug)
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
}
