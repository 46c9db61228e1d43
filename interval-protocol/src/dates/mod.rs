//! Dates and times as the protocol carries them: [`Timestamp`] (a
//! JavaScript `Date`, sent through superjson, §3.5) and the plain objects of
//! the date and time inputs (§4.2 `dateObject`, `timeObject`,
//! `dateTimeObject`): [`Date`], [`Time`], [`DateTime`].
//!
//! With the `chrono`, `time` or `jiff` feature, each converts to and from
//! that crate's types: `From` where every value fits, `TryFrom` (with a
//! [`DateError`]) where some do not (an invalid calendar date, an instant
//! beyond what the other side can hold).

#[cfg(feature = "chrono")]
mod chrono;
#[cfg(feature = "jiff")]
mod jiff;
#[cfg(feature = "time")]
mod time;
mod timestamp;

use serde::{Deserialize, Serialize};

pub use timestamp::Timestamp;

/// A calendar date, as `io.input().date` returns it (`{year, month, day}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    /// The year.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, from 1.
    pub day: u32,
}

/// A time of day, as `io.input().time` returns it (`{hour, minute}`: the
/// dashboard's time input has minute precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Time {
    /// The hour, 0 to 23.
    pub hour: u32,
    /// The minute, 0 to 59.
    pub minute: u32,
}

/// A date and time, as `io.input().datetime` returns it (`{year, month,
/// day, hour, minute}`, no time zone: what the runner picked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DateTime {
    /// The year.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, from 1.
    pub day: u32,
    /// The hour, 0 to 23.
    pub hour: u32,
    /// The minute, 0 to 59.
    pub minute: u32,
}

impl DateTime {
    /// Its date.
    pub fn date(&self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: self.day,
        }
    }

    /// Its time of day.
    pub fn time(&self) -> Time {
        Time {
            hour: self.hour,
            minute: self.minute,
        }
    }

    /// `date` at `time`.
    pub fn new(date: Date, time: Time) -> Self {
        DateTime {
            year: date.year,
            month: date.month,
            day: date.day,
            hour: time.hour,
            minute: time.minute,
        }
    }
}

/// A conversion to or from another crate's date type that does not fit: an
/// invalid date or time (`2024-02-30`, `25:00`) or an instant out of range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError(String);

impl DateError {
    #[cfg(any(feature = "chrono", feature = "time", feature = "jiff"))]
    pub(crate) fn new(what: impl std::fmt::Display) -> Self {
        DateError(what.to_string())
    }
}

impl std::fmt::Display for DateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DateError {}

/// Narrows a `u32` field to the other crate's integer type.
#[cfg(any(feature = "time", feature = "jiff"))]
fn narrow<T: TryFrom<u32>>(value: u32, what: &str) -> Result<T, DateError> {
    T::try_from(value).map_err(|_| DateError::new(format!("{what} {value} is out of range")))
}
