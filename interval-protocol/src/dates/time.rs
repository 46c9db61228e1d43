//! Conversions to and from the `time` crate's types (feature `time`).

use time::{Month, OffsetDateTime, PrimitiveDateTime};

use super::{narrow, Date, DateError, DateTime, Time, Timestamp};

impl TryFrom<OffsetDateTime> for Timestamp {
    type Error = DateError;
    fn try_from(time: OffsetDateTime) -> Result<Self, DateError> {
        Timestamp::from_unix_nanos(time.unix_timestamp_nanos())
            .ok_or_else(|| DateError::new(format!("{time} is out of the system clock's range")))
    }
}

/// The instant in UTC.
impl TryFrom<Timestamp> for OffsetDateTime {
    type Error = DateError;
    fn try_from(time: Timestamp) -> Result<Self, DateError> {
        OffsetDateTime::from_unix_timestamp_nanos(time.unix_nanos()).map_err(DateError::new)
    }
}

impl From<time::Date> for Date {
    fn from(date: time::Date) -> Self {
        Date {
            year: date.year(),
            month: u8::from(date.month()).into(),
            day: date.day().into(),
        }
    }
}

impl TryFrom<Date> for time::Date {
    type Error = DateError;
    fn try_from(date: Date) -> Result<Self, DateError> {
        let month = Month::try_from(narrow::<u8>(date.month, "month")?).map_err(DateError::new)?;
        time::Date::from_calendar_date(date.year, month, narrow(date.day, "day")?)
            .map_err(DateError::new)
    }
}

/// Seconds and below are dropped (the time input has minute precision).
impl From<time::Time> for Time {
    fn from(time: time::Time) -> Self {
        Time {
            hour: time.hour().into(),
            minute: time.minute().into(),
        }
    }
}

impl TryFrom<Time> for time::Time {
    type Error = DateError;
    fn try_from(time: Time) -> Result<Self, DateError> {
        time::Time::from_hms(
            narrow(time.hour, "hour")?,
            narrow(time.minute, "minute")?,
            0,
        )
        .map_err(DateError::new)
    }
}

/// Seconds and below are dropped (the datetime input has minute precision).
impl From<PrimitiveDateTime> for DateTime {
    fn from(time: PrimitiveDateTime) -> Self {
        DateTime::new(time.date().into(), time.time().into())
    }
}

impl TryFrom<DateTime> for PrimitiveDateTime {
    type Error = DateError;
    fn try_from(time: DateTime) -> Result<Self, DateError> {
        Ok(PrimitiveDateTime::new(
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
        let odt: OffsetDateTime = t.try_into().unwrap();
        assert_eq!(odt.unix_timestamp_nanos(), 1_704_164_645_678_000_000);
        assert_eq!(Timestamp::try_from(odt).unwrap(), t);
        let before = OffsetDateTime::from_unix_timestamp_nanos(-1_500_000_000).unwrap();
        let back: OffsetDateTime = Timestamp::try_from(before).unwrap().try_into().unwrap();
        assert_eq!(back, before);
    }

    #[test]
    fn dates_and_times_round_trip_and_refuse_invalid_ones() {
        let date = time::Date::from_calendar_date(2024, Month::February, 29).unwrap();
        let ours = Date::from(date);
        assert_eq!(
            ours,
            Date {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        assert_eq!(time::Date::try_from(ours).unwrap(), date);
        assert!(time::Date::try_from(Date {
            year: 2023,
            month: 2,
            day: 29
        })
        .is_err());
        assert!(time::Date::try_from(Date {
            year: 2023,
            month: 13,
            day: 1
        })
        .is_err());
        assert!(time::Date::try_from(Date {
            year: 2023,
            month: 1,
            day: 300
        })
        .is_err());

        let t = time::Time::from_hms(9, 30, 45).unwrap();
        assert_eq!(
            Time::from(t),
            Time {
                hour: 9,
                minute: 30
            }
        );
        assert_eq!(
            time::Time::try_from(Time {
                hour: 9,
                minute: 30
            })
            .unwrap(),
            time::Time::from_hms(9, 30, 0).unwrap()
        );
        assert!(time::Time::try_from(Time {
            hour: 9,
            minute: 60
        })
        .is_err());

        let both = PrimitiveDateTime::new(date, time::Time::from_hms(23, 59, 0).unwrap());
        let ours = DateTime::from(both);
        assert_eq!(
            ours.time(),
            Time {
                hour: 23,
                minute: 59
            }
        );
        assert_eq!(PrimitiveDateTime::try_from(ours).unwrap(), both);
    }
}
