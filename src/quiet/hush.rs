//! A subscription's quiet settings (a timed mute, quiet hours, the urgent
//! query that breaks through them) and whether one alert waits. Pure.

use chrono::{DateTime, Utc};

use crate::quiet::schedule::QuietHours;

/// A timed mute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mute {
    /// When it began, Unix milliseconds.
    pub from_ms: i64,
    /// When it ends (or ended), Unix milliseconds.
    pub until_ms: i64,
    /// The Slack user who muted.
    pub by: String,
}

/// A subscription's quiet settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hush {
    /// The latest mute, also once it has ended (the catch-up names it).
    pub mute: Option<Mute>,
    /// Quiet hours.
    pub quiet: Option<QuietHours>,
    /// A search query whose alerts come through quiet hours.
    pub urgent: Option<String>,
}

/// Why an alert waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// A timed mute.
    Muted,
    /// Quiet hours.
    QuietHours,
}

fn utc(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

impl Hush {
    /// The mute in force at `now_ms`.
    pub fn mute_at(&self, now_ms: i64) -> Option<&Mute> {
        self.mute
            .as_ref()
            .filter(|m| m.from_ms <= now_ms && now_ms < m.until_ms)
    }

    /// Whether quiet hours hold `now_ms`.
    pub fn quiet_at(&self, now_ms: i64) -> bool {
        match (&self.quiet, utc(now_ms)) {
            (Some(quiet), Some(now)) => quiet.contains(now),
            _ => false,
        }
    }

    /// Why an alert delivered at `now_ms` waits, if it does. A mute holds
    /// everything; quiet hours let `urgent` alerts (those matching the
    /// urgent query) through.
    pub fn holds(&self, now_ms: i64, urgent: bool) -> Option<Why> {
        if self.mute_at(now_ms).is_some() {
            Some(Why::Muted)
        } else if !urgent && self.quiet_at(now_ms) {
            Some(Why::QuietHours)
        } else {
            None
        }
    }

    /// Whether anything holds alerts at `now_ms` (urgent ones aside).
    pub fn holding(&self, now_ms: i64) -> bool {
        self.holds(now_ms, false).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    const MIN: i64 = 60_000;

    fn quiet(text: &str) -> QuietHours {
        let words: Vec<&str> = text.split_whitespace().collect();
        QuietHours::parse(&words, Tz::UTC).expect("quiet hours")
    }

    fn ms(text: &str) -> i64 {
        crate::quiet::schedule::at(text).timestamp_millis()
    }

    #[test]
    fn a_mute_holds_everything_until_it_ends() {
        let now = ms("2026-12-04T10:00:00Z");
        let hush = Hush {
            mute: Some(Mute {
                from_ms: now,
                until_ms: now + 30 * MIN,
                by: "U1".into(),
            }),
            ..Hush::default()
        };
        assert_eq!(hush.holds(now, false), Some(Why::Muted));
        assert_eq!(
            hush.holds(now + MIN, true),
            Some(Why::Muted),
            "urgent is for quiet hours"
        );
        assert_eq!(hush.holds(now + 30 * MIN, false), None);
    }

    #[test]
    fn quiet_hours_let_urgent_alerts_through_and_follow_a_mute() {
        let hush = Hush {
            mute: Some(Mute {
                from_ms: ms("2026-12-04T20:00:00Z"),
                until_ms: ms("2026-12-04T22:30:00Z"),
                by: "U1".into(),
            }),
            quiet: Some(quiet("22:00-08:00 UTC")),
            urgent: Some("level:fatal".into()),
        };
        let night = ms("2026-12-04T23:00:00Z");
        assert_eq!(hush.holds(night, false), Some(Why::QuietHours));
        assert_eq!(hush.holds(night, true), None);
        // The mute ends inside quiet hours: alerts wait for the morning.
        assert!(hush.holding(ms("2026-12-04T22:45:00Z")));
        assert!(!hush.holding(ms("2026-12-05T09:00:00Z")));
    }
}
