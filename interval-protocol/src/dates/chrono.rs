//! Conversions to and from chrono's types (feature `chrono`).

use chrono::{
    DateTime as ChronoDateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc,
};

use super::{Date, DateError, DateTime, Time, Timestamp};

impl TryFrom<ChronoDateTime<Utc>> for Timestamp {
    type Error = DateError;
    fn try_from(time: ChronoDateTime<Utc>) -> Result<Self, DateError> {
        let nanos = i128::from(time.timestamp()) * 1_000_000_000
            + i128::from(time.timestamp_subsec_nanos());
        Timestamp::from_unix_nanos(nanos)
            .ok_or_else(|| DateError::new(format!("{time} is out of the system clock's range")))
    }
}

impl TryFrom<Timestamp> for ChronoDateTime<Utc> {
    type Error = DateError;
    fn try_from(time: Timestamp) -> Result<Self, DateError> {
        let nanos = time.unix_nanos();
        i64::try_from(nanos.div_euclid(1_000_000_000))
            .ok()
            .and_then(|secs| {
                ChronoDateTime::from_timestamp(secs, nanos.rem_euclid(1_000_000_000) as u32)
            })
            .ok_or_else(|| DateError::new(format!("{time} is out of chrono's range")))
    }
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Date {
            year: date.year(),
            month: date.month(),
            day: date.day(),
        }
    }
}

impl TryFrom<Date> for NaiveDate {
    type Error = DateError;
    fn try_from(date: Date) -> Result<Self, DateError> {
        NaiveDate::from_ymd_opt(date.year, date.month, date.day)
            .ok_or_else(|| DateError::new(format!("invalid date {date:?}")))
    }
}

/// Seconds and below are dropped (the time input has minute precision).
impl From<NaiveTime> for Time {
    fn from(time: NaiveTime) -> Self {
        Time {
            hour: time.hour(),
            minute: time.minute(),
        }
    }
}

impl TryFrom<Time> for NaiveTime {
    type Error = DateError;
    fn try_from(time: Time) -> Result<Self, DateError> {
        NaiveTime::from_hms_opt(time.hour, time.minute, 0)
            .ok_or_else(|| DateError::new(format!("invalid time {time:?}")))
    }
}

/// Seconds and below are dropped (the datetime input has minute precision).
impl From<NaiveDateTime> for DateTime {
    fn from(time: NaiveDateTime) -> Self {
        DateTime::new(time.date().into(), time.time().into())
    }
}

impl TryFrom<DateTime> for NaiveDateTime {
    type Error = DateError;
    fn try_from(time: DateTime) -> Result<Self, DateError> {
        Ok(NaiveDateTime::new(
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
        let chrono: ChronoDateTime<Utc> = t.try_into().unwrap();
        assert_eq!(chrono.to_rfc3339(), "2024-01-02T03:04:05.678+00:00");
        assert_eq!(Timestamp::try_from(chrono).unwrap(), t);
        let before = ChronoDateTime::from_timestamp(-86_401, 500_000_000).unwrap();
        let back: ChronoDateTime<Utc> = Timestamp::try_from(before).unwrap().try_into().unwrap();
        assert_eq!(back, before);
    }

    #[test]
    fn dates_and_times_round_trip_and_refuse_invalid_ones() {
        let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let ours = Date::from(date);
        assert_eq!((ours.year, ours.month, ours.day), (2024, 2, 29));
        assert_eq!(NaiveDate::try_from(ours).unwrap(), date);
        let bad = Date {
            year: 2023,
            month: 2,
            day: 29,
        };
        assert!(NaiveDate::try_from(bad).is_err());

        let time = NaiveTime::from_hms_opt(9, 30, 45).unwrap();
        assert_eq!(
            Time::from(time),
            Time {
                hour: 9,
                minute: 30
            }
        );
        assert_eq!(
            NaiveTime::try_from(Time {
                hour: 9,
                minute: 30
            })
            .unwrap(),
            NaiveTime::from_hms_opt(9, 30, 0).unwrap()
        );
        assert!(NaiveTime::try_from(Time {
            hour: 24,
            minute: 0
        })
        .is_err());

        let both = NaiveDateTime::new(date, NaiveTime::from_hms_opt(23, 59, 0).unwrap());
        let ours = DateTime::from(both);
        assert_eq!((ours.hour, ours.minute), (23, 59));
        assert_eq!(NaiveDateTime::try_from(ours).unwrap(), both);
    }
}
