//! What to answer a command with. Answers that need no I/O are given at once
//! in the HTTP response; everything else is acknowledged at once and finished
//! in a spawned task that answers through `response_url`, so Slack's 3 s
//! deadline is never at risk.

use crate::alerts::subscriptions;
use crate::commands::command::DoctorAction;
use crate::commands::parse::{parse, Command, Subcommand};
use crate::commands::{help, usage};
use crate::context::{Context, Invocation};
use crate::issues::answers::{self, View};
use crate::links::{link, webhook_secret, whoami};
use crate::slack::{ImmediateReply, Reply};

/// How a command is answered.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// The final answer, sent in the HTTP response.
    Answer {
        /// The reply.
        reply: ImmediateReply,
        /// What to record as the outcome.
        outcome: Outcome,
        /// The subcommand, when the text named one.
        subcommand: Option<Subcommand>,
    },
    /// Acknowledge now with an empty answer, so the command leaves one
    /// message: the answer `command` sends through `response_url`.
    Defer {
        /// The work to do.
        command: Command,
    },
}

/// How a command ended, as recorded in the activity log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered successfully.
    Answered,
    /// The command could not be parsed; usage help was sent.
    UsageError,
    /// The answer could not be delivered to Slack.
    DeliveryFailed,
    /// Some wait for a turn at Sentry was given up (`ANSWER_TIMEOUT`); the
    /// answer says Sentry is slow, or leaves out what could not be read.
    TimedOut,
}

impl Outcome {
    /// Stable name for storage and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::UsageError => "usage_error",
            Outcome::DeliveryFailed => "delivery_failed",
            Outcome::TimedOut => "timed_out",
        }
    }
}

/// Decides how to answer the text typed after `/sentry`. Pure.
pub fn plan(text: &str) -> Plan {
    match parse(text) {
        Ok(Command::Help { topic }) => Plan::Answer {
            reply: ImmediateReply::Prepared(help::prepared(topic)),
            outcome: Outcome::Answered,
            subcommand: Some(Subcommand::Help),
        },
        Ok(command) => Plan::Defer { command },
        Err(error) => Plan::Answer {
            reply: ImmediateReply::Fresh(Reply::ephemeral(usage::usage_error(text, &error))),
            outcome: Outcome::UsageError,
            subcommand: error.subcommand(),
        },
    }
}

/// Runs a deferred command and returns its answer.
pub async fn execute(ctx: &Context, command: &Command, who: &Invocation) -> Reply {
    execute_view(ctx, command, who, &View::default()).await
}

/// Runs a command for a particular page, or as a shared copy.
pub async fn execute_view(
    ctx: &Context,
    command: &Command,
    who: &Invocation,
    view: &View,
) -> Reply {
    match command {
        Command::Link => link::link(ctx, who).await,
        Command::Unlink { org } => link::unlink(ctx, who, org).await,
        Command::Orgs => link::orgs(ctx).await,
        Command::Issues { project, query } => {
            Reply::ephemeral(answers::issues(ctx, project, query.as_deref(), view).await)
        }
        Command::Issue { issue } => Reply::ephemeral(answers::issue(ctx, issue, view).await),
        Command::Events { issue, count } => {
            Reply::ephemeral(answers::events(ctx, issue, *count, view).await)
        }
        Command::Releases { project } => Reply::ephemeral(answers::releases(ctx, project).await),
        Command::Projects { org } => Reply::ephemeral(answers::projects(ctx, org.as_deref()).await),
        Command::Subscribe {
            project,
            query,
            options,
        } => Reply::ephemeral(
            subscriptions::subscribe(ctx, who, project, query.as_deref(), options).await,
        ),
        Command::Unsubscribe { project } => {
            Reply::ephemeral(subscriptions::unsubscribe(ctx, who, project).await)
        }
        Command::Subscriptions => Reply::ephemeral(subscriptions::list(ctx, who).await),
        Command::Whoami => Reply::ephemeral(whoami::whoami(ctx, who).await),
        Command::People { change } => {
            Reply::ephemeral(crate::people::commands::people(ctx, who, change).await)
        }
        Command::Notify { change } => {
            Reply::ephemeral(crate::people::commands::notify(ctx, who, *change).await)
        }
        Command::Mute { target, length } => {
            Reply::ephemeral(crate::alerts::mute::mute(ctx, who, target, length).await)
        }
        Command::Unmute { target } => {
            Reply::ephemeral(crate::alerts::mute::unmute(ctx, who, target).await)
        }
        Command::Quiet { target, change } => {
            Reply::ephemeral(crate::alerts::mute::quiet(ctx, who, target, change).await)
        }
        Command::Report { project, change } => {
            Reply::ephemeral(crate::reports::commands::report(ctx, who, project, change).await)
        }
        Command::Reports => Reply::ephemeral(crate::reports::commands::list(ctx, who).await),
        Command::Doctor { action } => Reply::ephemeral(match action {
            DoctorAction::Check => crate::health::doctor::doctor(ctx, who).await,
            DoctorAction::Retry { channel } => {
                crate::health::doctor::retry(ctx, who, channel.as_deref()).await
            }
        }),
        Command::Webhooks { org, change } => {
            Reply::ephemeral(webhook_secret::run(ctx, who, org, change).await)
        }
        Command::Version => Reply::ephemeral(crate::version::message(
            &crate::version::Build::CURRENT,
            ctx.store.backend(),
        )),
        Command::Help { topic } => help::prepared(*topic).reply.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_and_usage_errors_are_answered_at_once() {
        assert!(matches!(
            plan("help"),
            Plan::Answer {
                outcome: Outcome::Answered,
                ..
            }
        ));
        assert!(matches!(
            plan("issues"),
            Plan::Answer {
                outcome: Outcome::UsageError,
                subcommand: Some(Subcommand::Issues),
                ..
            }
        ));
    }

    #[test]
    fn commands_that_need_sentry_are_deferred() {
        match plan("issues api level:error") {
            Plan::Defer { command } => {
                assert_eq!(command.subcommand(), Subcommand::Issues);
            }
            other => panic!("expected a deferred plan, got {other:?}"),
        }
    }
}
