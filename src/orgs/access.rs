//! Who may act: clicks and subscriptions act with the org's token, so the
//! bot decides who may use it (`ACTION_POLICY`). By default a Slack user
//! acts only when their Slack profile email belongs to a member of the
//! org in Sentry; `admins` allows workspace admins and `ADMIN_SLACK_USERS`;
//! `anyone` allows everyone in the workspace.

use crate::config::ActionPolicy;
use crate::orgs::grants::GrantError;
use crate::orgs::issue_service::IssueService;
use crate::slack::web::SlackWeb;

/// The person acting, as named in Sentry notes and messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// Slack user id.
    pub slack_user: String,
    /// Their Slack name.
    pub name: String,
    /// Their Slack profile email, when Slack shares it.
    pub email: Option<String>,
    /// The Sentry user they match, when known.
    pub sentry_user_id: Option<String>,
}

impl Actor {
    /// `Name (email)`, or the name alone.
    pub fn label(&self) -> String {
        match &self.email {
            Some(email) => format!("{} ({email})", self.name),
            None => self.name.clone(),
        }
    }
}

/// Why someone may not act in an org; [`crate::orgs::failures::refusal`]
/// puts it in words.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// `ACTION_POLICY=admins` and they are not one.
    #[error("only workspace admins may act")]
    NotAdmin,
    /// `ACTION_POLICY=members` and Slack did not share their email.
    #[error("Slack did not share the person's email")]
    NoEmail,
    /// `ACTION_POLICY=members` and no member of `org` has their email.
    #[error("{email} is not a member of {org} in Sentry")]
    NotMember {
        /// Their Slack profile email.
        email: String,
        /// The org.
        org: String,
    },
    /// The org's members could not be read.
    #[error(transparent)]
    Sentry(#[from] GrantError),
}

/// What deciding who may act needs: Slack profiles, Sentry members, the
/// policy and the admin list. Borrowed from the caller's services.
#[derive(Clone, Copy, Debug)]
pub struct Access<'a> {
    /// Slack profiles (name, email, admin flag).
    pub slack: &'a SlackWeb,
    /// Sentry members, by email.
    pub issues: &'a IssueService,
    /// `ACTION_POLICY`.
    pub action_policy: ActionPolicy,
    /// `ADMIN_SLACK_USERS`.
    pub admins: &'a [String],
}

impl Access<'_> {
    /// Whether `slack_user` may change things in `org` under the configured
    /// policy; the person as known, or why not.
    pub async fn authorize(&self, org: &str, slack_user: &str) -> Result<Actor, Refusal> {
        let profile = match self.slack.user_profile(slack_user).await {
            Ok(profile) => Some(profile),
            Err(e) => {
                tracing::warn!(error = %e, "users.info failed");
                None
            }
        };
        let mut actor = Actor {
            slack_user: slack_user.to_string(),
            name: profile
                .as_ref()
                .map_or_else(|| slack_user.to_string(), |p| p.name.clone()),
            email: profile.as_ref().and_then(|p| p.email.clone()),
            sentry_user_id: None,
        };
        match self.action_policy {
            ActionPolicy::Anyone => Ok(actor),
            ActionPolicy::Admins => {
                let listed = self.admins.iter().any(|u| u == slack_user);
                if listed || profile.is_some_and(|p| p.admin) {
                    Ok(actor)
                } else {
                    Err(Refusal::NotAdmin)
                }
            }
            ActionPolicy::Members => {
                let Some(email) = actor.email.clone() else {
                    return Err(Refusal::NoEmail);
                };
                match self.issues.member_with_email(org, &email).await {
                    Ok(Some(member)) => {
                        actor.sentry_user_id = member.user.as_ref().map(|u| u.id.clone());
                        Ok(actor)
                    }
                    Ok(None) => Err(Refusal::NotMember {
                        email,
                        org: org.to_string(),
                    }),
                    Err(e) => Err(Refusal::Sentry(e)),
                }
            }
        }
    }
}
