//! Conversions to and from jiff's types (feature `jiff`).

use jiff::civil;

use super::{narrow, Date, DateError, DateTime, Time, Timestamp};

impl TryFrom<jiff::Timestamp> for Timestamp {
    type Error = DateError;
    fn try_from(time: jiff::Timestamp) -> Result<Self, DateError> {
        Timestamp::from_unix_nanos(time.as_nanosecond())
            .ok_or_else(|| DateError::new(format!("{time} is out of the system clock's range")))
    }
}

impl TryFrom<Timestamp> for jiff::Timestamp {
    type Error = DateError;
    fn try_from(time: Timestamp) -> Result<Self, DateError> {
        jiff::Timestamp::from_nanosecond(time.unix_nanos()).map_err(DateError::new)
    }
}

impl From<civil::Date> for Date {
    fn from(date: civil::Date) -> Self {
        Date {
            year: date.year().into(),
            month: date.month().unsigned_abs().into(),
            day: date.day().unsigned_abs().into(),
        }
    }
}

impl TryFrom<Date> for civil::Date {
    type Error = DateError;
    fn try_from(date: Date) -> Result<Self, DateError> {
        let year = i16::try_from(date.year)
            .map_err(|_| DateError::new(format!("year {} is out of range", date.year)))?;
        civil::Date::new(year, narrow(date.month, "month")?, narrow(date.day, "day")?)
            .map_err(DateError::new)
    }
}

/// Seconds and below are dropped (the time input has minute precision).
impl From<civil::Time> for Time {
    fn from(time: civil::Time) -> Self {
        Time {
            hour: time.hour().unsigned_abs().into(),
            minute: time.minute().unsigned_abs().into(),
        }
    }
}

impl TryFrom<Time> for civil::Time {
    type Error = DateError;
    fn try_from(time: Time) -> Result<Self, DateError> {
        civil::Time::new(
            narrow(time.hour, "hour")?,
            narrow(time.minute, "minute")?,
            0,
            0,
        )
        .map_err(DateError::new)
    }
}

/// Seconds and below are dropped (the datetime input has minute precision).
impl From<civil::DateTime> for DateTime {
    fn from(time: civil::DateTime) -> Self {
        DateTime::new(time.date().into(), time.time().into())
    }
}

impl TryFrom<DateTime> for civil::DateTime {
    type Error = DateError;
    fn try_from(time: DateTime) -> Result<Self, DateError> {
        Ok(civil::DateTime::from_parts(
            time.date().try_into()?,
            time.time().try_into()?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let t = Timestamp::parse("2024-01-02T03:04:05.678Z").unwrap();
        let j: jiff::Timestamp = t.try_into().unwrap();
        assert_eq!(j.to_string(), "2024-01-02T03:04:05.678Z");
        assert_eq!(Timestamp::try_from(j).unwrap(), t);
        let before = jiff::Timestamp::from_nanosecond(-1_500_000_000).unwrap();
        let back: jiff::Timestamp = Timestamp::try_from(before).unwrap().try_into().unwrap();
        assert_eq!(back, before);
    }

    #[test]
    fn dates_and_times_round_trip_and_refuse_invalid_ones() {
        let date = civil::date(2024, 2, 29);
        let ours = Date::from(date);
        assert_eq!(
            ours,
            Date {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        assert_eq!(civil::Date::try_from(ours).unwrap(), date);
        assert!(civil::Date::try_from(Date {
            year: 2023,
            month: 2,
            day: 29
        })
        .is_err());
        assert!(civil::Date::try_from(Date {
            year: 40_000,
            month: 1,
            day: 1
        })
        .is_err());

        assert_eq!(
            Time::from(civil::time(9, 30, 45, 0)),
            Time {
                hour: 9,
                minute: 30
            }
        );
        assert_eq!(
            civil::Time::try_from(Time {
                hour: 9,
                minute: 30
            })
            .unwrap(),
            civil::time(9, 30, 0, 0)
        );
        assert!(civil::Time::try_from(Time {
            hour: 300,
            minute: 0
        })
        .is_err());

        let both = civil::DateTime::from_parts(date, civil::time(23, 59, 0, 0));
        let ours = DateTime::from(both);
        assert_eq!(
            ours.time(),
            Time {
                hour: 23,
                minute: 59
            }
        );
        assert_eq!(civil::DateTime::try_from(ours).unwrap(), both);
    }
}
