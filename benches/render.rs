//! Rendering throughput: Sentry issues to Slack Block Kit JSON.
//!
//! `cargo bench --bench render` (criterion) times a typical 10-row page, the
//! worst case of 50 rows with maximal hostile titles, a 50-issue digest and
//! one channel alert (without and with its latest event) and a full daily
//! report, each rendered and serialized as it is sent to Slack; and the
//! report's chart, drawn and encoded as a PNG.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sentry_slack_bot::alerts::messages;
use sentry_slack_bot::issues::card::Controls;
use sentry_slack_bot::issues::list::{issue_page, IssuePage};
use sentry_slack_bot::reports::chart;
use sentry_slack_bot::reports::figures::{
    read_active, Count, Figures, Period, Step, Timeline, Triaged,
};
use sentry_slack_bot::reports::message::{report, Heading};
use sentry_slack_bot::reports::schedule::Cadence;
use sentry_slack_bot::sentry::models::{Event, Issue};
use sentry_slack_bot::slack::action::Rerun;
use sentry_slack_bot::slack::Message;
use serde_json::json;

/// The day the issues' hourly counts cover.
const DAY: Period = Period {
    step: Step::Hour,
    before: 1_764_288_000 - 86_400,
    start: 1_764_288_000,
    end: 1_764_288_000 + 86_400,
};

fn issue(i: usize, title: String) -> Issue {
    serde_json::from_value(json!({
        "id": (4_509_000_000u64 + i as u64).to_string(),
        "shortId": format!("API-{i:X}"),
        "title": title,
        "culprit": "app.handlers.checkout in process_payment",
        "permalink": format!("https://acme.sentry.io/issues/{}/", 4_509_000_000u64 + i as u64),
        "level": "error",
        "status": "unresolved",
        "count": "1234",
        "userCount": 56,
        "firstSeen": "2026-11-28T10:00:00Z",
        "lastSeen": "2026-11-29T03:00:00Z",
        "assignedTo": { "type": "user", "id": "7", "name": "Alice", "email": "alice@acme.test" },
        "project": { "id": "1001", "slug": "api", "name": "api" },
        // Lists carry 24 hourly buckets, which the card draws as a sparkline.
        "stats": { "24h": (0..24u64).map(|h| json!([1_764_288_000 + h * 3600, h * 3])).collect::<Vec<_>>() }
    }))
    .expect("issue")
}

/// A latest event as Sentry sends it: tags, and an exception whose
/// 30-frame stack trace ends in the program's own code.
fn latest_event(title: &str) -> Event {
    let frames: Vec<_> = (0..30)
        .map(|f| json!({ "filename": format!("app/layer{f}.py"), "function": format!("call{f}"), "lineNo": f + 1, "inApp": f % 3 == 0 }))
        .collect();
    serde_json::from_value(json!({
        "tags": [{ "key": "environment", "value": title }, { "key": "release", "value": "api@1.4.2" }],
        "entries": [{ "type": "exception", "data": { "values": [{
            "type": "RuntimeError", "value": title,
            "mechanism": { "handled": false },
            "stacktrace": { "frames": frames }
        }] } }]
    }))
    .expect("event")
}

/// Titles as crashing programs write them: long, with mentions and markup.
fn hostile_title(i: usize) -> String {
    let unit = format!("<!channel> <@U{i}> *bold* _it_ `code` &amp; <https://evil.test|click> ");
    unit.repeat(10_000 / unit.len() + 1)
}

/// The JSON sent to Slack: fallback text and blocks.
fn wire(message: &Message) -> String {
    serde_json::to_string(&json!({ "text": message.text, "blocks": message.blocks })).expect("json")
}

fn page(issues: &[Issue]) -> String {
    let rerun = Rerun {
        text: "issues acme/api level:error".into(),
        cursor: Some("1764374400000:10:0".into()),
        page: 2,
    };
    let message = issue_page(&IssuePage {
        org: "acme",
        project: "api",
        query: "is:unresolved level:error",
        issues,
        page: 1,
        next: Some(rerun.clone()),
        share: Some(rerun.clone()),
        this_page: Some(rerun),
        status_line: None,
        controls: Controls::ALL,
        expanded: None,
    });
    wire(&message)
}

fn rendering(c: &mut Criterion) {
    let typical: Vec<Issue> = (0..10)
        .map(|i| {
            issue(
                i,
                format!("TypeError: Cannot read properties of undefined (reading 'id{i}')"),
            )
        })
        .collect();
    let worst: Vec<Issue> = (0..50).map(|i| issue(i, hostile_title(i))).collect();
    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Elements(10));
    group.bench_function("issues page, 10 typical rows", |b| {
        b.iter(|| page(black_box(&typical)))
    });
    group.throughput(Throughput::Elements(50));
    group.bench_function("issues page, 50 rows of 10,000-char hostile titles", |b| {
        b.iter(|| page(black_box(&worst)))
    });
    group.bench_function("digest, 50 hostile issues", |b| {
        b.iter(|| {
            let message = messages::digest("acme", "api", black_box(&worst), 5);
            wire(&message)
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("new-issue alert, hostile title", |b| {
        b.iter(|| {
            let message = messages::new_issue("acme", black_box(&worst[0]), None, Controls::ALL);
            wire(&message)
        })
    });
    let event = latest_event(&worst[0].title);
    group.bench_function(
        "new-issue alert with its latest event (30 frames), hostile title and tags",
        |b| {
            b.iter(|| {
                let message =
                    messages::new_issue("acme", black_box(&worst[0]), Some(&event), Controls::ALL);
                wire(&message)
            })
        },
    );
    // A full daily report: 5 top issues, 3 unassigned, 3 escalating, the
    // oldest unassigned, 30 triage lines, all with hostile titles.
    let mut figures = Figures {
        new: Some(Count::Exactly(120)),
        new_before: Some(Count::Exactly(97)),
        resolved: Some(Count::AtLeast(100)),
        regressed: Some(Count::Exactly(4)),
        top: worst[..5].to_vec(),
        unassigned_new: (worst[5..8].to_vec(), Count::Exactly(31)),
        escalating: (worst[8..11].to_vec(), Count::Exactly(3)),
        oldest_unassigned: Some(worst[11].clone()),
        triaged: (0..30)
            .map(|i| Triaged {
                user: "U0ALICE".into(),
                verb: "resolved",
                issue: format!("API-{i:X}"),
            })
            .collect(),
        left_out: Vec::new(),
        ..Default::default()
    };
    let mut read = Figures::default();
    read_active(&mut read, &worst, false, DAY);
    (figures.period, figures.timeline, figures.events) = (read.period, read.timeline, read.events);
    let heading = Heading {
        org: "acme".into(),
        project: "api".into(),
        cadence: Cadence::Daily,
        end: chrono::DateTime::from_timestamp(DAY.end, 0).expect("time"),
        late_minutes: None,
    };
    group.bench_function("daily report, 12 hostile issues and 30 triage lines", |b| {
        b.iter(|| wire(&report(black_box(&heading), black_box(&figures), None)))
    });
    group.finish();

    // The report's chart, drawn and encoded as the PNG that is sent.
    let mut charts = c.benchmark_group("report chart");
    charts.throughput(Throughput::Elements(1));
    let hourly = figures.timeline.clone().expect("a day of hourly counts");
    assert_eq!(hourly.buckets.len(), 24);
    charts.bench_function("daily chart, 24 hourly bars, 1000×360 PNG", |b| {
        b.iter(|| {
            chart::draw(
                black_box(&hourly),
                "acme/api · events per hour (Europe/Berlin)",
                chrono_tz::Europe::Berlin,
            )
            .expect("drawn")
        })
    });
    let daily = Timeline {
        step: Step::Day,
        buckets: (0..7)
            .map(|d| (DAY.start - (6 - d) * 86_400, 1_000 + d as u64 * 731))
            .collect(),
    };
    charts.bench_function("weekly chart, 7 daily bars, 1000×360 PNG", |b| {
        b.iter(|| {
            chart::draw(
                black_box(&daily),
                "acme/api · events per day (UTC)",
                chrono_tz::UTC,
            )
            .expect("drawn")
        })
    });
    charts.finish();
}

criterion_group!(benches, rendering);
criterion_main!(benches);
