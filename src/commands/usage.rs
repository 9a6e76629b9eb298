//! Answers to commands that could not be parsed: what was wrong, the usage
//! that fixes it, and an example.

use crate::commands::parse::{parse, Command, ParseError, WebhookChange};
use crate::slack::escape::{escape_mrkdwn, escape_truncated};
use crate::slack::message::fix_buttons;
use crate::slack::message::{context, section, Message};

/// Longest echo of the person's own input.
const MAX_ECHO: usize = 500;

/// The answer to the malformed command `text`: what was wrong, the usage,
/// and for a misspelt command a button that runs the corrected one.
pub(crate) fn usage_error(typed: &str, error: &ParseError) -> Message {
    let problem = escape_truncated(&error.to_string(), MAX_ECHO);
    let mut lines = vec![format!(":warning: {problem}.")];
    if let ParseError::UnknownCommand {
        suggestion: Some(suggestion),
        ..
    } = error
    {
        lines.push(format!("Did you mean `/sentry {}`?", suggestion.name()));
    }
    if let Some(sub) = error.subcommand() {
        lines.push(format!("Usage: `{}`", escape_mrkdwn(&sub.usage())));
        if let Some(example) = sub.examples().first() {
            lines.push(format!("Example: `/sentry {}`", escape_mrkdwn(example)));
        }
    }
    let lines_text = lines.join("\n");
    let hint = match error.subcommand() {
        Some(sub) => format!(
            "`/sentry help {}` explains it · `/sentry help` lists every command",
            sub.name()
        ),
        None => "`/sentry help` lists every command".to_string(),
    };
    let mut blocks = vec![section(&lines_text)];
    if let Some(fixed) = corrected(typed, error) {
        blocks.extend(fix_buttons(&[fixed]));
    }
    blocks.push(context(&[&hint]));
    Message {
        blocks,
        text: lines_text,
    }
}

/// `typed` with the misspelt command word replaced by the suggestion, when
/// the result is a command that parses.
fn corrected(typed: &str, error: &ParseError) -> Option<String> {
    let ParseError::UnknownCommand {
        given,
        suggestion: Some(suggestion),
    } = error
    else {
        return None;
    };
    let fixed = typed.trim().replacen(given.as_str(), suggestion.name(), 1);
    match parse(&fixed) {
        // A secret must never ride on a button's label or value.
        Ok(Command::Webhooks {
            change: WebhookChange::SetSecret(_),
            ..
        })
        | Err(_) => None,
        Ok(_) => Some(fixed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::parse::parse;

    #[test]
    fn unknown_command_suggests_the_closest() {
        let err = parse("isues api").unwrap_err();
        let message = usage_error("isues api", &err);
        assert!(message.text.contains("`isues` is not a /sentry command"));
        assert!(message.text.contains("Did you mean `/sentry issues`?"));
        // One click runs the corrected command.
        let json = serde_json::to_string(&message.blocks).unwrap();
        assert!(json.contains("\"action_id\":\"run:0\""), "{json}");
        assert!(json.contains("/sentry issues api"), "{json}");
        // No button when the correction would not parse either.
        let err = parse("isues").unwrap_err();
        let json = serde_json::to_string(&usage_error("isues", &err).blocks).unwrap();
        assert!(!json.contains("run:0"), "{json}");
        // A misspelt `webhooks` with a secret gets no button carrying it.
        let typed = format!("webhook acme {}", "5f1c".repeat(16));
        let err = parse(&typed).unwrap_err();
        let json = serde_json::to_string(&usage_error(&typed, &err).blocks).unwrap();
        assert!(!json.contains("run:0"), "{json}");
        assert!(!json.contains(&"5f1c".repeat(16)), "{json}");
    }

    #[test]
    fn malformed_arguments_show_usage_and_example() {
        let err = parse("issues").unwrap_err();
        let message = usage_error("issues", &err);
        assert!(message
            .text
            .contains("Usage: `/sentry issues &lt;[org/]project&gt; [search query]`"));
        assert!(message.text.contains("Example: `/sentry issues api`"));
    }

    #[test]
    fn echoed_input_cannot_ping() {
        let err = parse("<!channel> hi").unwrap_err();
        let message = usage_error("<!channel> hi", &err);
        assert!(!message.text.contains("<!channel>"));
        assert!(message.text.contains("&lt;!channel&gt;"));
    }
}
