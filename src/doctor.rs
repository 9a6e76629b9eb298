//! `sentry-slack-bot check`: one ✓/✗ line per check, each ✗ with its fix.

use std::fmt;

use crate::app::Services;
use crate::links::messages::covers;
use crate::orgs::grants::{GrantError, GrantKind};
use crate::sentry::capabilities::summary;
use crate::sentry::SentryError;

/// The scopes each feature needs, for the doctor's advice.
const FEATURE_SCOPES: &[(&str, &str)] = &[
    ("org:read", "linking orgs"),
    ("project:read", "resolving project names"),
    ("event:read", "listing issues and alerts"),
    ("event:write", "buttons that resolve, archive and assign"),
    ("member:read", "the assignee search"),
    ("team:read", "assigning to teams"),
];

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Passed.
    pub ok: bool,
    /// What was checked and what was found.
    pub what: String,
    /// How to fix it, for failures.
    pub fix: Option<String>,
}

impl Check {
    fn pass(what: impl Into<String>) -> Self {
        Self {
            ok: true,
            what: what.into(),
            fix: None,
        }
    }

    fn fail(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            ok: false,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.ok, &self.fix) {
            (true, _) | (false, None) => {
                write!(f, "{} {}", if self.ok { "✓" } else { "✗" }, self.what)
            }
            (false, Some(fix)) => write!(f, "✗ {}\n    fix: {fix}", self.what),
        }
    }
}

/// The scope each read-only call a feature makes was refused for, by the
/// feature: releases, members and teams, read once each.
async fn refused_reads(state: &Services, org: &str) -> Vec<(&'static str, String)> {
    let issues = &state.issues;
    let project = issues
        .projects(org, false)
        .await
        .ok()
        .and_then(|p| p.first().map(|p| p.id.clone()));
    let releases = async {
        match &project {
            Some(id) => issues.releases(org, id, 1).await.map(drop),
            None => Ok(()),
        }
    };
    let (releases, members, teams) =
        tokio::join!(releases, issues.members(org, None), issues.teams(org));
    [
        ("the Resolve in… menu and /sentry releases", releases.err()),
        ("the assignee search", members.err()),
        ("assigning to teams", teams.err()),
    ]
    .into_iter()
    .filter_map(|(feature, error)| match error {
        Some(GrantError::Sentry(SentryError::Forbidden { scope })) => Some((feature, scope)),
        _ => None,
    })
    .collect()
}

/// Runs every check against the built services.
pub async fn run(state: &Services) -> Vec<Check> {
    let mut checks = vec![Check::pass("configuration is valid")];
    checks.push(match state.store.ping().await {
        Ok(()) => Check::pass(format!("store answers ({:?})", state.store.backend())),
        Err(e) => Check::fail(
            format!("store: {e}"),
            "check DATABASE_URL and that the database is reachable",
        ),
    });
    checks.push(match state.requests.slack.auth_test().await {
        Ok(identity) => Check::pass(format!(
            "Slack bot token works (workspace {}, bot user {})",
            identity.team, identity.user_id
        )),
        Err(e) => Check::fail(
            format!("Slack rejected the bot token or cannot be reached: {e}"),
            "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page, \
             and check SLACK_API_URL",
        ),
    });
    let orgs = match state.issues.linked_orgs().await {
        Ok(orgs) => orgs,
        Err(e) => {
            checks.push(Check::fail(
                format!("cannot list linked orgs: {e}"),
                "check the store",
            ));
            return checks;
        }
    };
    if orgs.is_empty() {
        checks.push(Check::pass(
            "no Sentry org linked yet (run /sentry link in Slack, or set SENTRY_AUTH_TOKEN and SENTRY_ORG)",
        ));
    }
    for org in orgs {
        checks.push(check_org(state, &org.org, org.kind).await);
    }
    checks
}

async fn check_org(state: &Services, org: &str, kind: GrantKind) -> Check {
    let relink = match kind {
        GrantKind::Static => {
            "replace SENTRY_AUTH_TOKEN with a token that has these scopes".to_string()
        }
        GrantKind::TapAuth => "run /sentry link in Slack and approve these scopes".to_string(),
    };
    let scopes = state.issues.token_scopes(org).await;
    let scopes = match scopes {
        Ok(scopes) => scopes,
        Err(e) => return Check::fail(format!("org {org}: {e}"), relink),
    };
    let server = match state.issues.probe(org).await {
        Ok(gaps) => summary(&gaps)
            .map(|s| format!(" ({s})"))
            .unwrap_or_default(),
        Err(e) => format!(" (could not probe the server: {e})"),
    };
    let mut missing: Vec<String> = FEATURE_SCOPES
        .iter()
        .filter(|(scope, _)| !covers(&scopes, scope))
        .map(|(scope, feature)| format!("{scope} ({feature})"))
        .collect();
    // A token's listed scopes are not the whole story: a server may keep an
    // endpoint behind a scope of its own. One read per feature finds out.
    for (feature, refused) in refused_reads(state, org).await {
        let line = format!("{refused} ({feature})");
        if !missing
            .iter()
            .any(|m| m.starts_with(&format!("{refused} ")))
        {
            missing.push(line);
        }
    }
    if missing.is_empty() {
        Check::pass(format!(
            "org {org}: token works with every scope the bot uses{server}"
        ))
    } else {
        Check::fail(
            format!("org {org}: token lacks {}{server}", missing.join(", ")),
            relink,
        )
    }
}
