//! Slack refusals that retrying cannot fix, sorted by what fixes them: the
//! channel (invite the bot, unarchive, pick another channel, ask an
//! admin) or the message itself (too long, invalid blocks). Pure.

use crate::slack::SlackError;

/// Why Slack would not take a post, when retrying the same post cannot help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The channel refuses every post until someone fixes it.
    Channel(ChannelRefusal),
    /// This message is refused; a simpler one would be taken.
    Message,
}

/// What about a channel makes Slack refuse posts to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChannelRefusal {
    /// `not_in_channel`: a private channel the bot was never invited to.
    NotInChannel,
    /// `is_archived`.
    Archived,
    /// `channel_not_found`: deleted, or never visible to the bot.
    NotFound,
    /// `restricted_action` and its kin: the workspace or channel restricts
    /// who may post.
    Restricted,
}

impl ChannelRefusal {
    /// The refusal of Slack's error code `code`, when it is about the channel.
    pub(crate) fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "not_in_channel" => Self::NotInChannel,
            "is_archived" => Self::Archived,
            "channel_not_found" => Self::NotFound,
            // Thread-only and non-threadable channels refuse one kind of
            // post, not every post: those alerts fail on their own.
            "restricted_action"
            | "restricted_action_read_only_channel"
            | "team_access_not_granted"
            | "ekm_access_denied" => Self::Restricted,
            _ => return None,
        })
    }

    /// What happened, as a clause: "the bot is not a member of <#C…>".
    pub(crate) fn what(self, channel_mention: &str) -> String {
        match self {
            Self::NotInChannel => format!("the bot is not a member of {channel_mention}"),
            Self::Archived => format!("{channel_mention} is archived"),
            Self::NotFound => format!("{channel_mention} was deleted or the bot cannot see it"),
            Self::Restricted => {
                format!("the workspace does not let the bot post in {channel_mention}")
            }
        }
    }

    /// What to do about it, as a sentence.
    pub(crate) fn fix(self, channel_mention: &str) -> String {
        match self {
            Self::NotInChannel => format!(
                "Invite the bot to {channel_mention}: type `/invite @Sentry` there (or mention the app and add it)."
            ),
            Self::Archived => format!(
                "Unarchive {channel_mention}, or subscribe another channel and `/sentry unsubscribe` this one."
            ),
            Self::NotFound => format!(
                "If {channel_mention} is private, invite the bot there: `/invite @Sentry`. If it was deleted, subscribe another channel."
            ),
            Self::Restricted => format!(
                "Ask a workspace admin to let apps post in {channel_mention} (channel posting permissions)."
            ),
        }
    }
}

/// The refusal behind `error`, when retrying the same post cannot help.
pub(crate) fn refusal(error: &SlackError) -> Option<Refusal> {
    let SlackError::Api(code) = error else {
        return None;
    };
    if let Some(channel) = ChannelRefusal::from_code(code) {
        return Some(Refusal::Channel(channel));
    }
    matches!(
        code.as_str(),
        "invalid_blocks"
            | "invalid_blocks_format"
            | "msg_too_long"
            | "no_text"
            | "invalid_attachments"
    )
    .then_some(Refusal::Message)
}

/// Slack's code in an error stored as words (`Slack refused the call:
/// msg_too_long` → `msg_too_long`), which is what people can look up.
pub(crate) fn stored_code(stored: &str) -> &str {
    stored
        .strip_prefix("Slack refused the call: ")
        .unwrap_or(stored)
}

/// Slack's error code in `error`, for metrics (`other` when it is no code).
pub(crate) fn reason_label(error: &SlackError) -> String {
    match error {
        SlackError::Api(code) => code.clone(),
        SlackError::RateLimited { .. } => "ratelimited".into(),
        SlackError::Status { status, .. } => format!("http_{status}"),
        SlackError::Unreachable(_) => "unreachable".into(),
        SlackError::Setup(_) => "setup".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_and_message_refusals_are_told_apart_and_outages_are_neither() {
        let api = |code: &str| SlackError::Api(code.into());
        assert_eq!(
            refusal(&api("not_in_channel")),
            Some(Refusal::Channel(ChannelRefusal::NotInChannel))
        );
        assert_eq!(
            refusal(&api("is_archived")),
            Some(Refusal::Channel(ChannelRefusal::Archived))
        );
        assert_eq!(
            refusal(&api("restricted_action")),
            Some(Refusal::Channel(ChannelRefusal::Restricted))
        );
        assert_eq!(refusal(&api("invalid_blocks")), Some(Refusal::Message));
        assert_eq!(refusal(&api("msg_too_long")), Some(Refusal::Message));
        assert_eq!(refusal(&api("invalid_auth")), None);
        assert_eq!(
            refusal(&SlackError::Status {
                status: 503,
                body: String::new()
            }),
            None
        );
        assert_eq!(reason_label(&api("is_archived")), "is_archived");
        assert_eq!(
            stored_code(&api("msg_too_long").to_string()),
            "msg_too_long"
        );
        assert_eq!(stored_code("timed out"), "timed out");
    }

    #[test]
    fn every_channel_refusal_names_the_channel_and_a_fix() {
        for refusal in [
            ChannelRefusal::NotInChannel,
            ChannelRefusal::Archived,
            ChannelRefusal::NotFound,
            ChannelRefusal::Restricted,
        ] {
            assert!(refusal.what("<#C1>").contains("<#C1>"));
            assert!(!refusal.fix("<#C1>").is_empty());
        }
        assert!(ChannelRefusal::NotInChannel
            .fix("<#C1>")
            .contains("`/invite @Sentry`"));
    }
}
