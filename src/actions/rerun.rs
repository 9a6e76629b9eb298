//! "Next page" and "Share in channel" carry the command that produced a
//! message, so a click runs it again (with a cursor) anywhere, on any replica.

use serde::{Deserialize, Serialize};

use crate::render::limits::MAX_BUTTON_VALUE;

/// A command to run again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rerun {
    /// The text after `/sentry`.
    #[serde(rename = "t")]
    pub text: String,
    /// Sentry cursor of the page to show.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// 1-based page number, for display.
    #[serde(rename = "p", default = "first_page")]
    pub page: u32,
}

fn first_page() -> u32 {
    1
}

impl Rerun {
    /// The button value, or `None` when it would exceed Slack's limit.
    pub fn encode(&self) -> Option<String> {
        serde_json::to_string(self)
            .ok()
            .filter(|v| v.chars().count() <= MAX_BUTTON_VALUE)
    }

    /// Reads a button value.
    pub fn decode(value: &str) -> Option<Self> {
        serde_json::from_str(value).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_respects_the_value_limit() {
        let rerun = Rerun {
            text: "issues acme/api level:error \"quoted\"".into(),
            cursor: Some("1764374400000:10:0".into()),
            page: 2,
        };
        assert_eq!(Rerun::decode(&rerun.encode().unwrap()), Some(rerun));
        let long = Rerun {
            text: "x".repeat(2100),
            cursor: None,
            page: 1,
        };
        assert_eq!(long.encode(), None);
        assert_eq!(Rerun::decode("nope"), None);
    }
}
