//! How long a mute lasts: a duration (`30m`, `2h`, `1d`, `1h30m`) or a
//! wall-clock time (`until 18:00`, `until monday 09:00`, `tomorrow 9am`)
//! in the muting person's time zone. Reading the words is pure and needs
//! no clock; [`MuteFor::end`] turns them into an instant.

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::quiet::schedule::{instant, parse_time};

/// Shortest mute.
pub const MIN_MUTE: Duration = Duration::from_secs(60);
/// Longest mute: past it, unsubscribing says what is meant.
pub const MAX_MUTE: Duration = Duration::from_secs(30 * 24 * 3600);

/// A mute's length as typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MuteFor {
    /// For a while.
    Duration(Duration),
    /// Until a time of day, on a given day or the next time it comes.
    Until {
        /// Which day; `None` is the next time `time` comes.
        day: Option<Day>,
        /// The time of day.
        time: NaiveTime,
    },
}

/// A day named in `until <day> <time>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Day {
    /// Today (the time may not have passed).
    Today,
    /// Tomorrow.
    Tomorrow,
    /// The next such weekday (today when the time is still ahead).
    Weekday(Weekday),
}

/// Why a mute's length cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MuteForError {
    /// Nothing given.
    #[error("how long, like `30m`, `2h`, `1d` or `until 18:00`")]
    Missing,
    /// Neither a duration nor a time.
    #[error("a duration like `30m`, `2h`, `1d` or a time like `until 18:00`, `until monday 09:00` instead of `{0}`")]
    Unreadable(String),
    /// Shorter than a minute.
    #[error("at least a minute (`1m`)")]
    TooShort,
    /// Longer than thirty days.
    #[error("at most 30 days (`30d`); to stop alerts for good, unsubscribe")]
    TooLong,
    /// A time that has passed today.
    #[error("a time still ahead today; `{0}` has passed")]
    Passed(String),
}

fn day(word: &str) -> Option<Day> {
    let word = word.to_ascii_lowercase();
    Some(match word.as_str() {
        "today" | "tonight" => Day::Today,
        "tomorrow" => Day::Tomorrow,
        _ => Day::Weekday(word.parse::<Weekday>().ok()?),
    })
}

impl MuteFor {
    /// Reads the words after the target: `30m`, `1h 30m`, `until 18:00`,
    /// `until monday 09:00`, `tomorrow 9am`.
    pub fn parse(words: &[&str]) -> Result<Self, MuteForError> {
        let words: Vec<&str> = match words.split_first() {
            Some((first, rest)) if first.eq_ignore_ascii_case("until") => rest.to_vec(),
            Some((first, rest)) if first.eq_ignore_ascii_case("for") => rest.to_vec(),
            _ => words.to_vec(),
        };
        let joined = words.join(" ");
        match words.as_slice() {
            [] => Err(MuteForError::Missing),
            [time] if parse_time(time).is_some() => Ok(MuteFor::Until {
                day: None,
                time: parse_time(time).unwrap_or_default(),
            }),
            [on, time] if day(on).is_some() && parse_time(time).is_some() => Ok(MuteFor::Until {
                day: day(on),
                time: parse_time(time).unwrap_or_default(),
            }),
            _ => {
                let length = humantime::parse_duration(&joined)
                    .map_err(|_| MuteForError::Unreadable(joined.clone()))?;
                if length < MIN_MUTE {
                    Err(MuteForError::TooShort)
                } else if length > MAX_MUTE {
                    Err(MuteForError::TooLong)
                } else {
                    Ok(MuteFor::Duration(length))
                }
            }
        }
    }

    /// When a mute typed at `now` by someone in `tz` ends.
    pub fn end(&self, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, MuteForError> {
        let (day, time) = match *self {
            MuteFor::Duration(length) => {
                let length =
                    chrono::Duration::from_std(length).map_err(|_| MuteForError::TooLong)?;
                return Ok(now + length);
            }
            MuteFor::Until { day, time } => (day, time),
        };
        let local = now.with_timezone(&tz);
        let today = local.date_naive();
        let ahead_today = time > local.time();
        let date = match day {
            None if ahead_today => today,
            None => today.succ_opt().unwrap_or(today),
            Some(Day::Today) if ahead_today => today,
            Some(Day::Today) => return Err(MuteForError::Passed(time.format("%H:%M").to_string())),
            Some(Day::Tomorrow) => today.succ_opt().unwrap_or(today),
            Some(Day::Weekday(weekday)) => {
                let from = today.weekday().num_days_from_monday();
                let to = weekday.num_days_from_monday();
                let mut days = (7 + to - from) % 7;
                if days == 0 && !ahead_today {
                    days = 7;
                }
                today + chrono::Duration::days(i64::from(days))
            }
        };
        let end = instant(tz, date.and_time(time));
        let length = (end - now).to_std().unwrap_or_default();
        if length < MIN_MUTE {
            Err(MuteForError::TooShort)
        } else if length > MAX_MUTE {
            Err(MuteForError::TooLong)
        } else {
            Ok(end)
        }
    }
}

/// A length in words: `45 min`, `2 h`, `1 h 30 min`, `3 d`, `2 d 4 h`.
pub fn length_in_words(length: Duration) -> String {
    let minutes = (length.as_secs() + 30) / 60;
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (mins, "min")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .take(2)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    if parts.is_empty() {
        "under a minute".to_string()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::quiet::schedule::at;

    fn words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    #[test]
    fn durations_read_in_the_usual_units_within_limits() {
        let mins = |m: u64| Ok(MuteFor::Duration(Duration::from_secs(m * 60)));
        assert_eq!(MuteFor::parse(&words("30m")), mins(30));
        assert_eq!(MuteFor::parse(&words("2h")), mins(120));
        assert_eq!(MuteFor::parse(&words("1d")), mins(1440));
        assert_eq!(MuteFor::parse(&words("1h 30m")), mins(90));
        assert_eq!(MuteFor::parse(&words("for 45min")), mins(45));
        assert_eq!(MuteFor::parse(&words("30s")), Err(MuteForError::TooShort));
        assert_eq!(MuteFor::parse(&words("31d")), Err(MuteForError::TooLong));
        assert_eq!(MuteFor::parse(&[]), Err(MuteForError::Missing));
        assert!(matches!(
            MuteFor::parse(&words("forever")),
            Err(MuteForError::Unreadable(_))
        ));
    }

    #[test]
    fn times_are_read_in_the_muters_time_zone() {
        let berlin = chrono_tz::Europe::Berlin;
        // Friday 4 December 2026, 10:00 in Berlin (UTC+1).
        let now = at("2026-12-04T09:00:00Z");
        let until = |text: &str| MuteFor::parse(&words(text)).unwrap().end(now, berlin);
        assert_eq!(until("until 18:00"), Ok(at("2026-12-04T17:00:00Z")));
        // 09:00 has passed today: tomorrow's.
        assert_eq!(until("until 09:00"), Ok(at("2026-12-05T08:00:00Z")));
        assert_eq!(until("until monday 09:00"), Ok(at("2026-12-07T08:00:00Z")));
        assert_eq!(until("tomorrow 9am"), Ok(at("2026-12-05T08:00:00Z")));
        // Friday again means next week once today's time has passed.
        assert_eq!(until("until friday 08:00"), Ok(at("2026-12-11T07:00:00Z")));
        assert_eq!(until("until friday 11:00"), Ok(at("2026-12-04T10:00:00Z")));
        assert_eq!(
            until("until today 08:00"),
            Err(MuteForError::Passed("08:00".into()))
        );
        assert_eq!(until("until 10:00"), Ok(at("2026-12-05T09:00:00Z")));
    }

    #[test]
    fn lengths_read_as_words() {
        assert_eq!(length_in_words(Duration::from_secs(45 * 60)), "45 min");
        assert_eq!(length_in_words(Duration::from_secs(2 * 3600)), "2 h");
        assert_eq!(length_in_words(Duration::from_secs(5400)), "1 h 30 min");
        assert_eq!(
            length_in_words(Duration::from_secs(86400 * 2 + 3600 * 4 + 60)),
            "2 d 4 h"
        );
        assert_eq!(length_in_words(Duration::from_secs(20)), "under a minute");
    }
}
