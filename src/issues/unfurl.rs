//! Link unfurls: a Sentry issue URL pasted in a channel becomes the issue's
//! summary with its buttons, using the grant of the org in the URL. URLs of
//! orgs that are not linked are left alone.

use crate::commands::parse::parse_issue_ref;
use crate::context::Context;
use crate::issues::card::{issue_card, Card, Controls};
use crate::sentry::issue_ref::IssueRef;
use crate::slack::Message;

/// Unfurls the Sentry issue links among `urls` in the message at `ts`.
pub(crate) async fn unfurl(ctx: &Context, channel: &str, ts: &str, urls: &[String]) {
    let linked: Vec<String> = match ctx.issues.linked_orgs().await {
        Ok(orgs) => orgs.into_iter().map(|o| o.org).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list linked orgs for unfurling");
            return;
        }
    };
    let mut unfurls: Vec<(String, Message)> = Vec::new();
    for url in urls {
        let Ok(IssueRef::Url { org: Some(org), id }) = parse_issue_ref(url) else {
            continue;
        };
        if !linked.contains(&org) {
            tracing::debug!(%org, "link to an org that is not linked; left alone");
            continue;
        }
        let issue = ctx.issues.get(&org, &id).await;
        match issue {
            Ok(issue) => {
                let event = ctx.issues.event_for_alert(&org, &issue.id, false).await;
                let card = Card {
                    event: event.as_deref(),
                    controls: Controls::for_server(&ctx.issues.gaps(&org)),
                    ..Card::new(&org, &issue)
                };
                unfurls.push((url.clone(), issue_card(&card)));
            }
            Err(e) => tracing::info!(%org, issue = %id, error = %e, "cannot unfurl"),
        }
    }
    if unfurls.is_empty() {
        return;
    }
    let count = unfurls.len();
    match ctx.slack.unfurl(channel, ts, unfurls).await {
        Ok(()) => tracing::info!(channel, count, "links unfurled"),
        Err(e) => tracing::warn!(channel, error = %e, "chat.unfurl failed"),
    }
}
