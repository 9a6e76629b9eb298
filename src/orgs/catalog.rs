//! Project lists per org, cached so a bare project name resolves without a
//! Sentry call. Concurrent misses for one org share a single load.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::sentry::models::Project;

/// How long a project list is trusted.
const TTL: Duration = Duration::from_secs(600);

/// Cached project lists by org.
#[derive(Clone, Debug)]
pub(crate) struct ProjectCatalog {
    cache: Cache<String, Arc<Vec<Project>>>,
}

impl Default for ProjectCatalog {
    fn default() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(TTL)
                .build(),
        }
    }
}

impl ProjectCatalog {
    /// The org's projects: cached unless stale; `load` runs at most once at
    /// a time per org.
    pub(crate) async fn projects<E, F>(
        &self,
        org: &str,
        load: F,
    ) -> Result<Arc<Vec<Project>>, Arc<E>>
    where
        E: Send + Sync + 'static,
        F: std::future::Future<Output = Result<Vec<Project>, E>>,
    {
        self.cache
            .try_get_with(org.to_string(), async move { load.await.map(Arc::new) })
            .await
    }

    /// Replaces an org's list with one just read.
    pub(crate) async fn put(&self, org: &str, projects: Arc<Vec<Project>>) {
        self.cache.insert(org.to_string(), projects).await;
    }

    /// Forgets an org's list (after it is unlinked).
    pub(crate) async fn forget(&self, org: &str) {
        self.cache.invalidate(org).await;
    }
}
