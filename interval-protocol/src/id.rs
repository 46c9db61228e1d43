//! Fresh random ids: frame ids, render ids, input group keys, instance ids.

use uuid::Uuid;

/// A new random (version 4) UUID.
///
/// Drawn from rand's thread-local generator (ChaCha, seeded from the
/// operating system), so that making an id per frame costs no system call.
pub fn new_id() -> Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::new_id;

    #[test]
    fn ids_are_version_4_and_distinct() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.get_version_num(), 4);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(a, b);
    }
}
