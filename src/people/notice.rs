//! What one person hears about, as data: a [`Notice`] (an issue assigned
//! to them, or one of theirs that came back) and the [`Dm`] that gathers
//! a window's notices into one message. Pure.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sentry::models::Issue;

/// A person gets at most one DM per this long; later notices fold into it.
pub(crate) const FOLD_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Notices a DM keeps in full; past these it only counts.
pub(crate) const MAX_KEPT: usize = 20;

/// Why a person is told about an issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Reason {
    /// It was assigned to them.
    Assigned,
    /// It is assigned to them and came back.
    Regressed,
    /// It is assigned to them and Sentry says it is escalating.
    Escalated,
}

/// Who assigned an issue, as far as the bot knows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "who")]
pub(crate) enum By {
    /// Someone in Slack, from the card's controls (a user id).
    Slack(String),
    /// Someone in Sentry, by name (untrusted text).
    Sentry(String),
}

/// One thing one person should hear about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Notice {
    /// The issue's org.
    pub org: String,
    /// The issue as last seen.
    pub issue: Issue,
    /// Why they hear about it.
    pub reason: Reason,
    /// Who assigned it, for assignments.
    #[serde(default)]
    pub by: Option<By>,
}

impl Notice {
    /// The payload as stored.
    pub(crate) fn payload(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored notice back.
    pub(crate) fn decode(payload: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(payload)
    }

    fn same_as(&self, other: &Notice) -> bool {
        self.org == other.org && self.issue.id == other.issue.id && self.reason == other.reason
    }
}

/// One DM: its first notice drawn as the issue's card, the rest folded
/// into lines below it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Dm {
    /// The notices kept in full, first to last.
    pub notices: Vec<Notice>,
    /// Every notice drawn into the DM, kept or only counted.
    pub total: usize,
}

impl Dm {
    /// `previous` (or an empty DM) with `arrived` folded in: a notice about
    /// an issue already shown for the same reason refreshes that line
    /// instead of adding one.
    pub(crate) fn grown(previous: Option<Dm>, arrived: Vec<Notice>) -> Dm {
        let mut dm = previous.unwrap_or_default();
        for notice in arrived {
            if let Some(shown) = dm.notices.iter_mut().find(|n| n.same_as(&notice)) {
                *shown = notice;
                continue;
            }
            dm.total += 1;
            if dm.notices.len() < MAX_KEPT {
                dm.notices.push(notice);
            }
        }
        dm
    }

    /// The payload as stored.
    pub(crate) fn payload(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored DM back.
    pub(crate) fn decode(payload: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(id: &str, reason: Reason) -> Notice {
        Notice {
            org: "acme".into(),
            issue: serde_json::from_value(serde_json::json!({ "id": id, "title": "Boom" }))
                .expect("issue"),
            reason,
            by: Some(By::Slack("U1".into())),
        }
    }

    #[test]
    fn a_dm_grows_counts_everything_and_keeps_a_bounded_few() {
        let first = Dm::grown(None, vec![notice("1", Reason::Assigned)]);
        assert_eq!((first.notices.len(), first.total), (1, 1));
        let grown = Dm::grown(
            Some(first),
            (2..=30)
                .map(|i| notice(&i.to_string(), Reason::Assigned))
                .collect(),
        );
        assert_eq!(grown.total, 30);
        assert_eq!(grown.notices.len(), MAX_KEPT);
        assert_eq!(grown.notices[0].issue.id, "1");
    }

    #[test]
    fn the_same_issue_for_the_same_reason_is_one_line() {
        let dm = Dm::grown(
            None,
            vec![
                notice("1", Reason::Assigned),
                notice("1", Reason::Assigned),
                notice("1", Reason::Regressed),
            ],
        );
        assert_eq!(dm.total, 2);
        assert_eq!(dm.notices[1].reason, Reason::Regressed);
    }

    #[test]
    fn notices_and_dms_round_trip_through_their_payloads() {
        let n = notice("7", Reason::Regressed);
        assert_eq!(Notice::decode(&n.payload()).unwrap(), n);
        let sentry_side = Notice {
            by: Some(By::Sentry("Jane <x>".into())),
            ..notice("8", Reason::Assigned)
        };
        let dm = Dm::grown(None, vec![n, sentry_side]);
        assert_eq!(Dm::decode(&dm.payload()).unwrap(), dm);
        assert!(Notice::decode("{").is_err());
    }
}
