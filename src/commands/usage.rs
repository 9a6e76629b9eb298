//! Answers to commands that could not be parsed: what was wrong, the usage
//! that fixes it, and an example.

use super::parse::ParseError;
use crate::render::escape::{escape_mrkdwn, escape_truncated};
use crate::render::message::{context, section, Message};

/// Longest echo of the person's own input.
const MAX_ECHO: usize = 500;

/// The answer to a malformed command.
pub fn usage_error(error: &ParseError) -> Message {
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
    let text = lines.join("\n");
    let hint = match error.subcommand() {
        Some(sub) => format!(
            "`/sentry help {}` explains it · `/sentry help` lists every command",
            sub.name()
        ),
        None => "`/sentry help` lists every command".to_string(),
    };
    Message {
        blocks: vec![section(&text), context(&[&hint])],
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::parse::parse;

    #[test]
    fn unknown_command_suggests_the_closest() {
        let err = parse("isues api").unwrap_err();
        let message = usage_error(&err);
        assert!(message.text.contains("`isues` is not a /sentry command"));
        assert!(message.text.contains("Did you mean `/sentry issues`?"));
    }

    #[test]
    fn malformed_arguments_show_usage_and_example() {
        let err = parse("issues").unwrap_err();
        let message = usage_error(&err);
        assert!(message
            .text
            .contains("Usage: `/sentry issues &lt;[org/]project&gt; [search query]`"));
        assert!(message.text.contains("Example: `/sentry issues api`"));
    }

    #[test]
    fn echoed_input_cannot_ping() {
        let err = parse("<!channel> hi").unwrap_err();
        let message = usage_error(&err);
        assert!(!message.text.contains("<!channel>"));
        assert!(message.text.contains("&lt;!channel&gt;"));
    }
}
