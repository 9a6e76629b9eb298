//! Times as people read them: "3m ago", "2d ago".

use std::time::SystemTime;

/// Seconds since the Unix epoch of an RFC 3339 timestamp.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// Milliseconds since the Unix epoch of an RFC 3339 timestamp.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

/// A Slack date token for an RFC 3339 time, shown in each reader's time
/// zone with `format` (`{date_short_pretty} {time}`, `{ago}`, …) and so
/// never stale; clients that cannot render tokens show the UTC fallback.
pub fn slack_date(then: &str, format: &str) -> Option<String> {
    let at = then.parse::<jiff::Timestamp>().ok()?;
    let fallback = at.strftime("%Y-%m-%d %H:%M UTC");
    Some(format!("<!date^{}^{format}|{fallback}>", at.as_second()))
}

/// `then` (RFC 3339) relative to `now`: "just now", "3m ago", "5h ago", "2d ago".
pub fn relative(now: SystemTime, then: &str) -> Option<String> {
    let then = parse_rfc3339(then)?;
    let now = now
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())?;
    let secs = now - then;
    Some(match secs {
        s if s < 60 => "just now".to_string(),
        s if s < 3600 => format!("{}m ago", s / 60),
        s if s < 86_400 => format!("{}h ago", s / 3600),
        s if s < 86_400 * 60 => format!("{}d ago", s / 86_400),
        s if s < 86_400 * 730 => format!("{}mo ago", s / (86_400 * 30)),
        s => format!("{}y ago", s / (86_400 * 365)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn relative_times() {
        let now = UNIX_EPOCH + Duration::from_secs(1_764_374_400); // 2025-11-29T00:00:00Z
        let cases = [
            ("2025-11-28T23:59:30Z", "just now"),
            ("2025-11-28T23:57:00Z", "3m ago"),
            ("2025-11-28T19:00:00.123Z", "5h ago"),
            ("2025-11-27T00:00:00Z", "2d ago"),
            ("2025-08-01T00:00:00Z", "4mo ago"),
            ("2021-01-01T00:00:00+00:00", "4y ago"),
            // Clock skew: a future time reads as now.
            ("2025-11-29T00:01:00Z", "just now"),
        ];
        for (then, expected) in cases {
            assert_eq!(relative(now, then).as_deref(), Some(expected), "{then}");
        }
        assert_eq!(relative(now, "yesterday"), None);
        assert_eq!(
            parse_rfc3339_ms("2025-11-29T00:00:00.250Z"),
            Some(1_764_374_400_250)
        );
    }

    #[test]
    fn date_tokens_carry_a_utc_fallback() {
        assert_eq!(
            slack_date("2025-11-20T09:05:00Z", "{date_short_pretty} {time}").as_deref(),
            Some("<!date^1763629500^{date_short_pretty} {time}|2025-11-20 09:05 UTC>")
        );
        assert_eq!(slack_date("yesterday", "{ago}"), None);
    }
}
