//! `/sentry help`: every command with an example, or one command in detail.

use std::sync::OnceLock;

use crate::commands::parse::Subcommand;
use crate::slack::escape::escape_mrkdwn;
use crate::slack::message::{context, header, section, Message};
use crate::slack::{PreparedReply, Reply};

const SEARCH_DOCS: &str = "https://docs.sentry.io/concepts/search/";

/// Help for every command.
pub(crate) fn overview() -> Message {
    let mut blocks = vec![
        header("Sentry for Slack"),
        section(
            "List and act on Sentry issues without leaving Slack, and get alerts in channels. \
             Answers are visible only to you until you share them.",
        ),
    ];
    let mut text = String::from("Sentry for Slack commands:\n");
    for sub in Subcommand::all() {
        let example = sub.examples().first().copied().unwrap_or_default();
        blocks.push(section(&format!(
            "*`{}`*\n{}\n_Example:_ `/sentry {}`",
            escape_mrkdwn(&sub.usage()),
            escape_mrkdwn(sub.summary()),
            escape_mrkdwn(example)
        )));
        text.push_str(&format!(
            "{} — {}\n",
            escape_mrkdwn(&sub.usage()),
            sub.summary()
        ));
    }
    blocks.push(context(&[&format!(
        "`/sentry help &lt;command&gt;` explains one command · search syntax: <{SEARCH_DOCS}|Sentry search>"
    )]));
    Message { text, blocks }
}

/// The help reply for `topic` (every command when `None`), rendered and
/// serialized once per process: help never changes while the service runs,
/// and it is the command people run most.
pub(crate) fn prepared(topic: Option<Subcommand>) -> &'static PreparedReply {
    static REPLIES: OnceLock<Vec<PreparedReply>> = OnceLock::new();
    let replies = REPLIES.get_or_init(|| {
        std::iter::once(overview())
            .chain(Subcommand::all().map(self::topic))
            .map(|message| PreparedReply::new(Reply::ephemeral(message)))
            .collect()
    });
    let index = topic.map_or(0, |sub| {
        1 + Subcommand::all().position(|s| s == sub).unwrap_or_default()
    });
    &replies[index]
}

/// Help for one command.
pub(crate) fn topic(sub: Subcommand) -> Message {
    // Usage lines are full of `<placeholder>`s: escaped, or Slack eats them.
    let mut body = format!(
        "*`{}`*\n{}",
        escape_mrkdwn(&sub.usage()),
        escape_mrkdwn(sub.summary())
    );
    if let Some(details) = details(sub) {
        body.push_str("\n\n");
        body.push_str(&escape_mrkdwn(details));
    }
    let examples = sub
        .examples()
        .iter()
        .map(|e| format!("• `/sentry {}`", escape_mrkdwn(e)))
        .collect::<Vec<_>>()
        .join("\n");
    let blocks = vec![
        header(&format!("/sentry {}", sub.name())),
        section(&body),
        section(&format!("*Examples*\n{examples}")),
        context(&["`/sentry help` lists every command"]),
    ];
    Message {
        text: format!("{} — {}", escape_mrkdwn(&sub.usage()), sub.summary()),
        blocks,
    }
}

fn details(sub: Subcommand) -> Option<&'static str> {
    sub.spec().details
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::limits;
    use slack_morphism::prelude::*;

    fn section_texts(message: &Message) -> Vec<String> {
        message
            .blocks
            .iter()
            .filter_map(|b| match b {
                SlackBlock::Section(s) => match &s.text {
                    Some(SlackBlockText::MarkDown(md)) => Some(md.text.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    #[test]
    fn prepared_help_is_the_rendered_help_for_every_topic() {
        assert_eq!(help_reply(None), Reply::ephemeral(overview()), "overview");
        for sub in Subcommand::all() {
            assert_eq!(help_reply(Some(sub)), Reply::ephemeral(topic(sub)), "{sub}");
            let json: serde_json::Value =
                serde_json::from_slice(&prepared(Some(sub)).json).unwrap();
            assert_eq!(
                json,
                serde_json::to_value(Reply::ephemeral(topic(sub))).unwrap()
            );
        }
    }

    fn help_reply(topic: Option<Subcommand>) -> Reply {
        prepared(topic).reply.clone()
    }

    #[test]
    fn overview_lists_every_command_with_an_example_within_limits() {
        let help = overview();
        assert!(help.blocks.len() <= limits::MAX_BLOCKS);
        let texts = section_texts(&help).join("\n");
        for sub in Subcommand::all() {
            assert!(
                texts.contains(&escape_mrkdwn(&sub.usage())),
                "{sub} missing"
            );
            assert!(
                help.text.contains(&escape_mrkdwn(&sub.usage())),
                "{sub} missing in fallback"
            );
        }
        assert!(texts.contains("_Example:_ `/sentry issues api`"));
        for text in section_texts(&help) {
            assert!(text.chars().count() <= limits::MAX_SECTION_TEXT);
        }
    }

    #[test]
    fn topic_explains_options() {
        let help = topic(Subcommand::Subscribe);
        let texts = section_texts(&help).join("\n");
        assert!(texts.contains("--digest N"));
        assert!(texts.contains("at most 40"));
        assert!(texts.contains("`/sentry subscribe api level:error`"));
    }

    #[test]
    fn placeholders_are_escaped_so_slack_shows_them() {
        let overview = serde_json::to_string(&overview().blocks).expect("json");
        let issue = section_texts(&topic(Subcommand::Issue)).join("\n");
        assert!(issue.contains("&lt;SHORT-ID | issue id | issue URL&gt;"));
        let webhooks = section_texts(&topic(Subcommand::Webhooks)).join("\n");
        assert!(webhooks.contains("&lt;client secret&gt;"));
        for text in [&overview, &issue, &webhooks] {
            // The one raw `<…>` left is the link to Sentry's search docs.
            let raw: Vec<&str> = text.match_indices('<').map(|(i, _)| &text[i..]).collect();
            assert!(
                raw.iter().all(|r| r.starts_with("<https://docs.sentry.io")),
                "raw <…> in {text}"
            );
        }
    }
}
