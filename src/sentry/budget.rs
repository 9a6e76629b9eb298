//! Sentry's rate limits as Sentry defines them: a budget per caller **and
//! endpoint**, in fixed windows (sentry.io's default is 40 requests per
//! 1-second window). Each endpoint family of one org keeps the last
//! `Limit` / `Remaining` / `Reset` it was told and counts its own requests
//! down from there; a count is trusted only until its window resets, and a
//! count read on one family says nothing about another. Pure: callers pass
//! the clock.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::sentry::ratelimit::RateLimitHeaders;

/// Optional calls (alert facts, option lists) leave this share of a
/// window to the calls a person or an alert cannot do without.
pub(crate) const OPTIONAL_RESERVE_PERCENT: u64 = 10;

/// What a caller may do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Send the request.
    Go,
    /// Wait until then, and ask again.
    WaitUntil(SystemTime),
}

/// One family's window as last reported, counted down locally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    limit: u64,
    remaining: u64,
    reset: SystemTime,
}

/// The budgets of one org, by endpoint family.
#[derive(Debug, Default)]
pub(crate) struct Budgets {
    windows: HashMap<&'static str, Window>,
    /// After a 429: no request of the family before then.
    holds: HashMap<&'static str, SystemTime>,
}

/// Requests an optional call leaves in a window of `limit`: at least one.
pub(crate) fn reserve(limit: u64) -> u64 {
    (limit * OPTIONAL_RESERVE_PERCENT).div_ceil(100).max(1)
}

impl Budgets {
    /// Whether a request of `family` may go now; `optional` calls stop
    /// while under [`OPTIONAL_RESERVE_PERCENT`] of the window is left, the
    /// others only when nothing is left. A request that may go is counted.
    pub(crate) fn admit(
        &mut self,
        family: &'static str,
        now: SystemTime,
        optional: bool,
    ) -> Admission {
        if let Some(&until) = self.holds.get(family) {
            if until > now {
                return Admission::WaitUntil(until);
            }
            self.holds.remove(family);
        }
        let Some(window) = self.windows.get_mut(family) else {
            return Admission::Go;
        };
        if window.reset <= now {
            // A new window: what was left of the old one says nothing now.
            self.windows.remove(family);
            return Admission::Go;
        }
        let floor = if optional { reserve(window.limit) } else { 0 };
        if window.remaining <= floor {
            return Admission::WaitUntil(window.reset);
        }
        window.remaining -= 1;
        Admission::Go
    }

    /// Takes in what an answer of `family` said about its window. Answers
    /// overtake each other, so within one window the lowest count wins.
    pub(crate) fn observe(
        &mut self,
        family: &'static str,
        headers: &RateLimitHeaders,
        now: SystemTime,
    ) {
        let (Some(limit), Some(remaining), Some(reset)) =
            (headers.limit, headers.remaining, headers.reset)
        else {
            return;
        };
        let reset = UNIX_EPOCH + Duration::from_secs(reset);
        if reset <= now {
            return;
        }
        let told = Window {
            limit,
            remaining: remaining.min(limit),
            reset,
        };
        match self.windows.get_mut(family) {
            Some(window) if window.reset == reset => {
                window.remaining = window.remaining.min(told.remaining);
                window.limit = limit;
            }
            Some(window) if window.reset > reset => {}
            _ => {
                self.windows.insert(family, told);
            }
        }
    }

    /// Holds `family` until `until`, after Sentry answered 429.
    pub(crate) fn hold(&mut self, family: &'static str, until: SystemTime) {
        let held = self.holds.entry(family).or_insert(until);
        if *held < until {
            *held = until;
        }
        if let Some(window) = self.windows.get_mut(family) {
            window.remaining = 0;
        }
    }

    /// What is left of `family`'s window now, when it is known.
    #[cfg(test)]
    pub(crate) fn remaining(&self, family: &'static str, now: SystemTime) -> Option<u64> {
        self.windows
            .get(family)
            .filter(|w| w.reset > now)
            .map(|w| w.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn told(limit: u64, remaining: u64, reset: u64) -> RateLimitHeaders {
        RateLimitHeaders {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(reset),
            ..Default::default()
        }
    }

    #[test]
    fn an_unknown_family_goes() {
        let mut budgets = Budgets::default();
        assert_eq!(budgets.admit("issues", at(1000), true), Admission::Go);
    }

    #[test]
    fn sentry_io_default_leaves_room_for_optional_calls() {
        // 39 of 40 left, as on sentry.io right after one call: facts go.
        let mut budgets = Budgets::default();
        budgets.observe("events", &told(40, 39, 1001), at(1000));
        assert_eq!(budgets.admit("events", at(1000), true), Admission::Go);
        assert_eq!(budgets.remaining("events", at(1000)), Some(38));
    }

    #[test]
    fn optional_calls_stop_at_the_reserve_and_others_at_zero() {
        let mut budgets = Budgets::default();
        budgets.observe("events", &told(40, 5, 1001), at(1000));
        assert_eq!(reserve(40), 4);
        assert_eq!(budgets.admit("events", at(1000), true), Admission::Go);
        assert_eq!(
            budgets.admit("events", at(1000), true),
            Admission::WaitUntil(at(1001)),
            "4 left of 40 is the reserve"
        );
        for _ in 0..4 {
            assert_eq!(budgets.admit("events", at(1000), false), Admission::Go);
        }
        assert_eq!(
            budgets.admit("events", at(1000), false),
            Admission::WaitUntil(at(1001))
        );
    }

    #[test]
    fn a_count_is_trusted_only_until_its_reset() {
        let mut budgets = Budgets::default();
        budgets.observe("events", &told(40, 0, 1001), at(1000));
        assert_eq!(
            budgets.admit("events", at(1000), false),
            Admission::WaitUntil(at(1001))
        );
        assert_eq!(budgets.admit("events", at(1001), false), Admission::Go);
        assert_eq!(budgets.remaining("events", at(1001)), None);
    }

    #[test]
    fn one_family_says_nothing_about_another() {
        let mut budgets = Budgets::default();
        budgets.observe("issues", &told(40, 0, 1001), at(1000));
        assert_eq!(budgets.admit("events", at(1000), true), Admission::Go);
    }

    #[test]
    fn answers_out_of_order_keep_the_lowest_count_of_a_window() {
        let mut budgets = Budgets::default();
        budgets.observe("issues", &told(40, 10, 1001), at(1000));
        budgets.observe("issues", &told(40, 30, 1001), at(1000));
        assert_eq!(budgets.remaining("issues", at(1000)), Some(10));
        // An answer from the previous window changes nothing.
        budgets.observe("issues", &told(40, 39, 1000), at(1000));
        assert_eq!(budgets.remaining("issues", at(1000)), Some(10));
        budgets.observe("issues", &told(40, 39, 1002), at(1001));
        assert_eq!(budgets.remaining("issues", at(1001)), Some(39));
    }

    #[test]
    fn a_429_holds_the_family_until_its_time() {
        let mut budgets = Budgets::default();
        budgets.hold("events", at(1003));
        assert_eq!(
            budgets.admit("events", at(1001), false),
            Admission::WaitUntil(at(1003))
        );
        assert_eq!(budgets.admit("issues", at(1001), false), Admission::Go);
        assert_eq!(budgets.admit("events", at(1003), false), Admission::Go);
    }

    #[test]
    fn incomplete_headers_teach_nothing() {
        let mut budgets = Budgets::default();
        let partial = RateLimitHeaders {
            remaining: Some(0),
            ..Default::default()
        };
        budgets.observe("issues", &partial, at(1000));
        assert_eq!(budgets.admit("issues", at(1000), false), Admission::Go);
    }
}
