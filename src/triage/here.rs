//! "Mute here" / "Unmute here" on an alert: one channel stops (or resumes)
//! hearing follow-ups about one issue, regressions and thread replies
//! alike. Nothing is sent to Sentry; other channels keep theirs.

use crate::context::{Context, Invocation};
use crate::issues::answers::{show_issue, View};
use crate::orgs::failures;
use crate::slack::escape::escape_mrkdwn;
use crate::slack::{Message, Reply, Visibility};

/// Mutes (`mute`) or unmutes `org`'s issue `issue_id` in the clicker's
/// channel, and redraws the alert to show it.
pub(crate) async fn apply(
    ctx: &Context,
    who: &Invocation,
    org: &str,
    issue_id: &str,
    mute: bool,
) -> Reply {
    match ctx.issues.linked_orgs().await {
        Ok(orgs) if orgs.iter().any(|o| o.org == org) => {}
        Ok(_) => {
            return Reply::ephemeral(Message::mrkdwn(format!(
                ":no_entry: That button is for the Sentry org *{}*, which is not linked here. Nothing was changed.",
                escape_mrkdwn(org)
            )))
        }
        Err(e) => return Reply::ephemeral(failures::grant_error(&e)),
    }
    // Muting changes what the channel hears, like a subscription does.
    if let Err(refused) = ctx.access().authorize(org, &who.user_id).await {
        return Reply::ephemeral(failures::refusal(&refused));
    }
    let channel = &who.channel_id;
    if channel.starts_with('D') {
        return Reply::ephemeral(Message::mrkdwn(
            "Mute here is for alerts in a channel; `/sentry notify` turns off your DMs.",
        ));
    }
    let stored = if mute {
        ctx.store
            .mute_here(channel, org, issue_id, &who.user_id)
            .await
    } else {
        match ctx.store.unmute_here(channel, org, issue_id).await {
            Ok(false) => return Reply::ephemeral(Message::mrkdwn(
                ":information_source: This issue is not muted in this channel, so nothing changed.",
            )),
            other => other.map(|_| ()),
        }
    };
    if let Err(e) = stored {
        tracing::error!(error = %e, "cannot store the channel's mute");
        return Reply::ephemeral(Message::mrkdwn(
            ":warning: The bot could not save that (its database failed). Try again in a moment.",
        ));
    }
    tracing::info!(org, issue = issue_id, channel = %channel, mute, "issue muted or unmuted in a channel");
    let issue = match ctx.issues.get(org, issue_id).await {
        Ok(issue) => issue,
        Err(e) => {
            // Stored either way; only the redraw is missing.
            tracing::info!(org, issue = issue_id, error = %e, "could not read the issue to redraw it");
            return Reply::ephemeral(Message::mrkdwn(said(mute, &who.user_id)));
        }
    };
    let view = View {
        status_line: Some(said(mute, &who.user_id)),
        in_channel: true,
        here: Some(mute),
        ..View::default()
    };
    let message = show_issue(ctx, org, &issue, &view).await;
    Reply {
        visibility: Visibility::InChannel,
        text: message.text,
        blocks: message.blocks,
        replace_original: true,
    }
}

/// The line under the card that says who did what.
pub(crate) fn said(mute: bool, user: &str) -> String {
    let user = escape_mrkdwn(user);
    if mute {
        format!(
            ":no_bell: Muted here by <@{user}>: this channel gets no more follow-ups about this issue \
             (regressions, thread replies). Sentry is unchanged."
        )
    } else {
        format!(":bell: Unmuted here by <@{user}>: follow-ups about this issue come here again.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_who_and_says_sentry_is_untouched() {
        let muted = said(true, "U0ALICE");
        assert!(muted.starts_with(":no_bell: Muted here by <@U0ALICE>"));
        assert!(muted.contains("Sentry is unchanged"));
        assert!(said(false, "U0ALICE").starts_with(":bell: Unmuted here by <@U0ALICE>"));
        assert!(!said(true, "<!channel>").contains("<!channel>"));
    }
}
