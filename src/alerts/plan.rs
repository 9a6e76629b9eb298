//! Polling one group: list its issues once, diff the page against what
//! each subscription has seen, and write the planned alerts to the outbox
//! in the same transaction as what was seen.

use std::collections::HashMap;

use crate::alerts::alert::{Alert, Digest};
use crate::alerts::context::Context;
use crate::alerts::diff::{diff, for_assignees, Planned};
use crate::alerts::group::Group;
use crate::alerts::messages::{self, Beyond};
use crate::alerts::page_prints;
use crate::alerts::personal;
use crate::alerts::schedule::{still_ours, take_turn, Renewed, Turn};
use crate::orgs::grants::GrantError;
use crate::sentry::client::MAX_PAGE;
use crate::sentry::models::Issue;
use crate::sentry::IssueQuery;
use crate::store::{now_ms, AlertRow, AlertState, Snapshot, SubscriptionRow};

/// A planned alert as an outbox row.
pub(crate) fn outbox_row(
    sub: &SubscriptionRow,
    issue_id: &str,
    alert: &Alert,
    snapshot: Snapshot,
) -> AlertRow {
    let dedup_key = match alert {
        Alert::New { .. } | Alert::Routed { .. } => String::new(),
        Alert::Regressed { issue, .. } => issue
            .last_seen
            .clone()
            .unwrap_or_else(|| now_ms().to_string()),
        // One escalation alert per issue and UTC day: Sentry may mark an
        // issue escalating again and again while its spike lasts.
        Alert::Escalated { .. } => format!("escalated:{}", now_ms() / 86_400_000),
        Alert::Digest(_) => issue_id.to_string(),
        Alert::RelinkNotice { .. } => format!("relink:{}", now_ms()),
    };
    AlertRow {
        subscription_id: sub.id.clone(),
        issue_id: issue_id.to_string(),
        kind: alert.kind(),
        dedup_key,
        channel_id: sub.channel_id.clone(),
        org_slug: sub.org_slug.clone(),
        payload: alert.payload(),
        state: AlertState::Pending,
        thread_ts: None,
        ts: None,
        status_snapshot: snapshot,
        attempts: 0,
        created_at_ms: now_ms(),
        posted_at_ms: None,
    }
}

/// Pages a poll reads at most per group: a burst larger than this is
/// posted as a digest that counts what lies past it.
pub(crate) const MAX_POLL_PAGES: usize = crate::orgs::issue_service::MAX_PAGES_PER_READ;

/// The outbox rows for what a diff planned. When the poll stopped at
/// [`MAX_POLL_PAGES`] with more to read (`beyond`), every new issue goes
/// into one digest that also counts the rest, so none is dropped silently.
/// Pure but for the clock.
pub(crate) fn planned_rows(
    sub: &SubscriptionRow,
    planned: Vec<Planned>,
    beyond: Beyond,
) -> Vec<AlertRow> {
    let planned = if beyond == Beyond::Nothing {
        planned
    } else {
        into_one_digest(planned)
    };
    planned
        .into_iter()
        .map(|p| match p {
            Planned::New(issue) => {
                let snapshot = messages::snapshot(&issue);
                let id = issue.id.clone();
                outbox_row(sub, &id, &Alert::New { issue }, snapshot)
            }
            Planned::Routed(issue) => {
                let snapshot = messages::snapshot(&issue);
                let id = issue.id.clone();
                let route = crate::sentry::search::route(&sub.query);
                let label = messages::routed_label(route.as_ref(), &issue);
                outbox_row(sub, &id, &Alert::Routed { issue, label }, snapshot)
            }
            Planned::Regressed(issue) => {
                let snapshot = messages::snapshot(&issue);
                let id = issue.id.clone();
                let alert = Alert::Regressed {
                    issue,
                    threads: sub.threads.threads(),
                };
                outbox_row(sub, &id, &alert, snapshot)
            }
            Planned::Escalated(issue) => {
                let snapshot = messages::snapshot(&issue);
                let id = issue.id.clone();
                let alert = Alert::Escalated {
                    issue,
                    threads: sub.threads.threads(),
                };
                outbox_row(sub, &id, &alert, snapshot)
            }
            Planned::Digest(issues) => {
                let first = issues.first().map(|i| i.id.clone()).unwrap_or_default();
                let total = issues.len();
                let shown: Vec<Issue> = issues.into_iter().take(messages::DIGEST_ROWS).collect();
                let alert = Alert::Digest(Digest {
                    issues: shown,
                    total,
                    project: sub.project_slug.clone(),
                    limit: sub.digest,
                    beyond,
                    held: None,
                });
                outbox_row(sub, &first, &alert, Snapshot::default())
            }
        })
        .collect()
}

/// New issues gathered into one digest; regressions stay on their own.
fn into_one_digest(planned: Vec<Planned>) -> Vec<Planned> {
    let mut new = Vec::new();
    let mut rest = Vec::new();
    for p in planned {
        match p {
            Planned::New(issue) => new.push(issue),
            Planned::Digest(issues) => new.extend(issues),
            other @ (Planned::Regressed(_) | Planned::Escalated(_) | Planned::Routed(_)) => {
                rest.push(other)
            }
        }
    }
    if !new.is_empty() {
        rest.push(Planned::Digest(new));
    }
    rest
}

/// One group's issues as far as this poll read them.
struct Listing {
    items: Vec<Issue>,
    /// What each subscription has seen of `items`.
    seen: HashMap<String, HashMap<String, String>>,
    beyond: Beyond,
    /// The first page's [`page_prints::print`], when it was the only page read.
    one_page_print: Option<u64>,
    /// The page is as it was at the last complete poll: nothing to diff.
    quiet: bool,
}

/// Reads the group's pages, newest activity first, while a page still
/// holds an issue some subscription has not seen, up to [`MAX_POLL_PAGES`].
/// A steady tick reads one page.
async fn read_pages(
    ctx: &Context,
    group: &Group,
    key: &str,
    turn: Turn,
    renewed: &Renewed,
) -> Result<Option<Listing>, GrantError> {
    let sub_ids: Vec<&str> = group.subs.iter().map(|s| s.id.as_str()).collect();
    let mut listing = Listing {
        items: Vec::new(),
        seen: HashMap::new(),
        beyond: Beyond::Nothing,
        one_page_print: None,
        quiet: false,
    };
    let mut cursor = None;
    for page_number in 1..=MAX_POLL_PAGES {
        let request = IssueQuery::by_activity(
            &group.project_slug,
            &group.project_id,
            &group.query,
            MAX_PAGE,
            cursor.take(),
        );
        let page = ctx.issues.list(&group.org, &request).await?;
        if page_number == 1 {
            let print = page_prints::print(group, &page.items);
            listing.one_page_print = Some(print);
            let arrival = renewed.webhook_arrival(&group.org);
            if turn == Turn::Continued && ctx.state.page_prints.unchanged(key, print, arrival) {
                listing.items = page.items;
                listing.quiet = true;
                return Ok(Some(listing));
            }
        } else {
            listing.one_page_print = None;
        }
        let issue_ids: Vec<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
        let seen = match ctx.store.seen_of(&sub_ids, &issue_ids).await {
            Ok(seen) => seen,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read what the subscriptions have seen");
                return Ok(None);
            }
        };
        let unseen_here = group.subs.iter().any(|sub| {
            let known = seen.get(&sub.id);
            page.items
                .iter()
                .any(|i| known.is_none_or(|k| !k.contains_key(&i.id)))
        });
        let read = listing.items.len() + page.items.len();
        listing.items.extend(page.items);
        for (sub, issues) in seen {
            listing.seen.entry(sub).or_default().extend(issues);
        }
        match page.next_cursor {
            Some(next) if unseen_here && page_number < MAX_POLL_PAGES => cursor = Some(next),
            Some(_) if unseen_here => {
                listing.beyond = match page.total {
                    Some(total) if total > read as u64 => Beyond::Count(total - read as u64),
                    _ => Beyond::Unknown,
                };
                tracing::warn!(org = %group.org, project = %group.project_slug, read, beyond = ?listing.beyond, "more new issues than one poll reads; the digest counts the rest");
            }
            _ => {}
        }
        if cursor.is_none() {
            break;
        }
    }
    Ok(Some(listing))
}

/// What a poll of one group listed, for status sync.
#[derive(Debug)]
pub(crate) struct Polled {
    /// The issues listed.
    pub items: Vec<Issue>,
    /// The page is as it was at the group's last complete poll and sync.
    pub quiet: bool,
}

/// Polls `group` when it is this replica's turn; returns what it listed,
/// or `None` when the group was not polled.
pub(crate) async fn poll_group(ctx: &Context, group: &Group, renewed: &Renewed) -> Option<Polled> {
    let turn = take_turn(ctx, group, renewed).await?;
    let started = tokio::time::Instant::now();
    let org = &group.org;
    let key = group.lease_key();
    if turn == Turn::Fresh {
        ctx.state.page_prints.forget(&key);
    }
    let listing = match read_pages(ctx, group, &key, turn, renewed).await {
        Ok(Some(listing)) => listing,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(org = %org, project = %group.project_slug, error = %e, "poll failed; backing off this org");
            ctx.state.backoffs.failed(org, ctx.interval);
            if matches!(
                e,
                GrantError::NeedsRelink { .. }
                    | GrantError::StaticTokenRejected { .. }
                    | GrantError::NotLinked { .. }
            ) {
                notify_relink(ctx, &group.subs).await;
            }
            return None;
        }
    };
    ctx.state.backoffs.succeeded(org);
    ctx.state.backstop.polled(key.clone());
    if listing.quiet {
        return Some(Polled {
            items: listing.items,
            quiet: true,
        });
    }
    // Reading many pages takes time: write only while the lease is still ours.
    if started.elapsed() > ctx.interval / 2 && !still_ours(ctx, group).await {
        tracing::warn!(org = %org, project = %group.project_slug, "poll lease lost while reading; leaving the group to its new holder");
        return None;
    }
    let nothing_seen = HashMap::new();
    let mut recorded_all = listing.beyond == Beyond::Nothing;
    for sub in &group.subs {
        if sub.relink_notified {
            let _ = ctx.store.set_relink_notified(&sub.id, false).await;
        }
        let seen = listing.seen.get(&sub.id).unwrap_or(&nothing_seen);
        let plan = diff(sub, seen, &listing.items);
        if plan.seen.is_empty() && plan.alerts.is_empty() {
            continue;
        }
        let for_assignees = for_assignees(&plan, &listing.items);
        let rows = planned_rows(sub, plan.alerts, listing.beyond);
        match ctx.store.record_tick(&sub.id, &plan.seen, &rows).await {
            Ok(planned) => {
                if planned > 0 {
                    tracing::info!(subscription = %sub.id, channel = %sub.channel_id, planned, "alerts planned");
                }
                personal::spawn_plan_for_assignees(ctx, org, for_assignees);
            }
            Err(e) => {
                recorded_all = false;
                tracing::warn!(error = %e, "cannot record the poll");
            }
        }
    }
    match listing.one_page_print {
        Some(print) if recorded_all => ctx.state.page_prints.remember(key, print),
        _ => ctx.state.page_prints.forget(&key),
    }
    Some(Polled {
        items: listing.items,
        quiet: false,
    })
}

/// Tells each subscribed channel once that the org must be linked again.
async fn notify_relink(ctx: &Context, subs: &[SubscriptionRow]) {
    for sub in subs.iter().filter(|s| !s.relink_notified) {
        let notice = Alert::RelinkNotice {
            project: sub.project_slug.clone(),
        };
        let row = outbox_row(sub, "-", &notice, Snapshot::default());
        if ctx.store.record_tick(&sub.id, &[], &[row]).await.is_ok() {
            let _ = ctx.store.set_relink_notified(&sub.id, true).await;
        }
    }
}
