//! [`Timestamp`]: an instant that travels as a superjson `Date` (§3.5).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::superjson::DATE_TAG;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An instant with millisecond precision. In props, values and results it is
/// sent as a JavaScript `Date` (an ISO-8601 string plus a superjson `Date`
/// annotation); it reads back from such a string, from a bare ISO-8601
/// string (params, legacy SDKs) or from milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(SystemTime);

impl Timestamp {
    /// Now.
    pub fn now() -> Self {
        Timestamp(SystemTime::now())
    }

    /// `ms` milliseconds after the Unix epoch.
    pub fn from_millis(ms: u64) -> Self {
        Timestamp(UNIX_EPOCH + Duration::from_millis(ms))
    }

    /// Milliseconds after the Unix epoch (0 for earlier instants).
    pub fn as_millis(&self) -> u64 {
        self.0
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    /// The instant as a `SystemTime`.
    pub fn system_time(&self) -> SystemTime {
        self.0
    }

    /// Nanoseconds after the Unix epoch (negative before it), for the
    /// conversions of the `chrono`, `time` and `jiff` features.
    #[cfg(any(feature = "chrono", feature = "time", feature = "jiff"))]
    pub(crate) fn unix_nanos(&self) -> i128 {
        match self.0.duration_since(UNIX_EPOCH) {
            Ok(after) => after.as_nanos() as i128,
            Err(before) => -(before.duration().as_nanos() as i128),
        }
    }

    /// The instant `nanos` nanoseconds after the Unix epoch, if a
    /// `SystemTime` can hold it.
    #[cfg(any(feature = "chrono", feature = "time", feature = "jiff"))]
    pub(crate) fn from_unix_nanos(nanos: i128) -> Option<Self> {
        let magnitude = nanos.unsigned_abs();
        let secs = u64::try_from(magnitude / 1_000_000_000).ok()?;
        let duration = Duration::new(secs, (magnitude % 1_000_000_000) as u32);
        let time = if nanos >= 0 {
            UNIX_EPOCH.checked_add(duration)
        } else {
            UNIX_EPOCH.checked_sub(duration)
        };
        time.map(Timestamp)
    }

    /// Parses `2024-01-02T03:04:05.000Z` (any RFC 3339 UTC form).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.strip_prefix(DATE_TAG).unwrap_or(text);
        humantime::parse_rfc3339_weak(text.trim_end_matches('Z'))
            .ok()
            .map(Timestamp)
    }
}

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Self {
        Timestamp(time)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let time = self.0.max(UNIX_EPOCH);
        write!(f, "{}", humantime::format_rfc3339_millis(time))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{DATE_TAG}{self}"))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO-8601 date or milliseconds since the epoch")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).ok_or_else(|| E::custom(format!("invalid date {v:?}")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                Ok(Timestamp::from_millis(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                Ok(Timestamp::from_millis(v.max(0.0) as u64))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_superjson() {
        let t = Timestamp::from_millis(1_704_164_645_000);
        assert_eq!(t.to_string(), "2024-01-02T03:04:05.000Z");
        let (json, meta) = crate::superjson::encode(serde_json::to_value([t]).unwrap());
        assert_eq!(json, serde_json::json!(["2024-01-02T03:04:05.000Z"]));
        assert!(meta.is_some());
        let back: Vec<Timestamp> = serde_json::from_value(json).unwrap();
        assert_eq!(back, [t]);
        let ms: Timestamp =
            serde_json::from_value(serde_json::json!(1_704_164_645_000u64)).unwrap();
        assert_eq!(ms, t);
    }
}
