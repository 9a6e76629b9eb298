//! Failures in plain words, each saying what to do next.

use crate::orgs::access::Refusal;
use crate::orgs::grants::tapauth::TapAuthError;
use crate::orgs::grants::GrantError;

use crate::sentry::SentryError;
use crate::slack::escape::escape_mrkdwn;
use crate::slack::message::Message;

/// Why someone may not act, as the answer they get.
pub(crate) fn refusal(refusal: &Refusal) -> Message {
    match refusal {
        Refusal::Sentry(e) => grant_error(e),
        policy => Message::mrkdwn(format!(":lock: {}", refusal_reason(policy))),
    }
}

/// Why someone may not act, as a clause for a line of its own.
pub(crate) fn refusal_reason(refusal: &Refusal) -> String {
    match refusal {
        Refusal::NotAdmin => "Only workspace admins can change Sentry issues from Slack here. \
                              Ask one of them, or act in Sentry."
            .to_string(),
        Refusal::NoEmail => "Slack did not share your email, so the bot cannot tell whether you are a member of this org in Sentry \
                             (the bot needs the `users:read.email` scope). Act in Sentry instead."
            .to_string(),
        Refusal::NotMember { email, org } => format!(
            "Your Slack email {} is not a member of *{}* in Sentry — ask an org owner to invite you.",
            escape_mrkdwn(email),
            escape_mrkdwn(org)
        ),
        Refusal::Sentry(e) => grant_error(e).text,
    }
}

/// Words for a failure while serving `org`.
pub(crate) fn grant_error(error: &GrantError) -> Message {
    Message::mrkdwn(match error {
        GrantError::NotLinked { org } => format!(
            ":link: The Sentry org *{}* is not linked. A workspace admin can connect it with `/sentry link`; \
             `/sentry orgs` lists the linked orgs.",
            escape_mrkdwn(org)
        ),
        GrantError::NeedsRelink { org } => format!(
            ":red_circle: The connection to *{}* no longer works (it was revoked or expired). \
             A workspace admin can run `/sentry link` to connect it again.",
            escape_mrkdwn(org)
        ),
        GrantError::StaticTokenRejected { org } => format!(
            ":red_circle: Sentry rejected the SENTRY_AUTH_TOKEN the server uses for *{}*. \
             Ask whoever runs the bot to replace it.",
            escape_mrkdwn(org)
        ),
        GrantError::Broker(TapAuthError::Unavailable(_)) => {
            ":hourglass: TapAuth, which holds the Sentry connection, cannot be reached right now. \
             Try again in a minute."
                .to_string()
        }
        GrantError::Broker(TapAuthError::Decode(_)) => {
            ":warning: TapAuth answered in a form this version of the bot does not understand. \
             Ask whoever runs the bot to check TAPAUTH_URL and update the bot."
                .to_string()
        }
        GrantError::Broker(_) => {
            ":red_circle: TapAuth no longer recognises this connection. A workspace admin can run \
             `/sentry link` to connect the org again."
                .to_string()
        }
        GrantError::Seal(e) => format!(
            ":warning: The bot cannot read its stored connection: {}. Ask whoever runs the bot to check \
             GRANT_ENCRYPTION_KEY.",
            escape_mrkdwn(&e.to_string())
        ),
        GrantError::Store(_) => {
            ":warning: The bot's database is not answering. Try again in a minute; if it persists, \
             ask whoever runs the bot to check `/readyz`."
                .to_string()
        }
        GrantError::Shared(reason) => format!(
            ":warning: The Sentry connection could not be used right now ({}). Try again in a minute.",
            escape_mrkdwn(reason)
        ),
        GrantError::Sentry(e) => return sentry_error(e),
    })
}

/// Words for a failed issue list: a rejected search query is quoted back.
pub(crate) fn list_error(query: &str, error: &GrantError) -> Message {
    match error {
        GrantError::Sentry(SentryError::BadRequest { detail }) => Message::mrkdwn(format!(
            ":warning: Sentry did not accept the query {}: {}",
            crate::slack::escape::inline_code(query, 300),
            escape_mrkdwn(detail)
        )),
        other => grant_error(other),
    }
}

/// Words for a Sentry failure.
pub(crate) fn sentry_error(error: &SentryError) -> Message {
    Message::mrkdwn(match error {
        SentryError::Unauthorized => {
            ":red_circle: Sentry rejected the token. A workspace admin can run `/sentry link` to connect the org again."
                .to_string()
        }
        // Re-linking only asks for the scopes TAPAUTH_SCOPES lists, so the
        // advice names the setting as well as the command.
        SentryError::Forbidden { scope } => format!(
            ":no_entry: The Sentry connection lacks the `{scope}` scope this needs. A workspace admin can add \
             `{scope}` to `TAPAUTH_SCOPES` on the server and run `/sentry link` to approve it; with a static \
             token, replace `SENTRY_AUTH_TOKEN` with one that has it."
        ),
        SentryError::NotFound { what } => format!(
            ":mag: Sentry has no such {what}, or the connection cannot see it."
        ),
        SentryError::EndpointMissing { endpoint, .. } => format!(
            ":warning: This Sentry server has no {endpoint} endpoint, so this cannot be shown here."
        ),
        SentryError::Unsupported { what } => {
            format!(":information_source: This Sentry server does not support {what}.")
        }
        SentryError::BadRequest { detail } => format!(
            ":warning: Sentry did not accept that: {}",
            escape_mrkdwn(detail)
        ),
        SentryError::RateLimited { .. } => format!(
            ":hourglass: Sentry is rate limiting this org. Try again in {} s.",
            error.retry_after_secs().unwrap_or(60)
        ),
        SentryError::Unavailable { .. } => {
            ":hourglass: Sentry is not answering right now. Try again in a minute.".to_string()
        }
        SentryError::Decode { endpoint, .. } => format!(
            ":warning: Sentry's answer ({endpoint}) was not understood. If this Sentry is self-hosted or \
             compatible, it may be older than the bot expects."
        ),
        SentryError::Setup(_) => {
            ":warning: The bot could not prepare the Sentry request. Ask whoever runs the bot to check SENTRY_URL."
                .to_string()
        }
        SentryError::TooSlow { waited } => return sentry_too_slow(*waited),
    })
}

/// Too many answers are in progress; nothing was done.
pub(crate) fn busy() -> Message {
    Message::mrkdwn(
        ":hourglass: Too many requests are waiting on Sentry right now, so this one was not started. \
         Nothing was changed; try again in a minute.",
    )
}

/// A command that only reads stopped waiting for Sentry after `waited`.
pub(crate) fn sentry_too_slow(waited: std::time::Duration) -> Message {
    Message::mrkdwn(format!(
        ":hourglass: Sentry did not answer within {} s: it is slow or rate limiting right now, \
         so the bot stopped waiting. Try again in a minute.",
        waited.as_secs().max(1)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_sentry_says_how_long_the_bot_waited() {
        let text = sentry_error(&SentryError::TooSlow {
            waited: std::time::Duration::from_millis(400),
        })
        .text;
        assert!(text.contains("Sentry did not answer within 1 s"), "{text}");
        assert!(text.contains("Try again in a minute"), "{text}");
    }

    #[test]
    fn a_tapauth_answer_that_does_not_parse_is_called_that() {
        let text = grant_error(&GrantError::Broker(TapAuthError::Decode("x".into()))).text;
        assert!(text.contains("does not understand"), "{text}");
        assert!(!text.contains("no longer recognises"), "{text}");
    }

    #[test]
    fn each_error_says_what_to_do_next() {
        let text = grant_error(&GrantError::NotLinked {
            org: "<!channel>".into(),
        })
        .text;
        assert!(text.contains("&lt;!channel&gt;"));
        assert!(text.contains("/sentry link"));
        let text = sentry_error(&SentryError::Forbidden {
            scope: "event:write".into(),
        })
        .text;
        assert!(text.contains("`event:write`"));
        assert!(text.contains("to `TAPAUTH_SCOPES`"), "{text}");
        assert!(text.contains("`SENTRY_AUTH_TOKEN`"), "{text}");
        let until = std::time::SystemTime::now() + std::time::Duration::from_secs(30);
        let text = sentry_error(&SentryError::RateLimited { until }).text;
        assert!(
            text.contains("Try again in 30 s") || text.contains("Try again in 29 s"),
            "{text}"
        );
    }
}
