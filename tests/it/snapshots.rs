//! What people see, pinned: every message kind's Block Kit from the
//! built-in samples (`sentry-slack-bot preview`). A change to a message
//! shows up here as a diff to review; `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test --test snapshots`) accepts it.

use sentry_slack_bot::preview::{payload, sample, KINDS};

#[test]
fn every_message_kind_matches_its_snapshot() {
    for kind in KINDS {
        let message = sample(kind).unwrap_or_else(|| panic!("no sample for {kind}"));
        let pretty = serde_json::to_string_pretty(&payload(&message)).expect("json");
        insta::assert_snapshot!(kind, format!("fallback: {}\n{pretty}", message.text));
    }
}
