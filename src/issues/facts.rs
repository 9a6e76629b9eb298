//! The facts a person on call triages by, taken from an issue and its
//! latest event: where (environment, release, top in-app frame), how
//! (handled or not, the exception when the title does not say it) and
//! whether it is growing (a 24-hour sparkline). Pure; every fact is
//! optional because events and compatible servers often lack them.

use serde_json::Value;

use crate::sentry::models::{Event, Issue};

/// What a message shows besides the title and counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// `environment` tag.
    pub environment: Option<String>,
    /// `release` tag.
    pub release: Option<String>,
    /// Whether the exception was handled, when the event says.
    pub handled: Option<bool>,
    /// The crashing in-app frame: `file:line in function`.
    pub top_frame: Option<String>,
    /// `Type: value` of the exception, when the title does not already say it.
    pub exception: Option<String>,
    /// Events per hour over the last 24 hours.
    pub trend: Option<Trend>,
}

/// Hourly event counts, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Trend {
    /// One bar per hour.
    pub sparkline: String,
    /// Events in the latest hour.
    pub last_hour: u64,
}

/// Gathers the facts of `issue`, with its latest `event` when there is one.
pub(crate) fn gather(issue: &Issue, event: Option<&Event>) -> Facts {
    let exception = event.and_then(last_exception);
    Facts {
        environment: event.and_then(|e| e.tag("environment")).map(str::to_string),
        release: event.and_then(|e| e.tag("release")).map(str::to_string),
        handled: exception
            .and_then(|x| x["mechanism"]["handled"].as_bool())
            .or_else(|| match event.and_then(|e| e.tag("handled")) {
                Some("yes") => Some(true),
                Some("no") => Some(false),
                _ => None,
            }),
        top_frame: exception.and_then(top_in_app_frame),
        exception: exception_text(issue, event, exception)
            .filter(|text| !says_the_same(&issue.title, text)),
        trend: trend(issue),
    }
}

/// The event's crashing in-app frame: `file:line in function`.
pub(crate) fn crash_frame(event: &Event) -> Option<String> {
    last_exception(event).and_then(top_in_app_frame)
}

fn last_exception(event: &Event) -> Option<&Value> {
    event
        .entries
        .iter()
        .find(|entry| entry["type"] == "exception")
        .and_then(|entry| entry["data"]["values"].as_array())
        .and_then(|values| values.last())
}

/// Frames run from the outermost call to the crash: the last in-app one is
/// where the program's own code failed.
fn top_in_app_frame(exception: &Value) -> Option<String> {
    let frames = exception["stacktrace"]["frames"].as_array()?;
    let frame = frames.iter().rev().find(|f| f["inApp"] == true)?;
    let file = ["filename", "module", "absPath"]
        .iter()
        .find_map(|key| frame[*key].as_str().filter(|s| !s.is_empty()))?;
    let mut place = file.to_string();
    if let Some(line) = frame["lineNo"].as_u64() {
        place.push_str(&format!(":{line}"));
    }
    if let Some(function) = frame["function"].as_str().filter(|s| !s.is_empty()) {
        place.push_str(&format!(" in {function}"));
    }
    Some(place)
}

fn exception_text(
    issue: &Issue,
    event: Option<&Event>,
    exception: Option<&Value>,
) -> Option<String> {
    let from_exception = exception.and_then(|x| {
        let kind = x["type"].as_str().unwrap_or_default();
        let value = x["value"].as_str().unwrap_or_default();
        let text = match (kind.is_empty(), value.is_empty()) {
            (false, false) => format!("{kind}: {value}"),
            (false, true) => kind.to_string(),
            _ => value.to_string(),
        };
        (!text.is_empty()).then_some(text)
    });
    from_exception
        .or_else(|| {
            event
                .and_then(|e| e.message.clone())
                .filter(|m| !m.is_empty())
        })
        .or_else(|| {
            issue
                .metadata
                .as_ref()
                .and_then(|m| m["value"].as_str())
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        })
}

/// Whether `text` adds nothing to the title: Sentry's titles are usually
/// `Type: value`, cut short.
fn says_the_same(title: &str, text: &str) -> bool {
    let title = title.trim_end_matches('…').trim();
    let text = text.trim();
    title == text
        || text.starts_with(title)
        || title.contains(text)
        || text
            .split_once(": ")
            .is_some_and(|(_, value)| title.contains(value.trim()))
}

/// The issue's `stats["24h"]` (`[[unix, count], …]`) as a trend.
pub(crate) fn trend(issue: &Issue) -> Option<Trend> {
    let buckets = issue.stats.as_ref()?["24h"].as_array()?;
    let counts: Vec<u64> = buckets
        .iter()
        .filter_map(|b| b.get(1).and_then(Value::as_u64))
        .collect();
    if counts.is_empty() {
        return None;
    }
    Some(Trend {
        sparkline: sparkline(&counts),
        last_hour: counts.last().copied().unwrap_or(0),
    })
}

/// One bar per count, scaled to the largest; zero is the lowest bar.
pub(crate) fn sparkline(counts: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .map(|&c| {
            if max == 0 || c == 0 {
                BARS[0]
            } else {
                // 1..=max onto bars 1..=7, so any event shows above zero.
                let index = 1 + ((c - 1) * 7 / max) as usize;
                BARS[index.min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn issue(extra: Value) -> Issue {
        let mut base = json!({ "id": "1", "title": "ZeroDivisionError: division by zero" });
        for (k, v) in extra.as_object().into_iter().flatten() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).expect("issue")
    }

    fn event(value: Value) -> Event {
        serde_json::from_value(value).expect("event")
    }

    #[test]
    fn facts_come_from_tags_mechanism_and_the_last_in_app_frame() {
        let e = event(json!({
            "tags": [{"key": "environment", "value": "production"}, {"key": "release", "value": "api@1.4.2"}],
            "entries": [{"type": "exception", "data": {"values": [{
                "type": "KeyError", "value": "'cart_id'",
                "mechanism": {"type": "generic", "handled": false},
                "stacktrace": {"frames": [
                    {"filename": "app/views.py", "lineNo": 10, "function": "checkout", "inApp": true},
                    {"filename": "app/cart.py", "lineNo": 88, "function": "total", "inApp": true},
                    {"filename": "django/core.py", "lineNo": 5, "function": "get", "inApp": false}
                ]}
            }]}}]
        }));
        let facts = gather(&issue(json!({"title": "KeyError: 'cart_id'"})), Some(&e));
        assert_eq!(facts.environment.as_deref(), Some("production"));
        assert_eq!(facts.release.as_deref(), Some("api@1.4.2"));
        assert_eq!(facts.handled, Some(false));
        assert_eq!(facts.top_frame.as_deref(), Some("app/cart.py:88 in total"));
        assert_eq!(facts.exception, None, "the title already says it");
    }

    #[test]
    fn the_exception_is_shown_only_when_the_title_does_not_say_it() {
        let e = event(
            json!({"entries": [{"type": "exception", "data": {"values": [
                {"type": "RuntimeError", "value": "pool exhausted after 30 s"}
            ]}}]}),
        );
        let facts = gather(&issue(json!({"title": "Checkout failed"})), Some(&e));
        assert_eq!(
            facts.exception.as_deref(),
            Some("RuntimeError: pool exhausted after 30 s")
        );
        assert_eq!(facts.top_frame, None);
        assert_eq!(facts.handled, None);
    }

    #[test]
    fn no_event_and_no_stats_give_no_facts() {
        assert_eq!(gather(&issue(json!({})), None), Facts::default());
    }

    #[test]
    fn the_trend_rises_with_the_counts_and_names_the_last_hour() {
        let stats = json!({"24h": (0..24).map(|h| json!([1_764_000_000 + h * 3600, if h < 20 { 0 } else { (h - 19) * 10 }])).collect::<Vec<_>>()});
        let t = trend(&issue(json!({"stats": stats}))).expect("trend");
        assert_eq!(t.sparkline.chars().count(), 24);
        assert!(t.sparkline.starts_with("▁▁▁"));
        assert!(t.sparkline.ends_with('█'));
        assert_eq!(t.last_hour, 40);
        assert_eq!(sparkline(&[0, 1, 1000]), "▁▂█");
    }
}
