//! When a report is due: every day, or every week on one weekday, at a
//! wall-clock time in an IANA time zone. Each local day (or week) has
//! exactly one due instant, also across daylight-saving changes: a time
//! the clock skips falls due when the clock resumes, and a time it repeats
//! falls due the first time. Pure.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::quiet::schedule::instant;

/// How often a report is posted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cadence {
    /// Every day.
    Daily,
    /// Every week on this weekday.
    Weekly(Weekday),
}

impl Cadence {
    /// The length of a report's period.
    pub fn period(self) -> Duration {
        match self {
            Cadence::Daily => Duration::days(1),
            Cadence::Weekly(_) => Duration::days(7),
        }
    }

    /// The stored form: `daily` or `weekly:mon`.
    pub fn to_column(self) -> String {
        match self {
            Cadence::Daily => "daily".into(),
            Cadence::Weekly(day) => format!("weekly:{}", day.to_string().to_lowercase()),
        }
    }

    /// Reads the stored form.
    pub fn from_column(column: &str) -> Option<Self> {
        match column.split_once(':') {
            None if column == "daily" => Some(Cadence::Daily),
            Some(("weekly", day)) => day.parse().ok().map(Cadence::Weekly),
            _ => None,
        }
    }
}

/// A report's schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Daily or weekly.
    pub cadence: Cadence,
    /// Local time of day.
    pub at: NaiveTime,
    /// The zone `at` is in.
    pub tz: Tz,
}

impl Schedule {
    /// Whether a report falls due on local `day`.
    fn runs_on(&self, day: NaiveDate) -> bool {
        match self.cadence {
            Cadence::Daily => true,
            Cadence::Weekly(weekday) => day.weekday() == weekday,
        }
    }

    fn due_on(&self, day: NaiveDate) -> DateTime<Utc> {
        instant(self.tz, day.and_time(self.at))
    }

    /// The latest due instant at or before `now`.
    pub fn last_due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = now.with_timezone(&self.tz).date_naive();
        let mut day = today + Duration::days(1);
        for _ in 0..16 {
            if self.runs_on(day) && self.due_on(day) <= now {
                return self.due_on(day);
            }
            day -= Duration::days(1);
        }
        now
    }

    /// The first due instant after `now`.
    pub fn next_due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut day = now.with_timezone(&self.tz).date_naive() - Duration::days(1);
        for _ in 0..16 {
            if self.runs_on(day) && self.due_on(day) > now {
                return self.due_on(day);
            }
            day += Duration::days(1);
        }
        now + self.cadence.period()
    }
}

impl fmt::Display for Schedule {
    /// `daily at 09:00 Europe/Berlin`, `weekly on Monday at 09:00 UTC`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.at.format("%H:%M");
        match self.cadence {
            Cadence::Daily => write!(f, "daily at {at} {}", self.tz.name()),
            Cadence::Weekly(day) => {
                let name = match day {
                    Weekday::Mon => "Monday",
                    Weekday::Tue => "Tuesday",
                    Weekday::Wed => "Wednesday",
                    Weekday::Thu => "Thursday",
                    Weekday::Fri => "Friday",
                    Weekday::Sat => "Saturday",
                    Weekday::Sun => "Sunday",
                };
                write!(f, "weekly on {name} at {at} {}", self.tz.name())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::quiet::schedule::at;

    fn nine(cadence: Cadence, tz: Tz) -> Schedule {
        Schedule {
            cadence,
            at: NaiveTime::from_hms_opt(9, 0, 0).expect("time"),
            tz,
        }
    }

    #[test]
    fn a_daily_report_is_due_once_per_local_day_across_dst() {
        let s = nine(Cadence::Daily, chrono_tz::Europe::Berlin);
        // 09:00 CET is 08:00 UTC; after the spring change, 09:00 CEST is 07:00 UTC.
        let mut dues = Vec::new();
        let mut now = at("2026-03-27T12:00:00Z");
        for _ in 0..4 {
            let next = s.next_due(now);
            dues.push(next);
            now = next;
        }
        assert_eq!(
            dues,
            [
                at("2026-03-28T08:00:00Z"),
                at("2026-03-29T07:00:00Z"),
                at("2026-03-30T07:00:00Z"),
                at("2026-03-31T07:00:00Z"),
            ]
        );
        // The same in autumn, back to 08:00 UTC.
        assert_eq!(
            s.next_due(at("2026-10-24T12:00:00Z")),
            at("2026-10-25T08:00:00Z")
        );
        assert_eq!(
            s.last_due(at("2026-10-25T07:59:00Z")),
            at("2026-10-24T07:00:00Z")
        );
        assert_eq!(
            s.last_due(at("2026-10-25T08:00:00Z")),
            at("2026-10-25T08:00:00Z")
        );
    }

    #[test]
    fn a_time_the_clock_skips_or_repeats_is_due_once() {
        let mut s = nine(Cadence::Daily, chrono_tz::Europe::Berlin);
        s.at = NaiveTime::from_hms_opt(2, 30, 0).expect("time");
        // 29 March: 02:30 does not exist; due when the clock resumes at 03:00 CEST.
        assert_eq!(
            s.next_due(at("2026-03-28T12:00:00Z")),
            at("2026-03-29T01:00:00Z")
        );
        // 25 October: 02:30 happens twice; due the first time only.
        let first = s.next_due(at("2026-10-24T12:00:00Z"));
        assert_eq!(first, at("2026-10-25T00:30:00Z"));
        assert_eq!(s.next_due(first), at("2026-10-26T01:30:00Z"));
    }

    #[test]
    fn a_weekly_report_is_due_on_its_weekday() {
        let s = nine(Cadence::Weekly(Weekday::Mon), Tz::UTC);
        // Friday 4 December 2026.
        assert_eq!(
            s.next_due(at("2026-12-04T10:00:00Z")),
            at("2026-12-07T09:00:00Z")
        );
        assert_eq!(
            s.last_due(at("2026-12-04T10:00:00Z")),
            at("2026-11-30T09:00:00Z")
        );
        assert_eq!(s.to_string(), "weekly on Monday at 09:00 UTC");
        for cadence in [Cadence::Daily, Cadence::Weekly(Weekday::Fri)] {
            assert_eq!(Cadence::from_column(&cadence.to_column()), Some(cadence));
        }
    }
}
