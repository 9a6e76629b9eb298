//! Project lists per org, cached so a bare project name resolves without a
//! Sentry call, and refreshed when a name is not found.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::grants::{GrantError, Grants};
use crate::sentry::models::Project;

/// How long a project list is trusted.
const TTL: Duration = Duration::from_secs(600);

/// Cached project lists by org.
#[derive(Debug, Default)]
pub struct ProjectCatalog {
    cache: Mutex<HashMap<String, (Instant, Vec<Project>)>>,
}

impl ProjectCatalog {
    /// The org's projects: cached unless `refresh` or stale.
    pub async fn projects(
        &self,
        grants: &Grants,
        org: &str,
        refresh: bool,
    ) -> Result<Vec<Project>, GrantError> {
        if !refresh {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, projects)) = cache.get(org) {
                if at.elapsed() < TTL {
                    return Ok(projects.clone());
                }
            }
        }
        let sentry = grants.sentry();
        let projects = grants
            .with_token(
                org,
                |token| async move { sentry.projects(org, &token).await },
            )
            .await?;
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(org.to_string(), (Instant::now(), projects.clone()));
        Ok(projects)
    }
}
