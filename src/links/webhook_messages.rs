//! Answers of `/sentry webhooks`: how to set up an org's internal
//! integration, what is configured now, and what changed.

use crate::links::messages::alert_source;
use crate::orgs::webhook_secrets::Endpoint;
use crate::slack::escape::escape_mrkdwn;
use crate::slack::message::{context, header, section, Message};

/// Where the org's client secret comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SecretSource {
    /// `SENTRY_WEBHOOK_SECRET`, for the static grant's org.
    Environment,
    /// Stored with `/sentry webhooks`, by whom and how long ago.
    Stored {
        /// Slack user who stored it.
        by: Option<String>,
        /// Seconds since.
        seconds_ago: Option<i64>,
    },
    /// None yet: deliveries are refused.
    Missing,
}

/// What `/sentry webhooks <org>` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Setup {
    /// Org slug.
    pub org: String,
    /// Where to deliver.
    pub endpoint: Endpoint,
    /// The secret in use.
    pub secret: SecretSource,
    /// Seconds since a verified delivery, when one ever arrived.
    pub last_delivery_seconds_ago: Option<i64>,
}

/// The steps in Sentry, with the org's URL, and the current state. Pure.
pub(crate) fn setup(facts: &Setup) -> Message {
    let org = escape_mrkdwn(&facts.org);
    let state = state_line(facts);
    let mut blocks = vec![
        header(&format!("Real-time alerts for {}", facts.org)),
        section(&state),
    ];
    let text;
    match &facts.endpoint {
        Endpoint::SocketModeOnly => {
            text = format!(
                "Webhooks for {org} need a public HTTPS address, and this bot runs over Socket Mode without one."
            );
            blocks.push(section(&format!(
                ":electric_plug: Sentry delivers webhooks over HTTPS to a public address. This bot \
                 reaches Slack over Socket Mode and has none configured, so *{org}* stays on polling \
                 (new issues are posted within `POLL_INTERVAL`).\n\
                 To use webhooks, expose the service on a public HTTPS address, set `PUBLIC_URL` to \
                 it, restart, and run `/sentry webhooks {org}` again."
            )));
        }
        Endpoint::Url(_) | Endpoint::Unknown => {
            let url = match &facts.endpoint {
                Endpoint::Url(url) => format!("`{}`", escape_mrkdwn(url)),
                _ => format!("`https://&lt;this bot's host&gt;/sentry/webhooks/{org}`"),
            };
            text = format!("To get real-time alerts for {org}, create an internal integration in Sentry that sends issue webhooks to {url}.");
            let secret_step = match facts.secret {
                SecretSource::Environment => {
                    "Save. This org's secret comes from the server's `SENTRY_WEBHOOK_SECRET`: \
                     copy the *Client Secret* there and restart."
                        .to_string()
                }
                _ => format!(
                    "Save, copy the *Client Secret* under *Credentials*, and run \
                     `/sentry webhooks {org} &lt;client secret&gt;` here. Only the bot sees the command's text."
                ),
            };
            blocks.push(section(&format!(
                "*In Sentry* (an org owner or manager):\n\
                 1. *Settings → Developer Settings → Custom Integrations → Create New Integration → Internal Integration*, named like _Slack alerts_.\n\
                 2. *Webhook URL*: {url}\n\
                 3. *Permissions*: Issue &amp; Event → *Read*. *Webhooks*: tick *issue* \
                 (created, resolved, assigned, archived, unresolved). Leave *Alert Rule Action* off.\n\
                 4. {secret_step}"
            )));
            if facts.endpoint == Endpoint::Unknown {
                blocks.push(context(&[
                    "The bot does not know its public address: set `PUBLIC_URL` (the host in the Slack app's Request URLs) and it shows the exact URL here.",
                ]));
            }
        }
    }
    blocks.push(context(&[
        "The poller keeps running as a backstop: an issue a webhook missed is still posted, and one seen by both is posted once.",
    ]));
    Message { text, blocks }
}

fn state_line(facts: &Setup) -> String {
    let secret = match &facts.secret {
        SecretSource::Environment => {
            ":key: secret from the server's `SENTRY_WEBHOOK_SECRET`".to_string()
        }
        SecretSource::Stored { by, seconds_ago } => {
            let by = by
                .as_deref()
                .map(|u| format!(" by <@{}>", escape_mrkdwn(u)))
                .unwrap_or_default();
            let when = seconds_ago
                .map(|s| format!(" {}", crate::links::messages::ago(s)))
                .unwrap_or_default();
            format!(":key: secret stored{by}{when}")
        }
        SecretSource::Missing => {
            ":no_entry_sign: no secret yet: deliveries are refused".to_string()
        }
    };
    format!(
        "*Now:* {} · {secret}",
        alert_source(facts.last_delivery_seconds_ago)
    )
}

/// The secret was stored (or replaced), `encrypted` at rest or not. Pure.
pub(crate) fn secret_stored(
    org: &str,
    endpoint: &Endpoint,
    replaced: bool,
    encrypted: bool,
) -> Message {
    let org = escape_mrkdwn(org);
    let verb = if replaced { "replaced" } else { "stored" };
    let at_rest = if encrypted {
        "encrypted at rest"
    } else {
        "in plain text in the bot's database (set `GRANT_ENCRYPTION_KEY` to encrypt it)"
    };
    let target = match endpoint {
        Endpoint::Url(url) => format!("Deliveries to `{}`", escape_mrkdwn(url)),
        _ => format!("Deliveries to `/sentry/webhooks/{org}`"),
    };
    Message::mrkdwn(format!(
        ":white_check_mark: Webhook secret {verb} for *{org}*, {at_rest}. {target} are verified with it from now on; \
         deliveries signed with any other secret are refused. When the first one arrives, `/sentry orgs` \
         shows *webhooks: live*. To rotate, run this command again with the new secret."
    ))
}

/// The static org's secret lives in the environment and cannot be set here. Pure.
pub(crate) fn secret_from_environment(org: &str) -> Message {
    Message::mrkdwn(format!(
        ":information_source: *{}*'s webhook secret comes from the server's `SENTRY_WEBHOOK_SECRET`. \
         Change it there and restart; nothing was stored.",
        escape_mrkdwn(org)
    ))
}

/// The stored secret was forgotten, or there was none. Pure.
pub(crate) fn secret_removed(org: &str, had_secret: bool) -> Message {
    let org = escape_mrkdwn(org);
    Message::mrkdwn(if had_secret {
        format!(
            ":wave: Forgot *{org}*'s webhook secret: its deliveries are refused from now on and alerts \
             come from polling. Delete the internal integration in Sentry too, or it keeps sending."
        )
    } else {
        format!("*{org}* has no stored webhook secret, so there is nothing to remove.")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::limits;

    fn facts(endpoint: Endpoint, secret: SecretSource) -> Setup {
        Setup {
            org: "acme".into(),
            endpoint,
            secret,
            last_delivery_seconds_ago: None,
        }
    }

    fn all_text(message: &Message) -> String {
        serde_json::to_string(&message.blocks).expect("blocks serialize")
    }

    #[test]
    fn setup_names_the_url_the_resources_and_the_next_command() {
        let message = setup(&facts(
            Endpoint::Url("https://bot.example.com/sentry/webhooks/acme".into()),
            SecretSource::Missing,
        ));
        let shown = all_text(&message);
        assert!(shown.contains("https://bot.example.com/sentry/webhooks/acme"));
        assert!(shown.contains("tick *issue*"));
        assert!(shown.contains("`/sentry webhooks acme &lt;client secret&gt;`"));
        assert!(shown.contains("deliveries are refused"));
        assert!(message.blocks.len() <= limits::MAX_BLOCKS);
    }

    #[test]
    fn socket_mode_is_told_webhooks_need_a_public_url() {
        let shown = all_text(&setup(&facts(
            Endpoint::SocketModeOnly,
            SecretSource::Missing,
        )));
        assert!(shown.contains("Socket Mode"));
        assert!(shown.contains("`PUBLIC_URL`"));
        assert!(!shown.contains("Webhook URL"));
    }

    #[test]
    fn the_static_org_is_pointed_at_the_environment() {
        let message = setup(&Setup {
            last_delivery_seconds_ago: Some(12),
            ..facts(Endpoint::Unknown, SecretSource::Environment)
        });
        let shown = all_text(&message);
        assert!(shown.contains("webhooks: live, last 12 s ago"));
        assert!(shown.contains("`SENTRY_WEBHOOK_SECRET`"));
        assert!(shown.contains("https://&lt;this bot's host&gt;/sentry/webhooks/acme"));
        assert!(!shown.contains("&lt;client secret&gt;"));
    }

    #[test]
    fn who_stored_the_secret_is_a_mention_and_the_org_is_escaped() {
        let mut stored = facts(
            Endpoint::Url("https://bot.example.com/sentry/webhooks/acme".into()),
            SecretSource::Stored {
                by: Some("U123".into()),
                seconds_ago: Some(7200),
            },
        );
        stored.org = "a<b".into();
        let shown = all_text(&setup(&stored));
        assert!(shown.contains("stored by <@U123> 2 h ago"));
        assert!(shown.contains("webhooks a&lt;b &lt;client"), "{shown}");
        assert!(secret_removed("a<b", true).text.contains("a&lt;b"));
    }
}
