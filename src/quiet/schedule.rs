//! Quiet hours: a daily window of wall-clock time in one IANA time zone,
//! every day, on weekdays or on weekends. A window that wraps past
//! midnight (`22:00-08:00`) belongs to the day it starts on, so
//! "weekdays" means Monday to Friday nights. Wall-clock time keeps the
//! window where people expect it across daylight-saving changes. Pure.

use std::fmt;

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// Which days a window starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Days {
    /// Every day.
    Daily,
    /// Monday to Friday.
    Weekdays,
    /// Saturday and Sunday.
    Weekends,
}

impl Days {
    fn includes(self, day: Weekday) -> bool {
        let weekend = matches!(day, Weekday::Sat | Weekday::Sun);
        match self {
            Days::Daily => true,
            Days::Weekdays => !weekend,
            Days::Weekends => weekend,
        }
    }

    /// The word that asks for it.
    pub fn word(self) -> &'static str {
        match self {
            Days::Daily => "daily",
            Days::Weekdays => "weekdays",
            Days::Weekends => "weekends",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "daily" | "everyday" | "every-day" => Some(Days::Daily),
            "weekdays" | "weekday" | "workdays" => Some(Days::Weekdays),
            "weekends" | "weekend" => Some(Days::Weekends),
            _ => None,
        }
    }
}

/// Quiet hours as a subscription keeps them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    /// Wall-clock start.
    pub start: NaiveTime,
    /// Wall-clock end (before `start`: the window wraps past midnight).
    pub end: NaiveTime,
    /// The zone the times are in.
    pub tz: Tz,
    /// Which days a window starts on.
    pub days: Days,
}

/// Why quiet hours cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuietHoursError {
    /// No `HH:MM-HH:MM` window.
    #[error("a window like `22:00-08:00`")]
    NoWindow,
    /// The window starts when it ends.
    #[error("a window that is not empty (`{0}` starts when it ends)")]
    Empty(String),
    /// A word that is neither a time zone nor days.
    #[error(
        "a time zone like `Europe/Berlin` or `daily`, `weekdays`, `weekends` instead of `{0}`"
    )]
    Unknown(String),
}

/// `HH:MM` (or `H:MM`, `HHMM`, `9am`-style hours) → a time of day.
pub fn parse_time(word: &str) -> Option<NaiveTime> {
    let word = word.trim().to_ascii_lowercase();
    // Byte offsets below assume ASCII; anything else is no time.
    if !word.is_ascii() {
        return None;
    }
    let (digits, offset) = if let Some(rest) = word.strip_suffix("am") {
        (rest.trim().to_string(), Some(0))
    } else if let Some(rest) = word.strip_suffix("pm") {
        (rest.trim().to_string(), Some(12))
    } else {
        (word.clone(), None)
    };
    let (hour, minute) = match digits.split_once(':') {
        Some((h, m)) => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        None if offset.is_some() => (digits.parse::<u32>().ok()?, 0),
        None if digits.len() == 4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        None => return None,
    };
    let hour = match offset {
        Some(add) if (1..=12).contains(&hour) => hour % 12 + add,
        Some(_) => return None,
        None => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, 0)
}

/// A time zone by its IANA name (`Europe/Berlin`, `UTC`), any case.
pub fn parse_tz(word: &str) -> Option<Tz> {
    word.parse::<Tz>()
        .ok()
        .or_else(|| Tz::from_str_insensitive(word).ok())
}

impl QuietHours {
    /// Reads `22:00-08:00 [time zone] [daily | weekdays | weekends]`; the
    /// zone is `default_tz` when none is named, the days daily.
    pub fn parse(words: &[&str], default_tz: Tz) -> Result<Self, QuietHoursError> {
        let (window, rest) = words.split_first().ok_or(QuietHoursError::NoWindow)?;
        let (start, end, till_midnight) = window
            .split_once(['-', '–'])
            .and_then(|(a, b)| {
                // `24:00` ends a window at midnight: `00:00-24:00` is the whole day.
                let till_midnight = b.trim() == "24:00";
                let end = if till_midnight {
                    NaiveTime::MIN
                } else {
                    parse_time(b)?
                };
                Some((parse_time(a)?, end, till_midnight))
            })
            .ok_or(QuietHoursError::NoWindow)?;
        if start == end && !(till_midnight && start == NaiveTime::MIN) {
            return Err(QuietHoursError::Empty(window.to_string()));
        }
        let mut hours = QuietHours {
            start,
            end,
            tz: default_tz,
            days: Days::Daily,
        };
        for word in rest {
            if let Some(days) = Days::from_word(word) {
                hours.days = days;
            } else if let Some(tz) = parse_tz(word) {
                hours.tz = tz;
            } else {
                return Err(QuietHoursError::Unknown(word.to_string()));
            }
        }
        Ok(hours)
    }

    /// The stored form, which [`QuietHours::from_column`] reads back.
    pub fn to_column(&self) -> String {
        format!(
            "{}-{} {} {}",
            self.start.format("%H:%M"),
            self.end_words(),
            self.tz.name(),
            self.days.word()
        )
    }

    /// The end as written: `24:00` for a whole-day window.
    fn end_words(&self) -> String {
        if self.start == self.end {
            "24:00".to_string()
        } else {
            self.end.format("%H:%M").to_string()
        }
    }

    /// Reads the stored form; `None` when it is damaged.
    pub fn from_column(column: &str) -> Option<Self> {
        let words: Vec<&str> = column.split_whitespace().collect();
        Self::parse(&words, Tz::UTC).ok()
    }

    /// The local date the window holding `at` started on, if one holds it.
    fn window_at(&self, at: DateTime<Utc>) -> Option<NaiveDate> {
        let local = at.with_timezone(&self.tz);
        let (date, time) = (local.date_naive(), local.time());
        let started = if self.start == self.end {
            // `00:00-24:00`: the whole day.
            Some(date)
        } else if self.start < self.end {
            (time >= self.start && time < self.end).then_some(date)
        } else if time >= self.start {
            Some(date)
        } else if time < self.end {
            date.pred_opt()
        } else {
            None
        };
        started.filter(|day| self.days.includes(day.weekday()))
    }

    /// When the window holding `at` began; `None` outside quiet hours.
    pub fn started_before(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let started = self.window_at(at)?;
        Some(instant(self.tz, started.and_time(self.start)).min(at))
    }

    /// Whether `at` falls in quiet hours.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.window_at(at).is_some()
    }

    /// When the quiet hours holding `at` end; `None` outside them. Windows
    /// that meet (`00:00-24:00 weekends`) are one stretch; a stretch that
    /// never ends (`00:00-24:00 daily`) is said to end in a week.
    pub fn ends_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut from = at;
        for _ in 0..8 {
            let started = self.window_at(from)?;
            let end_day = if self.start < self.end {
                started
            } else {
                started.succ_opt()?
            };
            let end = instant(self.tz, end_day.and_time(self.end));
            if end <= from || !self.contains(end) {
                return Some(end.max(from));
            }
            from = end;
        }
        Some(from)
    }
}

impl fmt::Display for QuietHours {
    /// `22:00–08:00 Europe/Berlin, weekdays`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}–{} {}",
            self.start.format("%H:%M"),
            self.end_words(),
            self.tz.name()
        )?;
        match self.days {
            Days::Daily => f.write_str(", every day"),
            days => write!(f, ", {}", days.word()),
        }
    }
}

/// The instant a wall-clock time names in `tz`: the earlier of two in the
/// hour a clock change repeats, and the first instant after a skipped hour.
pub fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..=180 {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => {
                return at.with_timezone(&Utc)
            }
            LocalResult::None => probe += chrono::Duration::minutes(1),
        }
    }
    // No zone skips three hours; read the wall time as UTC rather than fail.
    Utc.from_utc_datetime(&local)
}

/// An RFC 3339 instant, for the time tests of `quiet` and `reports`.
#[cfg(test)]
pub(crate) fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(text: &str) -> QuietHours {
        let words: Vec<&str> = text.split_whitespace().collect();
        QuietHours::parse(&words, Tz::UTC).expect("quiet hours")
    }

    #[test]
    fn an_overnight_window_holds_from_its_start_to_the_next_morning() {
        let q = hours("22:00-08:00 Europe/Berlin");
        // 21:30 and 22:30 Berlin summer time (UTC+2).
        assert!(!q.contains(at("2026-07-01T19:30:00Z")));
        assert!(q.contains(at("2026-07-01T20:30:00Z")));
        assert!(q.contains(at("2026-07-02T05:59:00Z")));
        assert!(!q.contains(at("2026-07-02T06:00:00Z")));
        assert_eq!(
            q.ends_after(at("2026-07-01T20:30:00Z")),
            Some(at("2026-07-02T06:00:00Z"))
        );
        assert_eq!(q.ends_after(at("2026-07-01T12:00:00Z")), None);
    }

    #[test]
    fn the_window_keeps_to_the_wall_clock_across_daylight_saving_changes() {
        let q = hours("22:00-08:00 Europe/Berlin");
        // Spring forward (29 March 2026, 02:00 → 03:00): the night is an hour shorter.
        let start = at("2026-03-28T21:00:00Z"); // 22:00 CET
        assert!(q.contains(start));
        assert!(!q.contains(start - chrono::Duration::minutes(1)));
        assert_eq!(q.ends_after(start), Some(at("2026-03-29T06:00:00Z"))); // 08:00 CEST
                                                                           // Fall back (25 October 2026, 03:00 → 02:00): an hour longer.
        let start = at("2026-10-24T20:00:00Z"); // 22:00 CEST
        assert!(q.contains(start));
        assert_eq!(q.ends_after(start), Some(at("2026-10-25T07:00:00Z"))); // 08:00 CET
        assert!(q.contains(at("2026-10-25T06:59:00Z")));
        assert!(!q.contains(at("2026-10-25T07:00:00Z")));
    }

    #[test]
    fn a_window_in_the_skipped_hour_ends_when_the_clock_resumes() {
        let q = hours("01:00-02:30 Europe/Berlin");
        let inside = at("2026-03-29T00:30:00Z"); // 01:30 CET
        assert!(q.contains(inside));
        // 02:30 does not exist that night; 03:00 CEST (01:00 UTC) comes first.
        assert_eq!(q.ends_after(inside), Some(at("2026-03-29T01:00:00Z")));
    }

    #[test]
    fn weekdays_are_the_nights_that_start_monday_to_friday() {
        let q = hours("22:00-08:00 UTC weekdays");
        // Friday 23:00 and the Saturday morning after it: Friday's night.
        assert!(q.contains(at("2026-12-04T23:00:00Z")));
        assert!(q.contains(at("2026-12-05T07:00:00Z")));
        // Saturday 23:00 and Monday 07:00 (Sunday's night): not quiet.
        assert!(!q.contains(at("2026-12-05T23:00:00Z")));
        assert!(!q.contains(at("2026-12-07T07:00:00Z")));
        let weekends = hours("00:00-24:00 weekends");
        assert!(weekends.contains(at("2026-12-06T12:00:00Z")));
        assert!(weekends.contains(at("2026-12-06T23:59:00Z")));
        assert!(!weekends.contains(at("2026-12-07T12:00:00Z")));
        // Saturday and Sunday are one stretch: quiet until Monday 00:00.
        assert_eq!(
            weekends.ends_after(at("2026-12-05T10:00:00Z")),
            Some(at("2026-12-07T00:00:00Z"))
        );
        assert_eq!(weekends.to_string(), "00:00–24:00 UTC, weekends");
        assert_eq!(
            QuietHours::from_column(&weekends.to_column()),
            Some(weekends)
        );
    }

    #[test]
    fn parsing_accepts_zones_days_and_clock_styles_and_refuses_the_rest() {
        let q = hours("9pm-7am america/new_york weekends");
        assert_eq!(q.tz, chrono_tz::America::New_York);
        assert_eq!(q.start, NaiveTime::from_hms_opt(21, 0, 0).unwrap());
        assert_eq!(q.end, NaiveTime::from_hms_opt(7, 0, 0).unwrap());
        assert_eq!(q.days, Days::Weekends);
        assert_eq!(QuietHours::from_column(&q.to_column()), Some(q));
        assert_eq!(q.to_string(), "21:00–07:00 America/New_York, weekends");
        let refuse = |text: &str| {
            let words: Vec<&str> = text.split_whitespace().collect();
            QuietHours::parse(&words, Tz::UTC).unwrap_err()
        };
        assert_eq!(refuse("tonight"), QuietHoursError::NoWindow);
        assert_eq!(refuse("25:00-08:00"), QuietHoursError::NoWindow);
        assert!(matches!(refuse("08:00-08:00"), QuietHoursError::Empty(_)));
        // Input from a chat box: never a panic on a character of several bytes.
        assert_eq!(refuse("1€-08:00"), QuietHoursError::NoWindow);
        assert_eq!(parse_time("1€"), None);
        assert!(matches!(
            refuse("22:00-08:00 Mars/Olympus"),
            QuietHoursError::Unknown(_)
        ));
    }
}
