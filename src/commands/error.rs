//! What was wrong with a `/sentry` command, said so a person can fix it.

use crate::commands::command::Subcommand;

/// What was wrong with a command, in words a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The first word is not a subcommand.
    #[error("`{given}` is not a /sentry command")]
    UnknownCommand {
        /// What was typed.
        given: String,
        /// The closest subcommand by spelling.
        suggestion: Option<Subcommand>,
    },
    /// A required argument is missing.
    #[error("`{command}` needs {what}")]
    MissingArgument {
        /// The subcommand.
        command: Subcommand,
        /// The argument, described.
        what: &'static str,
    },
    /// More arguments than the subcommand takes.
    #[error("`{command}` does not take `{given}`")]
    UnexpectedArgument {
        /// The subcommand.
        command: Subcommand,
        /// The first extra argument.
        given: String,
    },
    /// Not `project` or `org/project` made of slug characters.
    #[error(
        "`{given}` is not a project: use `project` or `org/project` (letters, digits, `-`, `_`)"
    )]
    InvalidProject {
        /// The subcommand.
        command: Subcommand,
        /// What was typed.
        given: String,
    },
    /// Not an org slug.
    #[error("`{given}` is not an org slug (letters, digits, `-`, `_`)")]
    InvalidOrg {
        /// The subcommand.
        command: Subcommand,
        /// What was typed.
        given: String,
    },
    /// Not a short ID, numeric id or issue URL.
    #[error(
        "`{given}` is not an issue: use a short ID like `API-3F`, a numeric id, or an issue URL"
    )]
    InvalidIssue {
        /// What was typed.
        given: String,
    },
    /// An option the subcommand does not know.
    #[error("`{given}` is not an option of `{command}`")]
    UnknownOption {
        /// The subcommand.
        command: Subcommand,
        /// What was typed.
        given: String,
    },
    /// An option value out of range or missing.
    #[error("`{option}` needs {expected}")]
    InvalidOptionValue {
        /// The subcommand.
        command: Subcommand,
        /// The option.
        option: &'static str,
        /// What a valid value looks like.
        expected: String,
    },
    /// Not something an integration's client secret looks like. The value
    /// is not echoed: it may be a real secret with a typo.
    #[error("that does not look like `<org> <client secret>`: name the org first, then the secret Sentry shows under the integration's Credentials (64 letters and digits)")]
    InvalidSecret,
    /// Not a Slack user or a Sentry identity where one belongs. What was
    /// typed is echoed escaped by the usage answer, so it cannot ping.
    #[error("`{given}` is not {expected}")]
    InvalidPerson {
        /// The subcommand.
        command: Subcommand,
        /// What was typed, escaped by whoever shows it.
        given: String,
        /// What belongs there.
        expected: &'static str,
    },
    /// A mute's length or quiet hours that cannot be read.
    #[error("`{command}` needs {expected}")]
    InvalidTime {
        /// The subcommand.
        command: Subcommand,
        /// What was wrong, said as what belongs there.
        expected: String,
    },
    /// A `"` opened and never closed.
    #[error("the search query has a `\"` that is never closed")]
    UnbalancedQuote {
        /// The subcommand.
        command: Subcommand,
    },
}

impl ParseError {
    /// The subcommand whose usage explains the fix, if known.
    pub fn subcommand(&self) -> Option<Subcommand> {
        match self {
            ParseError::UnknownCommand { .. } => None,
            ParseError::InvalidIssue { .. } => Some(Subcommand::Issue),
            ParseError::InvalidSecret => Some(Subcommand::Webhooks),
            ParseError::MissingArgument { command, .. }
            | ParseError::UnexpectedArgument { command, .. }
            | ParseError::InvalidProject { command, .. }
            | ParseError::InvalidOrg { command, .. }
            | ParseError::UnknownOption { command, .. }
            | ParseError::InvalidOptionValue { command, .. }
            | ParseError::InvalidPerson { command, .. }
            | ParseError::InvalidTime { command, .. }
            | ParseError::UnbalancedQuote { command } => Some(*command),
        }
    }
}
