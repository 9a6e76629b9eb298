//! The issue service: the one place that talks to Sentry for commands,
//! clicks, unfurls and the poller. It owns the grants (org → token), the
//! HTTP client and the project cache, and every lookup is pinned to one org,
//! so a click on an issue of `acme` never asks another org about it.

use std::sync::Arc;

use serde_json::Value;

use crate::orgs::grants::{GrantError, Grants, LinkedOrg, LinkedResult};
use crate::sentry::capabilities::Gap;
use crate::sentry::client::MAX_PAGE;
use crate::sentry::issue_ref::IssueRef;
use crate::sentry::models::{Event, Issue, Member, Project, Release, Team};
use crate::sentry::turns;
use crate::sentry::{IssueQuery, Page, SentryClient, SentryError};

/// Pages of one list read at most in one go (by the poller per group, and
/// for a subscription's baseline): 1,000 issues at Sentry's page size.
pub(crate) const MAX_PAGES_PER_READ: usize = 10;

/// Pages of a project read when searching for a short ID on a server
/// without short-ID lookup.
const SHORT_ID_SEARCH_PAGES: usize = 10;
use crate::orgs::catalog::ProjectCatalog;

/// The pages of a list that were read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Listed {
    /// Every issue read.
    pub items: Vec<Issue>,
    /// More pages exist past the ones read.
    pub cut_short: bool,
    /// How many issues match in all, when the list was cut short and the server says.
    pub total: Option<u64>,
}

/// Identical list requests within this window share one Sentry call: in
/// the first minutes of an incident many people run the same command.
const SHARED_LIST_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Least time between two reads of an org's member list after a miss.
const MEMBERS_REFRESH_GAP: std::time::Duration = std::time::Duration::from_secs(60);

/// How long an org's member list is trusted before it is read again.
const MEMBERS_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// How long an issue's latest event is reused for its alerts and unfurls.
const ALERT_EVENT_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// Longest an alert waits for its issue's latest event before it is posted
/// without the event's facts.
const ALERT_EVENT_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// How long a project's recent releases are reused for "Resolve in…".
const RECENT_RELEASES_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// What the bot does with Sentry, for every org it is linked to.
#[derive(Debug)]
pub struct IssueService {
    grants: Grants,
    sentry: SentryClient,
    projects: ProjectCatalog,
    /// Every member of each org, for deciding who may act.
    members: moka::future::Cache<String, Arc<Vec<Member>>>,
    /// When each org's member list was last read again after a miss.
    members_refreshed: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    /// Every team of each org, for naming suggested owners.
    org_teams: moka::future::Cache<String, Arc<Vec<Team>>>,
    /// Recent list pages by (org, query, cursor), shared by identical requests.
    shared_lists: moka::future::Cache<String, Arc<Page<Issue>>>,
    /// Latest events by (org, issue id) for alerts and unfurls.
    alert_events: moka::future::Cache<(String, String), Option<Arc<Event>>>,
    /// Recent releases by (org, project id), for "Resolve in…".
    recent_releases: moka::future::Cache<(String, String), Arc<Vec<Release>>>,
}

impl IssueService {
    /// A service over `grants` that calls Sentry with `sentry`.
    pub fn new(grants: Grants, sentry: SentryClient) -> Self {
        Self {
            grants,
            sentry,
            projects: ProjectCatalog::default(),
            members: moka::future::Cache::builder()
                .max_capacity(1_000)
                .time_to_live(MEMBERS_TTL)
                .build(),
            members_refreshed: Default::default(),
            org_teams: moka::future::Cache::builder()
                .max_capacity(1_000)
                .time_to_live(MEMBERS_TTL)
                .build(),
            shared_lists: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(SHARED_LIST_TTL)
                .build(),
            alert_events: moka::future::Cache::builder()
                .max_capacity(2_000)
                .time_to_live(ALERT_EVENT_TTL)
                .build(),
            recent_releases: moka::future::Cache::builder()
                .max_capacity(1_000)
                .time_to_live(RECENT_RELEASES_TTL)
                .build(),
        }
    }

    /// A project's few most recent releases for the "Resolve in…" menu,
    /// kept a minute so opening menus does not list releases each time.
    pub async fn recent_releases(
        &self,
        org: &str,
        project_id: &str,
    ) -> Result<Arc<Vec<Release>>, Arc<GrantError>> {
        let key = (org.to_string(), project_id.to_string());
        self.recent_releases
            .try_get_with(key, async {
                self.releases(org, project_id, 3).await.map(Arc::new)
            })
            .await
    }

    /// The issue's latest event for an alert or unfurl: cached by issue,
    /// an optional call (it leaves the end of the latest-event window to
    /// others and waits for the next window only within its own short
    /// wait), and given up after that wait. `fresh` reads it again (a regression's event is new).
    /// `None` means "render without it".
    pub async fn event_for_alert(
        &self,
        org: &str,
        issue_id: &str,
        fresh: bool,
    ) -> Option<Arc<Event>> {
        let key = (org.to_string(), issue_id.to_string());
        if fresh {
            self.alert_events.invalidate(&key).await;
        } else if let Some(cached) = self.alert_events.get(&key).await {
            return cached;
        }
        // One read for all the channels an issue is posted to at once:
        // concurrent callers wait for the same load; failures are not kept.
        let load = async {
            // Facts decorate an alert: they never take the last of a window
            // from the calls that find and change issues.
            let read = turns::optional(ALERT_EVENT_WAIT, self.latest_event(org, issue_id));
            let fetched = tokio::time::timeout(ALERT_EVENT_WAIT, read).await;
            let event = match fetched {
                Ok(Ok(event)) => Arc::new(event),
                // Not kept: a brand-new issue's event may not be readable yet.
                Ok(Err(e)) if is_not_found(&e) => {
                    metrics::counter!(crate::meters::ALERT_EVENTS, "outcome" => "none")
                        .increment(1);
                    return None;
                }
                Ok(Err(GrantError::Sentry(
                    SentryError::TooSlow { .. } | SentryError::RateLimited { .. },
                ))) => {
                    tracing::info!(
                        org,
                        issue = issue_id,
                        "rate budget spent; alert posted without its event"
                    );
                    metrics::counter!(crate::meters::ALERT_EVENTS, "outcome" => "budget_low")
                        .increment(1);
                    return None;
                }
                Ok(Err(e)) => {
                    tracing::info!(org, issue = issue_id, error = %e, "latest event unavailable for the alert");
                    metrics::counter!(crate::meters::ALERT_EVENTS, "outcome" => "failed")
                        .increment(1);
                    return None;
                }
                Err(_) => {
                    tracing::info!(org, issue = issue_id, "latest event too slow for the alert");
                    metrics::counter!(crate::meters::ALERT_EVENTS, "outcome" => "timed_out")
                        .increment(1);
                    return None;
                }
            };
            metrics::counter!(crate::meters::ALERT_EVENTS, "outcome" => "fetched").increment(1);
            Some(Some(event))
        };
        self.alert_events
            .optionally_get_with(key, load)
            .await
            .flatten()
    }

    /// The org → token registry (link, unlink, health).
    pub fn grants(&self) -> &Grants {
        &self.grants
    }

    /// Every linked org, the static one first.
    pub async fn linked_orgs(&self) -> Result<Vec<LinkedOrg>, GrantError> {
        self.grants.linked_orgs().await
    }

    /// One page of a project's issues.
    pub async fn list(&self, org: &str, query: &IssueQuery) -> Result<Page<Issue>, GrantError> {
        let sentry = &self.sentry;
        self.grants
            .with_token(org, |token| async move {
                sentry.list_issues(org, &token, query).await
            })
            .await
    }

    /// One page for a person's list command: requests for the same page
    /// within a few seconds make one Sentry call and share its answer
    /// (while it is in flight, and for [`SHARED_LIST_TTL`] after). With
    /// `fresh` (a redraw after a change) Sentry is asked again and the
    /// shared page replaced.
    pub async fn list_shared(
        &self,
        org: &str,
        query: &IssueQuery,
        fresh: bool,
    ) -> Result<Page<Issue>, GrantError> {
        let key = format!(
            "{org}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
            query.project_slug,
            query.project_id.as_deref().unwrap_or(""),
            query.query,
            query.sort,
            query.limit,
            query.cursor.as_deref().unwrap_or("")
        );
        if fresh {
            let page = self.list(org, query).await?;
            self.shared_lists.insert(key, Arc::new(page.clone())).await;
            return Ok(page);
        }
        shared_load(|| async {
            self.shared_lists
                .try_get_with(key.clone(), async {
                    self.list(org, query).await.map(Arc::new)
                })
                .await
                .map(|page| (*page).clone())
                .map_err(GrantError::from_shared)
        })
        .await
    }

    /// Every page of a list up to `max_pages`; also how many issues match
    /// in all when the list was cut short and the server says (`X-Hits`).
    pub async fn list_pages(
        &self,
        org: &str,
        query: &IssueQuery,
        max_pages: usize,
    ) -> Result<Listed, GrantError> {
        let mut listed = Listed::default();
        let mut query = query.clone();
        for page_number in 1..=max_pages {
            let page = self.list(org, &query).await?;
            listed.items.extend(page.items);
            match page.next_cursor {
                Some(next) if page_number < max_pages => query.cursor = Some(next),
                Some(_) => {
                    listed.cut_short = true;
                    listed.total = page.total;
                }
                None => break,
            }
        }
        Ok(listed)
    }

    /// One issue by numeric id.
    pub async fn get(&self, org: &str, id: &str) -> Result<Issue, GrantError> {
        let sentry = &self.sentry;
        self.grants
            .with_token(
                org,
                |token| async move { sentry.issue(org, &token, id).await },
            )
            .await
    }

    /// One issue of `org` by short ID, numeric id or URL.
    pub async fn find(&self, org: &str, reference: &IssueRef) -> Result<Issue, GrantError> {
        match reference {
            IssueRef::ShortId(short) => self.find_short_id(org, short).await,
            IssueRef::Id(id) | IssueRef::Url { id, .. } => self.get(org, id).await,
        }
    }

    /// Sentry's short-ID lookup; where the server has none, a search of
    /// the project the short ID names.
    async fn find_short_id(&self, org: &str, short: &str) -> Result<Issue, GrantError> {
        let caps = self.sentry.capabilities();
        if !caps.lacks(org, Gap::ShortIdLookup) {
            let sentry = &self.sentry;
            let found = self
                .grants
                .with_token(org, |token| async move {
                    sentry.issue_by_short_id(org, &token, short).await
                })
                .await;
            match found {
                Err(GrantError::Sentry(e)) if e.means_missing() && !is_plain_not_found(&e) => {
                    if caps.learn(org, Gap::ShortIdLookup) {
                        tracing::info!(org, first_answer = %e, "Sentry server has no short-ID lookup; searching projects instead");
                    }
                }
                other => return other,
            }
        }
        self.search_short_id(org, short).await
    }

    /// Finds `short` (`API-3F`) among the issues of the project whose slug
    /// it starts with, reading at most [`SHORT_ID_SEARCH_PAGES`] pages.
    async fn search_short_id(&self, org: &str, short: &str) -> Result<Issue, GrantError> {
        let not_found = || GrantError::Sentry(SentryError::NotFound { what: "issue" });
        let Some((prefix, _)) = short.rsplit_once('-') else {
            return Err(not_found());
        };
        let projects = self.projects(org, false).await?;
        let Some(project) = projects
            .iter()
            .find(|p| p.slug.eq_ignore_ascii_case(prefix))
        else {
            return Err(not_found());
        };
        let mut cursor = None;
        for _ in 0..SHORT_ID_SEARCH_PAGES {
            // An empty query lists every status: the issue may be resolved.
            let query = IssueQuery::by_activity(&project.slug, &project.id, "", MAX_PAGE, cursor);
            let page = self.list(org, &query).await?;
            if let Some(issue) = page.items.into_iter().find(|i| {
                i.short_id
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(short))
            }) {
                return Ok(issue);
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Err(not_found())
    }

    /// Asks `org`'s server the calls the bot relies on (a list, an issue,
    /// its latest event, a short-ID lookup) so its gaps are learned, and
    /// returns them. Assignment is not probed: it would change an issue.
    pub async fn probe(&self, org: &str) -> Result<Vec<Gap>, GrantError> {
        let projects = self.projects(org, false).await?;
        if let Some(project) = projects.first() {
            let query = IssueQuery::by_activity(&project.slug, &project.id, "", 1, None);
            let listed = self.list(org, &query).await?;
            if let Some(issue) = listed.items.first() {
                self.get(org, &issue.id).await?;
                // Either path may lack the event; the gap is what matters here.
                let _ = self.latest_event(org, &issue.id).await;
                let _ = self.events(org, &issue.id, 1, None).await;
                if let Some(short) = &issue.short_id {
                    self.find_short_id(org, short).await?;
                }
            }
        }
        Ok(self.gaps(org))
    }

    /// What `org`'s server lacks, probed on first use so the first look is
    /// complete; a probe that fails is logged, what is known is returned,
    /// and the next look probes again.
    pub async fn gaps_probed(&self, org: &str) -> Vec<Gap> {
        let caps = self.sentry.capabilities();
        if !caps.probed(org) {
            match self.probe(org).await {
                Ok(_) => caps.mark_probed(org),
                Err(e) => tracing::info!(org, error = %e, "could not probe the Sentry server"),
            }
        }
        self.gaps(org)
    }

    /// What `org`'s server is known to lack, learned from fallbacks.
    pub fn gaps(&self, org: &str) -> Vec<Gap> {
        self.sentry.capabilities().gaps(org)
    }

    /// Changes an issue (`status`, `assignedTo`, …).
    pub async fn update(&self, org: &str, id: &str, body: &Value) -> Result<Value, GrantError> {
        let sentry = &self.sentry;
        self.grants
            .with_token(org, |token| async move {
                sentry.update_issue(org, &token, id, body).await
            })
            .await
    }

    /// The latest event of an issue.
    pub async fn latest_event(&self, org: &str, id: &str) -> Result<Event, GrantError> {
        let sentry = &self.sentry;
        self.grants
            .with_token(org, |token| async move {
                sentry.latest_event(org, &token, id).await
            })
            .await
    }

    /// The Sentry web address, for links the API does not give.
    pub fn web_base(&self) -> &str {
        self.sentry.web_base()
    }

    /// One page of an issue's events, newest first.
    pub async fn events(
        &self,
        org: &str,
        issue_id: &str,
        per_page: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Event>, GrantError> {
        let sentry = &self.sentry;
        self.grants
            .with_token(org, |token| async move {
                sentry
                    .issue_events(org, &token, issue_id, per_page, cursor)
                    .await
            })
            .await
    }

    /// A project's most recent releases, newest first. A server without a
    /// releases API answers with none.
    pub async fn releases(
        &self,
        org: &str,
        project_id: &str,
        per_page: u32,
    ) -> Result<Vec<Release>, GrantError> {
        let sentry = &self.sentry;
        let listed = self
            .grants
            .with_token(org, |token| async move {
                sentry.releases(org, &token, project_id, per_page).await
            })
            .await;
        match listed {
            Ok(page) => Ok(page.items),
            Err(GrantError::Sentry(e)) if e.means_missing() => {
                tracing::info!(org, error = %e, "the server has no releases API; none shown");
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }

    /// Org members matching Sentry's member `query` (one page).
    pub async fn members(&self, org: &str, query: Option<&str>) -> Result<Vec<Member>, GrantError> {
        let sentry = &self.sentry;
        self.grants
            .with_token(org, |token| async move {
                sentry.org_members(org, &token, query, None).await
            })
            .await
            .map(|page| page.items)
    }

    /// Every member of `org`, cached for [`MEMBERS_TTL`]; `refresh` reads
    /// the list again (after a miss, someone may just have joined).
    pub async fn org_members(
        &self,
        org: &str,
        refresh: bool,
    ) -> Result<Arc<Vec<Member>>, GrantError> {
        let sentry = &self.sentry;
        let load = || {
            self.grants.with_token(
                org,
                |token| async move { sentry.all_members(org, &token).await },
            )
        };
        if refresh {
            // The cached list stays until a new one is in hand.
            let members = Arc::new(load().await?);
            self.members.insert(org.to_string(), members.clone()).await;
            return Ok(members);
        }
        shared_load(|| async {
            self.members
                .try_get_with(org.to_string(), async { load().await.map(Arc::new) })
                .await
                .map_err(GrantError::from_shared)
        })
        .await
    }

    /// Whether a miss may read `org`'s member list again now: at most once
    /// a minute per org, so refused clicks cannot spend the org's rate limit.
    pub fn may_refresh_members(&self, org: &str) -> bool {
        let mut refreshed = self
            .members_refreshed
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        match refreshed.get(org) {
            Some(at) if now.duration_since(*at) < MEMBERS_REFRESH_GAP => false,
            _ => {
                refreshed.insert(org.to_string(), now);
                true
            }
        }
    }

    /// The member of `org` (someone who joined, not an open invitation)
    /// whose email is `email`, reading the list again on a miss when
    /// [`Self::may_refresh_members`] allows.
    pub async fn member_with_email(
        &self,
        org: &str,
        email: &str,
    ) -> Result<Option<Member>, GrantError> {
        for refresh in [false, true] {
            if refresh && !self.may_refresh_members(org) {
                break;
            }
            let members = self.org_members(org, refresh).await?;
            if let Some(member) = members
                .iter()
                .find(|m| m.has_joined() && m.has_email(email))
            {
                return Ok(Some(member.clone()));
            }
        }
        Ok(None)
    }

    /// Leaves `text` as a note on the issue, naming who acted from Slack.
    pub async fn add_note(&self, org: &str, id: &str, text: &str) -> Result<(), GrantError> {
        let sentry = &self.sentry;
        self.grants
            .with_token(org, |token| async move {
                sentry.add_note(org, &token, id, text).await
            })
            .await
    }

    /// Every team of `org`.
    pub async fn teams(&self, org: &str) -> Result<Vec<Team>, GrantError> {
        let sentry = &self.sentry;
        self.grants
            .with_token(org, |token| async move { sentry.teams(org, &token).await })
            .await
    }

    /// Every team of `org`, cached like its members (suggested owners name
    /// teams by id only).
    pub async fn org_teams(&self, org: &str) -> Result<Arc<Vec<Team>>, GrantError> {
        shared_load(|| async {
            self.org_teams
                .try_get_with(org.to_string(), async {
                    self.teams(org).await.map(Arc::new)
                })
                .await
                .map_err(GrantError::from_shared)
        })
        .await
    }

    /// The org's projects, cached; `refresh` reads them from Sentry again.
    pub async fn projects(
        &self,
        org: &str,
        refresh: bool,
    ) -> Result<Arc<Vec<Project>>, GrantError> {
        let sentry = &self.sentry;
        let load = || {
            self.grants.with_token(
                org,
                |token| async move { sentry.projects(org, &token).await },
            )
        };
        if refresh {
            // The cached list stays until a new one is in hand.
            let projects = Arc::new(load().await?);
            self.projects.put(org, projects.clone()).await;
            return Ok(projects);
        }
        shared_load(|| async {
            self.projects
                .projects(org, load())
                .await
                .map_err(GrantError::from_shared)
        })
        .await
    }

    /// The scopes the org's token carries (from the API root).
    pub async fn token_scopes(&self, org: &str) -> Result<Vec<String>, GrantError> {
        let sentry = &self.sentry;
        self.grants
            .with_token(
                org,
                |token| async move { sentry.token_scopes(&token).await },
            )
            .await
    }

    /// The last rate-limit budget Sentry reported for `org`.
    pub fn rate_budget(&self, org: &str) -> Option<u64> {
        self.sentry.last_remaining(org)
    }

    /// Finishes an approved link: asks Sentry which org the token covers and
    /// stores the grant for it.
    pub async fn complete_link(
        &self,
        grant: &crate::orgs::grants::tapauth::CreatedGrant,
        token: &crate::config::Secret,
        scopes: &[String],
        expires_at: Option<std::time::SystemTime>,
        linked_by: &str,
    ) -> Result<Vec<LinkedResult>, GrantError> {
        let orgs = self
            .sentry
            .organizations(token)
            .await
            .map_err(GrantError::Sentry)?;
        let slugs: Vec<String> = orgs.into_iter().map(|o| o.slug).collect();
        self.grants
            .store_link(&slugs, grant, token, scopes, expires_at, linked_by)
            .await
    }

    /// Forgets the org's grant and cached projects.
    pub async fn unlink(&self, org: &str) -> Result<crate::orgs::grants::Unlinked, GrantError> {
        self.projects.forget(org).await;
        self.grants.unlink(org).await
    }
}

/// Whether an error means the issue does not exist in that org.
pub(crate) fn is_not_found(error: &GrantError) -> bool {
    matches!(error, GrantError::Sentry(SentryError::NotFound { .. }))
}

/// A 404 that is Sentry's own "no such thing" rather than a missing route.
fn is_plain_not_found(error: &SentryError) -> bool {
    matches!(error, SentryError::NotFound { .. })
}

/// Times a shared load is started again for a caller it was not cut short for.
const SHARED_LOAD_ATTEMPTS: usize = 4;

/// Runs a load shared with other callers (a cache's one load in flight per
/// key). The load runs under the deadline of the caller that started it
/// (`sentry::turns`); when it gives up, a caller whose own deadline has not
/// passed, or that has none (a write, a click), loads again instead of
/// taking someone else's "too slow".
async fn shared_load<T, F, Fut>(mut load: F) -> Result<T, GrantError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, GrantError>>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        match load().await {
            Err(e)
                if e.is_too_slow()
                    && attempts < SHARED_LOAD_ATTEMPTS
                    && !turns::deadline_passed() => {}
            Err(e) if e.is_too_slow() => {
                turns::give_up();
                return Err(e);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn too_slow() -> GrantError {
        GrantError::Sentry(crate::sentry::SentryError::TooSlow {
            waited: Duration::from_secs(25),
        })
    }

    /// A load that gives up `failures` times, then answers.
    async fn flaky(
        calls: &std::sync::atomic::AtomicUsize,
        failures: usize,
    ) -> Result<u32, GrantError> {
        let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n < failures {
            Err(too_slow())
        } else {
            Ok(7)
        }
    }

    #[tokio::test]
    async fn someone_elses_too_slow_is_not_taken_while_there_is_time() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        // No deadline (a write or a click): loads again.
        assert_eq!(shared_load(|| flaky(&calls, 1)).await.unwrap(), 7);
        // Time left: loads again, and nothing was given up.
        calls.store(0, std::sync::atomic::Ordering::SeqCst);
        let (answer, gave_up) =
            turns::within(Duration::from_secs(60), shared_load(|| flaky(&calls, 2))).await;
        assert_eq!(answer.unwrap(), 7);
        assert!(!gave_up);
        // Past its own deadline: the caller takes "too slow" and it is counted.
        calls.store(0, std::sync::atomic::Ordering::SeqCst);
        let (answer, gave_up) = turns::within(Duration::ZERO, async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            shared_load(|| flaky(&calls, 1)).await
        })
        .await;
        assert!(answer.unwrap_err().is_too_slow());
        assert!(gave_up);
        // A load that keeps giving up is not retried forever.
        calls.store(0, std::sync::atomic::Ordering::SeqCst);
        assert!(shared_load(|| flaky(&calls, 100))
            .await
            .unwrap_err()
            .is_too_slow());
        assert_eq!(
            calls.load(std::sync::atomic::Ordering::SeqCst),
            SHARED_LOAD_ATTEMPTS
        );
    }
}
