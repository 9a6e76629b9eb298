//! `/sentry whoami`: whom a person acts as in each linked org, and whether
//! the action policy lets them act.

use crate::config::ActionPolicy;
use crate::context::{Context, Invocation};
use crate::orgs::failures;
use crate::sentry::capabilities::Gap;
use crate::slack::escape::escape_mrkdwn;
use crate::slack::Message;

/// `/sentry whoami`: per linked org, the Sentry member the person acts as
/// and whether the policy lets them act.
pub(crate) async fn whoami(ctx: &Context, who: &Invocation) -> Message {
    let orgs = match ctx.issues.linked_orgs().await {
        Ok(orgs) if orgs.is_empty() => return Message::mrkdwn(
            "No Sentry org is linked yet. A workspace admin can run `/sentry link` to connect one.",
        ),
        Ok(orgs) => orgs,
        Err(e) => return failures::grant_error(&e),
    };
    let policy = match ctx.action_policy {
        ActionPolicy::Members => "members of the org in Sentry (matched by Slack email)",
        ActionPolicy::Admins => "workspace admins",
        ActionPolicy::Anyone => "anyone in this workspace",
    };
    let mut lines = vec![format!(
        "*Who you are to Sentry* — changes from Slack are allowed for {policy}."
    )];
    for org in orgs {
        let name = escape_mrkdwn(&org.org);
        let line = match ctx.access().authorize(&org.org, &who.user_id).await {
            Ok(actor) => {
                let member = match (&actor.email, ctx.action_policy) {
                    (Some(email), _) => match ctx.issues.member_with_email(&org.org, email).await {
                        Ok(Some(m)) => match m.display_name().filter(|n| n != email) {
                            Some(name) => format!(
                                "you are *{}* ({}) in Sentry",
                                escape_mrkdwn(name),
                                escape_mrkdwn(email)
                            ),
                            None => format!("you are *{}* in Sentry", escape_mrkdwn(email)),
                        },
                        Ok(None) => format!("no member has your email {}", escape_mrkdwn(email)),
                        Err(_) => "members could not be read".to_string(),
                    },
                    (None, _) => "Slack did not share your email".to_string(),
                };
                let notes = if !ctx.sentry_notes {
                    "changes leave no note in Sentry (`SENTRY_NOTES` is off)"
                } else if ctx.issues.gaps(&org.org).contains(&Gap::Notes) {
                    "this server does not keep notes from Slack, so Sentry shows the token's owner"
                } else {
                    "notes name you"
                };
                format!(":white_check_mark: *{name}*: {member}; you may act, {notes}.")
            }
            Err(refused) => format!(":lock: *{name}*: {}", failures::refusal_reason(&refused)),
        };
        lines.push(line);
    }
    Message::mrkdwn(lines.join("\n"))
}
