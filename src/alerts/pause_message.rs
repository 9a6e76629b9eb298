//! The DM sent when Slack starts refusing a subscribed channel: what
//! happened, what fixes it, what waits, and a *Retry now* button. Pure.

use crate::commands::command::retry_command;
use crate::slack::escape::escape_mrkdwn;
use crate::slack::message::{command_button, context, section, Message};
use crate::slack::refusal::ChannelRefusal;

/// What Slack refused in `channel` (subscribed to `projects`), with
/// `waiting` alerts held meanwhile.
pub(crate) fn paused(
    channel: &str,
    why: ChannelRefusal,
    projects: &[String],
    waiting: i64,
) -> Message {
    let here = format!("<#{}>", escape_mrkdwn(channel));
    let what = why.what(&here);
    let covered = match projects {
        [] => String::new(),
        many => {
            let shown: Vec<String> = many.iter().take(5).map(|p| escape_mrkdwn(p)).collect();
            let more = many.len().saturating_sub(5);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!(" Subscribed there: {}{more}.", shown.join(", "))
        }
    };
    let held = match waiting {
        0 => "Alerts wait".to_string(),
        1 => "1 alert is waiting".to_string(),
        n => format!("{n} alerts are waiting"),
    };
    let title = format!(
        ":warning: *Sentry alerts are not reaching {here}*\nSlack refuses the bot's posts: {what}.{covered}"
    );
    let fix = format!("*To fix:* {}", why.fix(&here));
    let after = format!(
        "{held}; once it is fixed each arrives once (those older than a day as one catch-up). The bot tries again on its own; `/sentry doctor` in {here} shows the state."
    );
    let mut blocks = vec![section(&title), section(&fix), context(&[&after])];
    blocks.extend(command_button("Retry now", 0, &retry_command(channel)));
    Message {
        text: format!("Sentry alerts are not reaching {here}: {what}."),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dm_names_the_channel_the_fix_what_waits_and_offers_a_retry() {
        let message = paused(
            "C0PRIV",
            ChannelRefusal::NotInChannel,
            &["acme/api".to_string()],
            3,
        );
        let json = serde_json::to_string(&message.blocks).unwrap();
        assert!(message.text.contains("<#C0PRIV>"));
        assert!(json.contains("/invite @Sentry"));
        assert!(json.contains("3 alerts are waiting"));
        assert!(json.contains("Retry now"));
        assert!(json.contains("doctor retry C0PRIV"));
        assert!(json.contains("acme/api"));
    }
}
