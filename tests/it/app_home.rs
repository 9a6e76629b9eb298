//! The Home tab: opening it draws the person's assigned issues (with their
//! menus), settings and subscriptions, and for an admin the paused
//! channels; a choice made on it changes the issue and draws it again;
//! two hundred assigned issues fit in Slack's 100 blocks with a count and
//! a link for the rest. Both fake Sentry modes.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::alerts::{acme_in, now_iso, subscribe, wait_until};
use crate::support::app::TestApp;
use crate::support::fake_sentry::Mode;
use crate::support::{list_rows, message_text as text, row_pick};

fn alice() -> Value {
    json!({ "type": "user", "id": "100001", "name": "Alice", "email": "alice@acme.test" })
}

async fn open_home(app: &TestApp, user: &str, event_id: &str) {
    let body = json!({
        "type": "event_callback", "team_id": "T0ACME", "event_id": event_id,
        "event": { "type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home",
                   "event_ts": "1764406800.000100" }
    })
    .to_string();
    let response = app
        .post_signed("/slack/events", "application/json", body)
        .await;
    assert_eq!(response.status().as_u16(), 200);
}

/// Waits for `user`'s Home tab to say `needle`; returns the view.
async fn home_saying(app: &TestApp, user: &str, needle: &str) -> Value {
    wait_until(needle, Duration::from_secs(10), || {
        app.slack
            .home_of(user)
            .is_some_and(|view| text(&view).contains(needle))
    })
    .await;
    app.slack.home_of(user).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_tab_shows_whats_yours_acts_on_it_and_shows_admins_paused_channels() {
    for mode in [Mode::SentryIo, Mode::Compatible] {
        let app = acme_in(mode, vec![("ADMIN_SLACK_USERS", "U0ADMIN".into())]).await;
        let mine = app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": "Alice's crash", "assignedTo": alice(), "lastSeen": now_iso() }),
        );
        app.sentry.add_issue(
            "acme",
            "web",
            json!({ "title": "Bob's crash",
                    "assignedTo": { "type": "user", "id": "100002", "name": "Bob", "email": "bob@acme.test" } }),
        );
        app.sentry
            .add_issue("acme", "api", json!({ "title": "Nobody's crash" }));
        subscribe(&app, "CPAY", "api").await;

        open_home(&app, "U0ALICE", &format!("Ev{mode:?}1")).await;
        let home = home_saying(&app, "U0ALICE", "Alice's crash").await;
        let said = text(&home);
        assert!(!said.contains("Bob's crash"), "{mode:?}: {said}");
        assert!(!said.contains("Nobody's crash"), "{mode:?}: {said}");
        assert!(said.contains("1 unresolved issue"), "{said}");
        assert!(said.contains("An issue assigned to you: *on*"), "{said}");
        assert!(
            said.contains(":large_green_circle: <#CPAY> *acme/api*"),
            "{said}"
        );
        assert!(!said.contains("Paused channels"), "not an admin: {said}");

        // Resolve from the Home tab: no response_url, the tab is drawn again.
        let rows = list_rows(&home);
        assert_eq!(rows.len(), 1, "{home}");
        let payload = json!({
            "type": "block_actions", "user": { "id": "U0ALICE" }, "team": { "id": "T0ACME" },
            "container": { "type": "view", "view_id": "V0HOME" },
            "view": { "id": "V0HOME", "type": "home" },
            "actions": [row_pick(&rows[0], "resolve:")]
        });
        assert_eq!(app.interact(&payload).await.status().as_u16(), 200);
        wait_until("the issue resolved", Duration::from_secs(10), || {
            app.sentry
                .issue(&mine)
                .is_some_and(|i| i["status"] == "resolved")
        })
        .await;
        home_saying(&app, "U0ALICE", "Nothing assigned to you here").await;

        // The bot is removed from the channel; an alert is refused there.
        app.slack.refuse_channel("CPAY", "not_in_channel");
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": "Held back", "firstSeen": now_iso(), "lastSeen": now_iso() }),
        );
        wait_until("the pause", Duration::from_secs(15), || {
            app.logs().contains("Slack refuses posts to the channel")
        })
        .await;
        open_home(&app, "U0ADMIN", &format!("Ev{mode:?}2")).await;
        let home = home_saying(&app, "U0ADMIN", "Paused channels").await;
        let said = text(&home);
        assert!(
            said.contains(":red_circle: the bot is not a member of <#CPAY>"),
            "{mode:?}: {said}"
        );
        assert!(
            said.contains(":large_green_circle: *acme* working"),
            "{said}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_assigned_issues_fit_with_a_count_and_a_link_for_the_rest() {
    for mode in [Mode::SentryIo, Mode::Compatible] {
        let app = acme_in(mode, Vec::new()).await;
        let issues: Vec<Value> = (0..200)
            .map(|n| json!({ "title": format!("Mine {n:03}"), "assignedTo": alice() }))
            .collect();
        app.sentry.add_issues("acme", "api", issues);
        open_home(&app, "U0ALICE", &format!("Ev{mode:?}200")).await;
        let home = home_saying(&app, "U0ALICE", "see them all in Sentry").await;
        let blocks = home["blocks"].as_array().unwrap();
        assert!(blocks.len() <= 100, "{mode:?}: {} blocks", blocks.len());
        let rows = list_rows(&home).len();
        assert!(rows >= 40, "{mode:?}: {rows} rows");
        let said = text(&home);
        match mode {
            // sentry.io counts every match.
            Mode::SentryIo => {
                assert!(said.contains("200 unresolved issues"), "{said}");
                assert!(said.contains(&format!("and {} more", 200 - rows)), "{said}");
            }
            // This server does not count: what was read, and more.
            Mode::Compatible => {
                assert!(said.contains("50+ unresolved issues"), "{said}");
            }
        }
        assert!(
            said.contains(
                "/organizations/acme/issues/?query=is%3Aunresolved%20assigned%3Aalice%40acme.test"
            ),
            "{said}"
        );
        // Drawing it searched a bounded number of times; opening it again
        // at once searches nothing more.
        let searches = || {
            app.sentry
                .requests()
                .iter()
                .filter(|r| {
                    r.query
                        .iter()
                        .any(|(k, v)| k == "query" && v.contains("assigned:"))
                })
                .count()
        };
        let drawn = searches();
        assert!((1..=10).contains(&drawn), "{mode:?}: {drawn} searches");
        open_home(&app, "U0ALICE", &format!("Ev{mode:?}201")).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(searches(), drawn, "{mode:?}");
    }
}
