//! Org grants: every linked Sentry org has exactly one token source, a
//! TapAuth grant (OAuth, refreshed by the broker) or the static token from
//! `SENTRY_AUTH_TOKEN`. [`Grants`] hands out tokens, caches them until
//! shortly before they expire, and fetches a fresh one once after a 401.

pub mod seal;
pub mod tapauth;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use moka::future::Cache;

use crate::config::{Secret, StaticGrant};
use crate::sentry::SentryError;
use crate::store::{now_ms, GrantRow, Store, StoreError};
use seal::{SealError, Sealer};
use tapauth::{CreatedGrant, GrantState, TapAuthApi, TapAuthClient, TapAuthError};

/// Tokens are fetched again this long before they expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(120);

/// How an org is connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantKind {
    /// A TapAuth grant made with `/sentry link`.
    TapAuth,
    /// `SENTRY_AUTH_TOKEN` + `SENTRY_ORG`.
    Static,
}

/// Whether an org's grant still works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Usable.
    Ok,
    /// Revoked, denied or rejected by Sentry: link again.
    NeedsRelink,
}

impl Health {
    fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::NeedsRelink => "needs_relink",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "needs_relink" {
            Health::NeedsRelink
        } else {
            Health::Ok
        }
    }
}

/// A linked org as `/sentry orgs` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedOrg {
    /// Org slug.
    pub org: String,
    /// Token source.
    pub kind: GrantKind,
    /// Scopes granted, when known.
    pub scopes: Vec<String>,
    /// Whether it works.
    pub health: Health,
    /// Slack user who linked it.
    pub linked_by: Option<String>,
    /// When it was linked, Unix milliseconds.
    pub linked_at_ms: Option<i64>,
    /// When this replica last fetched its token from TapAuth, Unix milliseconds.
    pub token_fetched_at_ms: Option<i64>,
}

impl LinkedOrg {
    /// The org linked by configuration (`SENTRY_ORG` + `SENTRY_AUTH_TOKEN`):
    /// no grant row, so nobody linked it and it has no token history.
    pub fn configured(org: &str) -> Self {
        Self {
            org: org.to_string(),
            kind: GrantKind::Static,
            scopes: Vec::new(),
            health: Health::Ok,
            linked_by: None,
            linked_at_ms: None,
            token_fetched_at_ms: None,
        }
    }
}

/// Why no token could be had, in terms a command can explain.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// No grant for this org.
    #[error("the Sentry org `{org}` is not linked")]
    NotLinked {
        /// Org slug.
        org: String,
    },
    /// The grant was revoked, denied, or its token keeps failing.
    #[error("the Sentry org `{org}` needs to be linked again")]
    NeedsRelink {
        /// Org slug.
        org: String,
    },
    /// The static token was rejected by Sentry.
    #[error("Sentry rejected the SENTRY_AUTH_TOKEN configured for `{org}`")]
    StaticTokenRejected {
        /// Org slug.
        org: String,
    },
    /// TapAuth could not be asked.
    #[error(transparent)]
    Broker(#[from] TapAuthError),
    /// A stored secret could not be read.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sentry failed.
    #[error(transparent)]
    Sentry(#[from] SentryError),
    /// A failure of a load another request was waiting on, as text.
    #[error("{0}")]
    Shared(String),
}

impl GrantError {
    /// Whether a call gave up waiting for its turn at Sentry.
    pub fn is_too_slow(&self) -> bool {
        matches!(self, GrantError::Sentry(SentryError::TooSlow { .. }))
    }

    /// The error of a load that several requests shared: the variants a
    /// person acts on are kept, the rest carried as their message.
    pub fn from_shared(error: Arc<GrantError>) -> GrantError {
        Arc::try_unwrap(error).unwrap_or_else(|shared| match &*shared {
            GrantError::NotLinked { org } => GrantError::NotLinked { org: org.clone() },
            GrantError::NeedsRelink { org } => GrantError::NeedsRelink { org: org.clone() },
            GrantError::StaticTokenRejected { org } => {
                GrantError::StaticTokenRejected { org: org.clone() }
            }
            GrantError::Sentry(e) => GrantError::Sentry(e.clone()),
            GrantError::Broker(e) => GrantError::Broker(e.clone()),
            other => GrantError::Shared(other.to_string()),
        })
    }
}

/// One poll of a pending link.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkPoll {
    /// Not approved yet.
    Pending,
    /// Approved.
    Approved {
        /// The Sentry token.
        token: Secret,
        /// Scopes granted, when TapAuth says.
        scopes: Option<Vec<String>>,
        /// Token expiry.
        expires_at: Option<SystemTime>,
    },
    /// Over without approval: `denied`, `link_expired`, `revoked`, `expired`.
    Failed {
        /// TapAuth's word for it.
        status: String,
    },
}

/// What linking did for one org.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedResult {
    /// Org slug.
    pub org: String,
    /// A previous grant was replaced.
    pub replaced: bool,
    /// The org uses the static token and was left alone.
    pub skipped_static: bool,
}

/// What `/sentry unlink` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unlinked {
    /// The grant is forgotten.
    Removed,
    /// There was none.
    NotLinked,
    /// The org uses the static token, which lives in the server's settings.
    Static,
}

#[derive(Clone)]
struct CachedToken {
    token: Secret,
    expires_at: Option<SystemTime>,
    /// The grant the token came from, to notice a re-link elsewhere.
    grant_id: String,
    /// When the store last confirmed the grant (unlink on any replica removes it).
    confirmed_at: std::time::Instant,
    /// When the token was fetched from TapAuth.
    fetched_at: SystemTime,
}

fn unix_ms(at: SystemTime) -> Option<i64> {
    at.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
}

/// A cached token lives until [`EXPIRY_MARGIN`] before TapAuth's expiry.
struct UntilExpiry;

impl moka::Expiry<String, CachedToken> for UntilExpiry {
    fn expire_after_create(
        &self,
        _org: &String,
        cached: &CachedToken,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        until_expiry(cached)
    }

    fn expire_after_update(
        &self,
        _org: &String,
        cached: &CachedToken,
        _updated_at: std::time::Instant,
        _remaining: Option<Duration>,
    ) -> Option<Duration> {
        // A re-linked grant's token lives by its own expiry, not the old one's.
        until_expiry(cached)
    }
}

fn until_expiry(cached: &CachedToken) -> Option<Duration> {
    cached.expires_at.map(|at| {
        at.duration_since(SystemTime::now() + EXPIRY_MARGIN)
            .unwrap_or(Duration::ZERO)
    })
}

/// The org → token registry.
pub struct Grants {
    store: Store,
    sealer: Sealer,
    tapauth: TapAuthClient,
    static_grant: Option<StaticGrant>,
    requested_scopes: Vec<String>,
    /// Tokens by org; concurrent misses for one org share one TapAuth fetch.
    cache: Cache<String, CachedToken>,
    /// How often a cached grant is confirmed in the store.
    recheck_every: Duration,
}

impl std::fmt::Debug for Grants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grants")
            .field("static_org", &self.static_grant.as_ref().map(|g| &g.org))
            .field("requested_scopes", &self.requested_scopes)
            .finish_non_exhaustive()
    }
}

impl Grants {
    /// A registry over the store and clients.
    pub fn new(
        store: Store,
        sealer: Sealer,
        tapauth: TapAuthClient,
        static_grant: Option<StaticGrant>,
        requested_scopes: Vec<String>,
        recheck_every: Duration,
    ) -> Self {
        Self {
            store,
            sealer,
            tapauth,
            static_grant,
            requested_scopes,
            cache: Cache::builder()
                .max_capacity(100_000)
                .expire_after(UntilExpiry)
                .build(),
            recheck_every,
        }
    }

    /// The scopes `/sentry link` asks for.
    pub fn requested_scopes(&self) -> &[String] {
        &self.requested_scopes
    }

    /// Every linked org, the static one first.
    pub async fn linked_orgs(&self) -> Result<Vec<LinkedOrg>, GrantError> {
        let mut orgs = Vec::new();
        if let Some(grant) = &self.static_grant {
            orgs.push(LinkedOrg::configured(&grant.org));
        }
        for row in self.store.grants().await? {
            if self.is_static(&row.org_slug) {
                continue;
            }
            let fetched = self.cache.get(&row.org_slug).await.map(|c| c.fetched_at);
            orgs.push(LinkedOrg {
                kind: GrantKind::TapAuth,
                scopes: row.scopes.split_whitespace().map(str::to_string).collect(),
                health: Health::parse(&row.health),
                linked_by: Some(row.linked_by),
                linked_at_ms: Some(row.linked_at_ms),
                token_fetched_at_ms: fetched.and_then(unix_ms),
                org: row.org_slug,
            });
        }
        Ok(orgs)
    }

    fn is_static(&self, org: &str) -> bool {
        self.static_grant.as_ref().is_some_and(|g| g.org == org)
    }

    async fn remember(
        &self,
        org: &str,
        token: Secret,
        expires_at: Option<SystemTime>,
        grant_id: &str,
    ) {
        let cached = CachedToken {
            token,
            expires_at,
            grant_id: grant_id.to_string(),
            confirmed_at: std::time::Instant::now(),
            fetched_at: SystemTime::now(),
        };
        self.cache.insert(org.to_string(), cached).await;
    }

    async fn forget(&self, org: &str) {
        self.cache.invalidate(org).await;
    }

    /// A token for `org`, from the cache or fetched from TapAuth.
    pub async fn token(&self, org: &str) -> Result<Secret, GrantError> {
        if let Some(grant) = self.static_grant.as_ref().filter(|g| g.org == org) {
            return Ok(grant.token.clone());
        }
        let cached = self
            .cache
            .try_get_with(org.to_string(), self.fetch(org))
            .await
            .map_err(GrantError::from_shared)?;
        if cached.confirmed_at.elapsed() < self.recheck_every {
            return Ok(cached.token);
        }
        // Another replica may have unlinked or re-linked the org: ask the store.
        match self.store.grant(org).await? {
            Some(row)
                if row.grant_id == cached.grant_id && Health::parse(&row.health) == Health::Ok =>
            {
                let confirmed = CachedToken {
                    confirmed_at: std::time::Instant::now(),
                    ..cached
                };
                let token = confirmed.token.clone();
                self.cache.insert(org.to_string(), confirmed).await;
                Ok(token)
            }
            Some(_) => {
                tracing::info!(org, "grant changed on another replica; fetching its token");
                self.forget(org).await;
                self.cache
                    .try_get_with(org.to_string(), self.fetch(org))
                    .await
                    .map(|fresh| fresh.token)
                    .map_err(GrantError::from_shared)
            }
            None => {
                tracing::info!(org, "grant removed on another replica; no longer using it");
                self.forget(org).await;
                Err(GrantError::NotLinked {
                    org: org.to_string(),
                })
            }
        }
    }

    /// Fetches a fresh token for `org` from TapAuth and caches it.
    async fn fetch_fresh(&self, org: &str) -> Result<Secret, GrantError> {
        self.forget(org).await;
        self.token(org).await
    }

    /// Reads a token for `org` from TapAuth.
    async fn fetch(&self, org: &str) -> Result<CachedToken, GrantError> {
        let row = self
            .store
            .grant(org)
            .await?
            .ok_or_else(|| GrantError::NotLinked {
                org: org.to_string(),
            })?;
        if Health::parse(&row.health) == Health::NeedsRelink {
            return Err(GrantError::NeedsRelink {
                org: org.to_string(),
            });
        }
        let secret = self.sealer.open(&row.sealed_secret)?;
        let state = match self
            .tapauth
            .fetch(&row.grant_id, &secret, TapAuthApi::parse(&row.api))
            .await
        {
            Err(TapAuthError::Unauthorized | TapAuthError::NotFound) => GrantState::Ended {
                status: "unknown to TapAuth".into(),
            },
            other => other?,
        };
        match state {
            GrantState::Active {
                token, expires_at, ..
            } => Ok(CachedToken {
                token,
                expires_at,
                grant_id: row.grant_id.clone(),
                confirmed_at: std::time::Instant::now(),
                fetched_at: SystemTime::now(),
            }),
            GrantState::Pending { .. } | GrantState::Expired | GrantState::Ended { .. } => {
                tracing::warn!(org, state = ?redacted(&state), "grant no longer usable; marking it for re-link");
                self.store
                    .set_grant_health(org, Health::NeedsRelink.as_str())
                    .await?;
                Err(GrantError::NeedsRelink {
                    org: org.to_string(),
                })
            }
        }
    }

    /// Runs `call` with the org's token; after a 401 fetches the token once
    /// more and retries, and if Sentry still refuses, marks the org for re-link.
    pub async fn with_token<T, F, Fut>(&self, org: &str, call: F) -> Result<T, GrantError>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T, SentryError>>,
    {
        let token = self.token(org).await?;
        match call(token).await {
            Err(SentryError::Unauthorized) if self.is_static(org) => {
                Err(GrantError::StaticTokenRejected {
                    org: org.to_string(),
                })
            }
            Err(SentryError::Unauthorized) => {
                tracing::info!(
                    org,
                    "Sentry rejected the cached token; fetching a fresh one"
                );
                let token = self.fetch_fresh(org).await?;
                match call(token).await {
                    Err(SentryError::Unauthorized) => {
                        self.store
                            .set_grant_health(org, Health::NeedsRelink.as_str())
                            .await?;
                        self.forget(org).await;
                        Err(GrantError::NeedsRelink {
                            org: org.to_string(),
                        })
                    }
                    other => Ok(other?),
                }
            }
            other => Ok(other?),
        }
    }

    /// Starts a link: a new TapAuth grant waiting for approval.
    pub async fn start_link(&self) -> Result<CreatedGrant, GrantError> {
        Ok(self
            .tapauth
            .create(&self.requested_scopes, "sentry-slack-bot")
            .await?)
    }

    /// One poll of a pending link.
    pub async fn poll_link(&self, grant: &CreatedGrant) -> Result<LinkPoll, GrantError> {
        Ok(
            match self
                .tapauth
                .fetch(&grant.id, &grant.secret, grant.api)
                .await?
            {
                GrantState::Pending { .. } => LinkPoll::Pending,
                GrantState::Active {
                    token,
                    expires_at,
                    scopes,
                } => LinkPoll::Approved {
                    token,
                    scopes,
                    expires_at,
                },
                GrantState::Expired => LinkPoll::Failed {
                    status: "expired".into(),
                },
                GrantState::Ended { status } => LinkPoll::Failed { status },
            },
        )
    }

    /// Finishes an approved link: stores the grant for each org the token
    /// covers (`org_slugs`, as Sentry listed them), replacing any previous
    /// one in one write.
    pub async fn store_link(
        &self,
        org_slugs: &[String],
        grant: &CreatedGrant,
        token: &Secret,
        scopes: &[String],
        expires_at: Option<SystemTime>,
        linked_by: &str,
    ) -> Result<Vec<LinkedResult>, GrantError> {
        let mut results = Vec::new();
        for org in org_slugs {
            let slug = org.to_lowercase();
            if self.is_static(&slug) {
                results.push(LinkedResult {
                    org: slug,
                    replaced: false,
                    skipped_static: true,
                });
                continue;
            }
            let replaced = self.store.grant(&slug).await?.is_some();
            self.store
                .put_grant(&GrantRow {
                    org_slug: slug.clone(),
                    grant_id: grant.id.clone(),
                    sealed_secret: self.sealer.seal(&grant.secret),
                    api: grant.api.as_str().to_string(),
                    scopes: scopes.join(" "),
                    health: Health::Ok.as_str().to_string(),
                    linked_by: linked_by.to_string(),
                    linked_at_ms: now_ms(),
                })
                .await?;
            self.remember(&slug, token.clone(), expires_at, &grant.id)
                .await;
            results.push(LinkedResult {
                org: slug,
                replaced,
                skipped_static: false,
            });
        }
        Ok(results)
    }

    /// Forgets the org's grant.
    pub async fn unlink(&self, org: &str) -> Result<Unlinked, GrantError> {
        if self.is_static(org) {
            return Ok(Unlinked::Static);
        }
        self.forget(org).await;
        Ok(if self.store.delete_grant(org).await? {
            Unlinked::Removed
        } else {
            Unlinked::NotLinked
        })
    }
}

/// A grant state without its token, for logs.
fn redacted(state: &GrantState) -> &'static str {
    match state {
        GrantState::Active { .. } => "active",
        GrantState::Pending { .. } => "pending",
        GrantState::Expired => "expired",
        GrantState::Ended { .. } => "ended",
    }
}
