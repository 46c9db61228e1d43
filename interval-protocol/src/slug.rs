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
