//! The store on real databases: an SQLite file and the local PostgreSQL server.

use sentry_slack_bot::config::Secret;
use sentry_slack_bot::store::{
    Activity, ActivityKind, AlertKind, AlertRow, AlertState, Backend, GrantRow, Lease,
    MentionPolicy, NotifySettings, NotifySwitch, Snapshot, Store, SubscriptionRow, ThreadPolicy,
};

fn activity(at_ms: i64, subject: &str) -> Activity {
    Activity {
        at_ms,
        team_id: "T0ACME".into(),
        user_id: "U0ALICE".into(),
        channel_id: "C0ALERTS".into(),
        kind: ActivityKind::Command,
        subject: subject.into(),
        outcome: "answered".into(),
    }
}

async fn exercise(store: &Store) {
    store.ping().await.unwrap();
    store.record_activity(&activity(1, "help")).await.unwrap();
    store.record_activity(&activity(3, "issues")).await.unwrap();
    store.record_activity(&activity(2, "orgs")).await.unwrap();
    let recent = store.recent_activity(2).await.unwrap();
    let subjects: Vec<&str> = recent.iter().map(|a| a.subject.as_str()).collect();
    assert_eq!(subjects, ["issues", "orgs"]);
    assert_eq!(recent[0], activity(3, "issues"));

    // People maps: one Slack user per Sentry identity and the other way
    // round; a new map of either side replaces the old one.
    store
        .map_person("U1", "Ann@Corp.example", "U0ADMIN")
        .await
        .unwrap();
    store.map_person("U2", "bo", "U0ADMIN").await.unwrap();
    store
        .map_person("U3", "ann@corp.example", "U0ADMIN")
        .await
        .unwrap();
    store.map_person("U2", "bo.lee", "U0ADMIN").await.unwrap();
    let maps: Vec<(String, String)> = store
        .people_maps()
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.sentry_identity, m.slack_user_id))
        .collect();
    assert_eq!(
        maps,
        [
            ("ann@corp.example".to_string(), "U3".to_string()),
            ("bo.lee".to_string(), "U2".to_string())
        ]
    );
    assert!(store.unmap_person("U2").await.unwrap());
    assert!(!store.unmap_person("U2").await.unwrap());
    assert_eq!(store.people_maps().await.unwrap().len(), 1);

    // Personal DMs: settings default to on; an assignment is a change once
    // however often it is observed, and becomes one again after a reassignment.
    assert_eq!(
        store.notify_settings("U1").await.unwrap(),
        NotifySettings::default()
    );
    let off = store
        .set_notify("U1", NotifySwitch::Regressions, false)
        .await
        .unwrap();
    assert_eq!((off.assigned, off.regressions), (true, false));
    assert_eq!(store.notify_settings("U1").await.unwrap(), off);
    for (assignee, changed) in [
        ("user:1", true),
        ("user:1", false),
        ("", true),
        ("user:1", true),
        ("team:5", true),
        ("team:5", false),
    ] {
        let seen = store
            .observe_assignee("acme", "42", assignee)
            .await
            .unwrap();
        assert_eq!(seen, changed, "{assignee}");
    }
    // Team maps, per org.
    store
        .map_team("acme", "Backend", "S0BACK1", "U0ADMIN")
        .await
        .unwrap();
    assert_eq!(
        store
            .team_group("acme", "backend")
            .await
            .unwrap()
            .as_deref(),
        Some("S0BACK1")
    );
    assert_eq!(store.team_group("other", "backend").await.unwrap(), None);
    assert_eq!(
        store.team_groups("acme").await.unwrap(),
        [("backend".to_string(), "S0BACK1".to_string())]
    );
    assert!(store.team_groups("other").await.unwrap().is_empty());
    assert!(store.unmap_team("acme", "backend").await.unwrap());
    assert!(!store.unmap_team("acme", "backend").await.unwrap());

    // Requests hand rows to the activity log's writer; 250 rows take three
    // multi-row INSERTs, and closing writes every row queued before it.
    let log = sentry_slack_bot::activity_log::ActivityLog::start(store.clone());
    for n in 0..250 {
        log.record(activity(1_000 + n, &format!("batch {n}")));
    }
    log.close().await;
    log.record(activity(5_000, "after close"));
    let recent = store.recent_activity(1_000).await.unwrap();
    assert_eq!(
        recent.len(),
        253,
        "the three rows above and the 250 batched"
    );
    assert_eq!(recent[0], activity(1_249, "batch 249"));
    assert_eq!(recent[249], activity(1_000, "batch 0"));
    assert!(!recent.iter().any(|a| a.subject == "after close"));

    // Grants: one row per org, replaced in one statement.
    let mut grant = GrantRow {
        org_slug: "acme".into(),
        grant_id: "g1".into(),
        sealed_secret: "plain:s1".into(),
        api: "v1".into(),
        scopes: "org:read event:write".into(),
        health: "ok".into(),
        linked_by: "U0ADMIN".into(),
        linked_at_ms: 10,
    };
    store.put_grant(&grant).await.unwrap();
    grant.grant_id = "g2".into();
    store.put_grant(&grant).await.unwrap();
    assert_eq!(store.grants().await.unwrap(), [grant.clone()]);
    assert!(store
        .set_grant_health("acme", "needs_relink")
        .await
        .unwrap());
    assert_eq!(
        store.grant("acme").await.unwrap().unwrap().health,
        "needs_relink"
    );
    assert!(!store.set_grant_health("nope", "ok").await.unwrap());
    assert!(store.delete_grant("acme").await.unwrap());
    assert!(!store.delete_grant("acme").await.unwrap());
    assert_eq!(store.grant("acme").await.unwrap(), None);

    // Subscriptions and the outbox: an alert is recorded once.
    let sub = SubscriptionRow {
        id: "sub_1".into(),
        team_id: "T0ACME".into(),
        channel_id: "C1".into(),
        org_slug: "acme".into(),
        project_slug: "api".into(),
        project_id: "1001".into(),
        query: "is:unresolved".into(),
        regressions: true,
        digest: 5,
        threads: ThreadPolicy::Thread,
        created_by: "U0ALICE".into(),
        created_at_ms: 1,
        relink_notified: false,
        baseline_complete: true,
        mention: MentionPolicy::Assignee,
    };
    let (stored, updated) = store.put_subscription(&sub).await.unwrap();
    assert!(!updated);
    let changed = SubscriptionRow {
        id: "sub_other".into(),
        query: "level:error".into(),
        ..sub.clone()
    };
    let (stored_again, updated) = store.put_subscription(&changed).await.unwrap();
    assert!(updated);
    assert_eq!(
        stored_again.id, stored.id,
        "one subscription per channel and project"
    );
    let alert = AlertRow {
        subscription_id: stored.id.clone(),
        issue_id: "42".into(),
        kind: AlertKind::New,
        dedup_key: String::new(),
        channel_id: "C1".into(),
        org_slug: "acme".into(),
        payload: "{}".into(),
        state: AlertState::Pending,
        thread_ts: None,
        ts: None,
        status_snapshot: Snapshot::new("unresolved", ""),
        attempts: 0,
        created_at_ms: 5,
        posted_at_ms: None,
    };
    let seen = [("42".to_string(), "unresolved".to_string())];
    assert_eq!(
        store
            .record_tick(&stored.id, &seen, std::slice::from_ref(&alert))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .record_tick(&stored.id, &seen, std::slice::from_ref(&alert))
            .await
            .unwrap(),
        0
    );
    let seen_now = store
        .seen_of(&[stored.id.as_str(), "other-sub"], &["42", "43"])
        .await
        .unwrap();
    assert_eq!(seen_now[&stored.id]["42"], "unresolved");
    assert_eq!(seen_now[&stored.id].len(), 1, "43 was never seen");
    assert!(!seen_now.contains_key("other-sub"));
    assert!(store
        .seen_of(&[stored.id.as_str()], &["7"])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.pending_alerts(10).await.unwrap().len(), 1);
    // Only one replica can claim a pending alert.
    let first = store
        .claim_alert(&alert, "replica-a", 60_000)
        .await
        .unwrap()
        .expect("replica-a claims it");
    assert!(store
        .claim_alert(&alert, "replica-b", 60_000)
        .await
        .unwrap()
        .is_none());
    let renewed = store
        .claim_alert(&alert, "replica-a", 60_000)
        .await
        .unwrap();
    assert!(renewed.is_some(), "the holder may renew");
    let renewed = renewed.unwrap();
    // Claims are fenced: the superseded claim can neither extend nor release.
    assert!(!store.extend_claim(&alert, &first, 60_000).await.unwrap());
    store.release_alert(&alert, &first).await.unwrap();
    assert!(store
        .claim_alert(&alert, "replica-b", 60_000)
        .await
        .unwrap()
        .is_none());
    assert!(store.extend_claim(&alert, &renewed, 60_000).await.unwrap());
    store.release_alert(&alert, &renewed).await.unwrap();
    let taken = store
        .claim_alert(&alert, "replica-b", 60_000)
        .await
        .unwrap()
        .expect("released: anyone may claim");
    // A replica whose claim was taken over cannot mark the alert.
    assert!(!store
        .mark_posted(&alert, &renewed, "1700000000.000099")
        .await
        .unwrap());
    assert!(store
        .mark_posted(&alert, &taken, "1700000000.000100")
        .await
        .unwrap());
    assert!(
        store
            .claim_alert(&alert, "replica-a", 60_000)
            .await
            .unwrap()
            .is_none(),
        "posted alerts stay posted"
    );

    // Leases: one holder until it expires.
    assert_eq!(
        store.try_lease("g", "replica-a", 60_000).await.unwrap(),
        Lease::Acquired { from: None }
    );
    assert_eq!(
        store.try_lease("g", "replica-b", 60_000).await.unwrap(),
        Lease::HeldElsewhere
    );
    assert_eq!(
        store.try_lease("g", "replica-a", 60_000).await.unwrap(),
        Lease::Renewed
    );
    assert_eq!(
        store.try_lease("h", "replica-b", -1).await.unwrap(),
        Lease::Acquired { from: None }
    );
    assert_eq!(
        store.try_lease("h", "replica-a", 60_000).await.unwrap(),
        Lease::Acquired {
            from: Some("replica-b".into())
        },
        "an expired lease is taken over"
    );
    // A webhook's Request-ID is acted on once, unless given back.
    assert!(store.claim_webhook("req-1", "acme").await.unwrap());
    assert!(!store.claim_webhook("req-1", "acme").await.unwrap());
    store.release_webhook("req-1").await.unwrap();
    assert!(store.claim_webhook("req-1", "acme").await.unwrap());
    assert_eq!(store.webhook_secret("acme").await.unwrap(), None);
    store.webhook_arrived("acme").await.unwrap();
    store
        .put_webhook_secret("acme", "sealed", "U1")
        .await
        .unwrap();
    assert_eq!(
        store.webhook_secret("acme").await.unwrap().as_deref(),
        Some("sealed")
    );
    assert!(store.webhook_arrivals().await.unwrap().contains_key("acme"));
    // Batch renewal touches only the holder's own leases.
    let keys: Vec<String> = ["g", "h", "never-taken"].map(String::from).to_vec();
    let renewed = store
        .renew_leases(&keys, "replica-a", 60_000)
        .await
        .unwrap();
    assert_eq!(
        renewed,
        ["g", "h"].map(String::from).into_iter().collect(),
        "replica-a renews what it holds and nothing else"
    );
    assert!(store
        .renew_leases(&keys, "replica-b", 60_000)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.try_lease("g", "replica-b", 60_000).await.unwrap(),
        Lease::HeldElsewhere,
        "a renewed lease still keeps others out"
    );
    assert!(store.pending_alerts(10).await.unwrap().is_empty());
    assert_eq!(
        store
            .alert_ts(&stored.id, "42", &AlertKind::New)
            .await
            .unwrap()
            .as_deref(),
        Some("1700000000.000100")
    );
    assert_eq!(
        store.channel_subscriptions("C1").await.unwrap()[0].query,
        "level:error"
    );
    assert!(store
        .delete_subscription("C1", "acme", "api")
        .await
        .unwrap());
    assert!(store.subscriptions().await.unwrap().is_empty());
    assert!(store.alerts_for(&stored.id).await.unwrap().is_empty());

    // Report charts: served by token until they expire, then pruned.
    let png = b"\x89PNG\r\n\x1a\n and the rest".to_vec();
    store.put_chart("t-old", &png, 1_000, 500).await.unwrap();
    store.put_chart("t-new", &png, 9_000, 800).await.unwrap();
    assert_eq!(store.chart("t-old", 999).await.unwrap(), Some(png.clone()));
    assert_eq!(store.chart("t-old", 1_000).await.unwrap(), None, "expired");
    assert_eq!(store.chart("t-unknown", 0).await.unwrap(), None);
    // The next chart kept prunes the expired one, whatever the clock reads.
    store.put_chart("t-next", &png, 9_000, 2_000).await.unwrap();
    assert_eq!(store.chart("t-old", 0).await.unwrap(), None, "pruned");
    assert_eq!(store.chart("t-new", 2_000).await.unwrap(), Some(png));
}

#[tokio::test]
async fn sqlite_file_is_created_in_wal_mode_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-name.db");
    let url = Secret::new(format!("sqlite://{}", path.display()));
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.exists());
    exercise(&store).await;
    store.close().await;

    // Reopening applies nothing twice and keeps the rows.
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.recent_activity(1_000).await.unwrap().len(), 253);
    store.close().await;

    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path);
    let mut conn = sqlx::ConnectOptions::connect(&options).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn postgres_runs_the_same_migrations() {
    let Some(mut schema) = crate::support::postgres::fresh_schema("t").await else {
        return;
    };
    let url = schema.url.clone();
    let store = Store::open(&Secret::new(url.clone())).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    exercise(&store).await;
    store.close().await;
    let store = Store::open(&Secret::new(url)).await.unwrap();
    assert_eq!(store.recent_activity(1_000).await.unwrap().len(), 253);
    store.close().await;

    let tables = schema.tables().await;
    assert_eq!(
        tables,
        [
            "_sqlx_migrations",
            "activity",
            "alerts",
            "channel_pauses",
            "grants",
            "issue_assignees",
            "issue_mutes",
            "notify_settings",
            "people_maps",
            "poll_leases",
            "report_charts",
            "reports",
            "seen_issues",
            "subscription_hush",
            "subscriptions",
            "team_groups",
            "webhook_orgs",
            "webhook_requests"
        ]
    );
    schema.drop().await;
}

/// Rows written before alert kinds were typed (`regressed:<lastSeen>`,
/// `digest:<first>`, `notice:relink:<ms>`) are split into kind and dedup key
/// by the migration, on SQLite and PostgreSQL.
async fn old_alert_kinds_are_split_by_the_migration(url: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let mut before_typed_kinds = sqlx::migrate!("src/store/migrations");
    before_typed_kinds.migrations = before_typed_kinds
        .migrations
        .iter()
        .filter(|m| m.version < 5)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before_typed_kinds.run(&pool).await.unwrap();
    for (kind, state) in [
        ("new", "posted"),
        ("regressed:2026-11-29T10:00:00Z", "pending"),
        ("digest:42", "posted"),
        ("notice:relink:1764374400000", "pending"),
    ] {
        sqlx::query(
            "INSERT INTO alerts (subscription_id, issue_id, kind, channel_id, org_slug, payload, state, \
             status_snapshot, created_at_ms) VALUES ('sub_1', '42', $1, 'C1', 'acme', '{}', $2, '', 1)",
        )
        .bind(kind)
        .bind(state)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let store = Store::open(&Secret::new(url.to_string())).await.unwrap();
    let mut rows: Vec<(String, String, String)> = store
        .alerts_for("sub_1")
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.kind.to_string(), a.dedup_key, a.state.to_string()))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("digest".into(), "42".into(), "posted".into()),
            ("new".into(), String::new(), "posted".into()),
            (
                "notice".into(),
                "relink:1764374400000".into(),
                "pending".into()
            ),
            (
                "regressed".into(),
                "2026-11-29T10:00:00Z".into(),
                "pending".into()
            ),
        ]
    );
    store.close().await;
}

#[tokio::test]
async fn old_alert_kinds_are_split_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    old_alert_kinds_are_split_by_the_migration(&url).await;
}

#[tokio::test]
async fn old_alert_kinds_are_split_on_postgres() {
    let Some(schema) = crate::support::postgres::fresh_schema("migrate").await else {
        return;
    };
    old_alert_kinds_are_split_by_the_migration(&schema.url).await;
    schema.drop().await;
}
