//! Alerts reach people: an assignee whose email belongs to a Slack user is
//! mentioned; one whose emails differ is named until an admin maps them;
//! `/sentry people` shows who is matched how.

use std::time::Duration;

use crate::support::alerts::{acme_with, alerts_about, now_iso, subscribe, wait_until};
use crate::support::app::TestApp;
use crate::support::fake_slack::user_with_email;
use crate::support::message_text as text;
use serde_json::json;

/// A new issue in `acme/api` assigned to Sentry user `user_id`, seen now.
fn assigned_issue(app: &TestApp, title: &str, user_id: &str, name: &str) -> String {
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": title, "firstSeen": now_iso(), "lastSeen": now_iso(),
                "assignedTo": { "type": "user", "id": user_id, "name": name } }),
    )
}

async fn answer_as(app: &TestApp, user: &str, command: &str) -> String {
    let (_, rid) = app.command_as(user, command).await;
    text(&app.slack.wait_for_responses(&rid, 1).await[0])
}

async fn alert_text(app: &TestApp, title: &str) -> String {
    wait_until(title, Duration::from_secs(15), || {
        alerts_about(app, "C1", title).len() == 1
    })
    .await;
    text(&alerts_about(app, "C1", title)[0])
}

/// Ann has the same email in Slack and Sentry; Bo's differ. Only members
/// of the org may act (the service's default policy).
async fn acme_with_people() -> TestApp {
    let app = acme_with(vec![("ACTION_POLICY", "members".into())]).await;
    app.slack
        .add_user(user_with_email("U0ANN1", "ann", "ann@acme.test"));
    app.slack
        .add_user(user_with_email("U0BOB1", "bob", "bob@home.example"));
    app.sentry
        .add_member("acme", "100001", "Alice Liddell", "alice@acme.test");
    app.sentry
        .add_member("acme", "200001", "Ann Lee", "ann@acme.test");
    app.sentry
        .add_member("acme", "200002", "Bo Sentry", "bo@acme.test");
    let answer = subscribe(&app, "C1", "api").await;
    assert!(answer.contains("Subscribed"), "{answer}");
    app
}

#[tokio::test]
async fn an_alert_mentions_an_assignee_matched_by_email_and_names_one_who_is_not() {
    let app = acme_with_people().await;
    // A channel that asked for names only.
    let quiet = subscribe(&app, "C2", "api --mention none").await;
    assert!(quiet.contains("assignees named, not mentioned"), "{quiet}");
    assigned_issue(&app, "Ann's crash", "200001", "Ann Lee");
    assigned_issue(&app, "Ann's other crash", "200001", "Ann Lee");
    assigned_issue(&app, "Bo's crash", "200002", "Bo Sentry");

    let ann = alert_text(&app, "Ann's crash").await;
    assert!(ann.contains("assigned to <@U0ANN1>"), "{ann}");
    let again = alert_text(&app, "Ann's other crash").await;
    assert!(again.contains("assigned to <@U0ANN1>"), "{again}");
    let bo = alert_text(&app, "Bo's crash").await;
    assert!(bo.contains("assigned to Bo Sentry"), "{bo}");
    assert!(!bo.contains("<@"), "no broken mention: {bo}");
    wait_until("the names-only alert", Duration::from_secs(15), || {
        alerts_about(&app, "C2", "Ann's crash").len() == 1
    })
    .await;
    let named = text(&alerts_about(&app, "C2", "Ann's crash")[0]);
    assert!(named.contains("assigned to Ann Lee"), "{named}");
    assert!(!named.contains("<@U0ANN1>"), "{named}");
    // Assigned in Sentry after its alert: the redraw and the thread reply
    // mention Ann.
    let later = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Later crash", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    alert_text(&app, "Later crash").await;
    app.sentry.update_issue(
        &later,
        json!({ "assignedTo": { "type": "user", "id": "200001", "name": "Ann Lee" } }),
    );
    wait_until("the redraw and its reply", Duration::from_secs(15), || {
        let redrawn =
            app.slack.messages_in("C1").iter().any(|m| {
                text(m).contains("Later crash") && text(m).contains("assigned to <@U0ANN1>")
            });
        let replied = app
            .slack
            .posts_in("C1")
            .iter()
            .any(|p| text(p).contains("Assigned") && text(p).contains("(<@U0ANN1>)"));
        redrawn && replied
    })
    .await;

    // One Slack lookup per email, however many alerts name the person
    // (two alerts in C1 mention Ann).
    let lookups = app
        .slack
        .calls()
        .iter()
        .filter(|c| c.method == "users.lookupByEmail" && c.body["email"] == "ann@acme.test")
        .count();
    assert_eq!(lookups, 1);
}

#[tokio::test]
async fn an_admins_map_makes_the_next_mention_work_and_people_shows_every_match() {
    let app = acme_with_people().await;

    // Only admins map; nothing is stored for anyone else.
    let refused = answer_as(&app, "U0ALICE", "people map @bob bo@acme.test").await;
    assert!(
        refused.contains(":lock: Only Slack workspace admins and owners can map people"),
        "{refused}"
    );
    let done = answer_as(&app, "U0ADMIN", "people map @bob bo@acme.test").await;
    assert!(
        done.contains("<@U0BOB1> is *bo@acme.test* in Sentry now"),
        "{done}"
    );
    assert!(!done.contains("No member"), "{done}");

    assigned_issue(&app, "Bo's second crash", "200002", "Bo Sentry");
    let bo = alert_text(&app, "Bo's second crash").await;
    assert!(bo.contains("assigned to <@U0BOB1>"), "{bo}");

    // Eve is in Slack but not in the Sentry org.
    app.slack
        .add_user(user_with_email("U0EVE1", "eve", "eve@elsewhere.test"));
    // Each step in order: who runs what, and what the answer must say.
    let steps = [
        // Names and emails are for people who may act in the org.
        ("U0EVE1", "people", "is not a member of *acme*"),
        (
            "U0ALICE",
            "people",
            "*Ann Lee* (ann@acme.test) — <@U0ANN1> by email",
        ),
        (
            "U0ALICE",
            "people",
            "*Bo Sentry* (bo@acme.test) — <@U0BOB1>, mapped",
        ),
        (
            "U0ALICE",
            "people",
            "3 members: 2 matched by email, 1 mapped, 0 not found in Slack",
        ),
        // Unmapping puts Bo back to plain text.
        (
            "U0ADMIN",
            "people unmap <@U0BOB1|bob>",
            "<@U0BOB1> is no longer mapped",
        ),
        ("U0ADMIN", "people unmap <@U0BOB1|bob>", "had no map"),
        (
            "U0ALICE",
            "people acme",
            ":grey_question: *Bo Sentry* (bo@acme.test) — not found in Slack",
        ),
        // A map of someone Sentry does not know is kept, and says so.
        (
            "U0ADMIN",
            "people map U0BOB1 new.hire@acme.test",
            "No member of a linked org has that email",
        ),
        (
            "U0ADMIN",
            "people map @nobody x@acme.test",
            "No one in this workspace is @nobody",
        ),
    ];
    for (user, command, expected) in steps {
        let answer = answer_as(&app, user, command).await;
        assert!(answer.contains(expected), "{user} {command}: {answer}");
        if user == "U0EVE1" {
            assert!(!answer.contains("ann@acme.test"), "{answer}");
        }
    }
    // A malformed command is answered at once with usage help.
    let (response, _) = app.command_as("U0ADMIN", "people map @bob").await;
    let usage = text(&response.json().await.unwrap());
    assert!(usage.contains("the Sentry email or username"), "{usage}");
}

both_modes!(
    a_team_channel_is_told_when_an_existing_issue_is_assigned_to_the_team,
    team_channel_routing
);
async fn team_channel_routing(mode: crate::support::fake_sentry::Mode) {
    let app = crate::support::alerts::acme_in(mode, Vec::new()).await;
    app.sentry.add_team("acme", "backend");
    let team = json!({ "type": "team", "id": "500", "name": "backend" });
    let issue = |title: &str, assigned: Option<&serde_json::Value>| {
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": title, "firstSeen": "2026-01-05T10:00:00Z", "lastSeen": now_iso(),
                    "assignedTo": assigned }),
        )
    };
    // Already the team's when the channel subscribes: the baseline.
    issue("Old team crash", Some(&team));
    let later = issue("Old crash, routed later", None);
    let answer = subscribe(&app, "C7", "api assigned:#backend").await;
    assert!(answer.contains("Subscribed"), "{answer}");
    app.sentry
        .update_issue(&later, json!({ "assignedTo": team.clone() }));
    wait_until("the routed alert", Duration::from_secs(15), || {
        alerts_about(&app, "C7", "Old crash, routed later").len() == 1
    })
    .await;
    let routed = text(&alerts_about(&app, "C7", "Old crash, routed later")[0]);
    assert!(routed.contains("*Assigned to #backend*"), "{routed}");
    assert!(!routed.contains("*New*"), "{routed}");
    // A few polls later: posted once, and the baseline never.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(alerts_about(&app, "C7", "Old crash, routed later").len(), 1);
    assert!(alerts_about(&app, "C7", "Old team crash").is_empty());
    if mode == crate::support::fake_sentry::Mode::Compatible {
        // This server shows no assignees: there is no team to mention.
        return;
    }
    assert!(
        routed.contains("assigned to #backend"),
        "named until mapped: {routed}"
    );

    // An admin maps the team to a user group: the next alert mentions it.
    app.slack.add_user_group("S0BACK1", "backend-oncall");
    let refused = answer_as(&app, "U0ALICE", "people team backend @backend-oncall").await;
    assert!(refused.contains(":lock:"), "{refused}");
    let mapped = answer_as(&app, "U0ADMIN", "people team acme/backend @backend-oncall").await;
    assert!(
        mapped.contains("now mention <!subteam^S0BACK1>"),
        "{mapped}"
    );
    let next = issue("Next old crash", None);
    app.sentry
        .update_issue(&next, json!({ "assignedTo": team.clone() }));
    wait_until("the mention", Duration::from_secs(15), || {
        alerts_about(&app, "C7", "Next old crash").len() == 1
    })
    .await;
    let mentioned = text(&alerts_about(&app, "C7", "Next old crash")[0]);
    assert!(
        mentioned.contains("assigned to <!subteam^S0BACK1>"),
        "{mentioned}"
    );
    let listed = answer_as(&app, "U0ADMIN", "people").await;
    assert!(
        listed.contains("#backend → <!subteam^S0BACK1>"),
        "people lists team maps: {listed}"
    );
    let off = answer_as(&app, "U0ADMIN", "people team backend off").await;
    assert!(off.contains("name the team again"), "{off}");
    let unknown = answer_as(&app, "U0ADMIN", "people team backend @nobody").await;
    assert!(
        unknown.contains("No user group here is @nobody"),
        "{unknown}"
    );
}

both_modes!(
    mention_owners_mentions_the_suggested_owner_of_an_unassigned_issue,
    suggested_owner_mentions
);
async fn suggested_owner_mentions(mode: crate::support::fake_sentry::Mode) {
    let app = crate::support::alerts::acme_in(mode, Vec::new()).await;
    app.slack
        .add_user(user_with_email("U0ANN1", "ann", "ann@acme.test"));
    app.sentry
        .add_member("acme", "200001", "Ann Lee", "ann@acme.test");
    app.sentry
        .add_member("acme", "200002", "Bo Sentry", "bo@acme.test");
    app.sentry.add_team("acme", "backend");
    app.slack.add_user_group("S0BACK1", "backend-oncall");
    let mapped = answer_as(&app, "U0ADMIN", "people team backend @backend-oncall").await;
    assert!(mapped.contains("<!subteam^S0BACK1>"), "{mapped}");
    let owners = subscribe(&app, "C3", "api --mention owners").await;
    assert!(
        owners.contains("mentions the assignee, else the suggested owner"),
        "{owners}"
    );
    let plain = subscribe(&app, "C4", "api").await;
    assert!(plain.contains("Subscribed"), "{plain}");

    let owned = |title: &str, owner: &str, assigned: serde_json::Value| {
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": title, "firstSeen": now_iso(), "lastSeen": now_iso(),
                    "assignedTo": assigned,
                    "owners": [{ "type": "ownershipRule", "owner": owner,
                                 "date_added": now_iso() }] }),
        )
    };
    owned("Ann's rule", "user:200001", serde_json::Value::Null);
    owned("The team's rule", "team:500", serde_json::Value::Null);
    owned("Bo's rule", "user:200002", serde_json::Value::Null);
    owned("Nobody's rule", "user:999999", serde_json::Value::Null);
    owned(
        "Assigned anyway",
        "user:200001",
        json!({ "type": "user", "id": "200002", "name": "Bo Sentry" }),
    );
    let titles = [
        "Ann's rule",
        "The team's rule",
        "Bo's rule",
        "Nobody's rule",
        "Assigned anyway",
    ];
    wait_until(
        "every alert in both channels",
        Duration::from_secs(20),
        || {
            titles.iter().all(|t| {
                alerts_about(&app, "C3", t).len() == 1 && alerts_about(&app, "C4", t).len() == 1
            })
        },
    )
    .await;
    let in_channel = |channel: &str, title: &str| text(&alerts_about(&app, channel, title)[0]);
    // The default policy never suggests anyone.
    for title in titles {
        assert!(
            !in_channel("C4", title).contains("suggested for"),
            "{}",
            in_channel("C4", title)
        );
    }
    // Nobody is suggested who cannot be named, and an assignee comes first.
    assert!(!in_channel("C3", "Nobody's rule").contains("suggested for"));
    assert!(!in_channel("C3", "Assigned anyway").contains("suggested for"));
    if mode == crate::support::fake_sentry::Mode::Compatible {
        // This server sends neither owners nor assignees: nobody to mention,
        // and the alerts still go out.
        for title in titles {
            let alert = in_channel("C3", title);
            assert!(!alert.contains("suggested for"), "{alert}");
            assert!(!alert.contains("<@"), "{alert}");
        }
        return;
    }
    let ann = in_channel("C3", "Ann's rule");
    assert!(ann.contains("suggested for <@U0ANN1>"), "{ann}");
    let team = in_channel("C3", "The team's rule");
    assert!(team.contains("suggested for <!subteam^S0BACK1>"), "{team}");
    // Bo is in Sentry but not found in Slack: named, never a broken mention.
    let bo = in_channel("C3", "Bo's rule");
    assert!(bo.contains("suggested for Bo Sentry"), "{bo}");
    assert!(!bo.contains("<@"), "{bo}");
    let assigned = in_channel("C3", "Assigned anyway");
    assert!(assigned.contains("assigned to Bo Sentry"), "{assigned}");
}
