//! Times in messages: Slack date tokens that each reader sees in their own
//! time zone, and RFC 3339 parsing.

/// Milliseconds since the Unix epoch of an RFC 3339 timestamp.
pub(crate) fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

/// A Slack date token for an RFC 3339 time, shown in each reader's time
/// zone with `format` (`{date_short_pretty} {time}`, `{ago}`, …) and so
/// never stale; clients that cannot render tokens show the UTC fallback.
pub(crate) fn slack_date(then: &str, format: &str) -> Option<String> {
    let at = then.parse::<jiff::Timestamp>().ok()?;
    let fallback = at.strftime("%Y-%m-%d %H:%M UTC");
    Some(format!("<!date^{}^{format}|{fallback}>", at.as_second()))
}

/// A Slack date token for a time in Unix milliseconds (see [`slack_date`]).
pub(crate) fn slack_date_ms(at_ms: i64, format: &str) -> Option<String> {
    let at = jiff::Timestamp::from_millisecond(at_ms).ok()?;
    let fallback = at.strftime("%Y-%m-%d %H:%M UTC");
    Some(format!("<!date^{}^{format}|{fallback}>", at.as_second()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_read_to_the_millisecond() {
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
