//! The `/sentry` command language: `text -> Command`, pure and total.
//!
//! Slack sends the text after the command with `&`, `<`, `>` HTML-escaped,
//! links wrapped as `<url>` or `<url|label>`, and, from some clients, curly
//! quotes and non-breaking spaces. All of that is normalised here so the rest
//! of the bot sees what the person meant.

use std::fmt;

use url::Url;

use crate::config::{is_slug, Secret};
use crate::render::events::{DEFAULT_EVENTS, MAX_EVENTS};

/// The subcommands, in the order help lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subcommand {
    /// `help [command]`
    Help,
    /// `issues <[org/]project> [query]`
    Issues,
    /// `issue <SHORT-ID | id | URL>`
    Issue,
    /// `events <SHORT-ID | id | URL> [n]`
    Events,
    /// `releases <[org/]project>`
    Releases,
    /// `projects [org]`
    Projects,
    /// `orgs`
    Orgs,
    /// `link`
    Link,
    /// `unlink <org>`
    Unlink,
    /// `subscribe <[org/]project> [query] [options]`
    Subscribe,
    /// `unsubscribe <[org/]project>`
    Unsubscribe,
    /// `subscriptions`
    Subscriptions,
    /// `whoami`
    Whoami,
    /// `webhooks <org> [client secret | off]`
    Webhooks,
}

impl Subcommand {
    /// Every subcommand, in help order.
    pub const ALL: [Subcommand; 14] = [
        Subcommand::Issues,
        Subcommand::Issue,
        Subcommand::Events,
        Subcommand::Releases,
        Subcommand::Projects,
        Subcommand::Orgs,
        Subcommand::Subscribe,
        Subcommand::Unsubscribe,
        Subcommand::Subscriptions,
        Subcommand::Link,
        Subcommand::Unlink,
        Subcommand::Webhooks,
        Subcommand::Whoami,
        Subcommand::Help,
    ];

    /// The word typed after `/sentry`.
    pub fn name(self) -> &'static str {
        match self {
            Subcommand::Help => "help",
            Subcommand::Issues => "issues",
            Subcommand::Issue => "issue",
            Subcommand::Events => "events",
            Subcommand::Releases => "releases",
            Subcommand::Projects => "projects",
            Subcommand::Orgs => "orgs",
            Subcommand::Link => "link",
            Subcommand::Unlink => "unlink",
            Subcommand::Subscribe => "subscribe",
            Subcommand::Unsubscribe => "unsubscribe",
            Subcommand::Subscriptions => "subscriptions",
            Subcommand::Whoami => "whoami",
            Subcommand::Webhooks => "webhooks",
        }
    }

    /// Arguments as shown in usage lines.
    pub fn arguments(self) -> &'static str {
        match self {
            Subcommand::Help => "[command]",
            Subcommand::Issues => "<[org/]project> [search query]",
            Subcommand::Issue => "<SHORT-ID | issue id | issue URL>",
            Subcommand::Events => "<SHORT-ID | issue id | issue URL> [how many, up to 20]",
            Subcommand::Releases => "<[org/]project>",
            Subcommand::Projects => "[org]",
            Subcommand::Orgs
            | Subcommand::Link
            | Subcommand::Subscriptions
            | Subcommand::Whoami => "",
            Subcommand::Unlink => "<org>",
            Subcommand::Subscribe => {
                "<[org/]project> [search query] [--no-regressions] [--digest N] [--no-threads]"
            }
            Subcommand::Unsubscribe => "<[org/]project>",
            Subcommand::Webhooks => "<org> [client secret | off]",
        }
    }

    /// One line on what it does.
    pub fn summary(self) -> &'static str {
        match self {
            Subcommand::Help => "Show every command, or the details of one.",
            Subcommand::Issues => {
                "List a project's issues (unresolved by default), newest activity first, with buttons."
            }
            Subcommand::Issue => "Show one issue in detail with its latest event and buttons.",
            Subcommand::Events => {
                "Show an issue's most recent events: when, where, which release, which user."
            }
            Subcommand::Releases => {
                "List a project's recent releases with their new issues, commits and deploys."
            }
            Subcommand::Projects => "List the projects of your linked orgs.",
            Subcommand::Orgs => "List linked Sentry orgs, how each is connected, and its health.",
            Subcommand::Link => "Connect a Sentry org (workspace admins).",
            Subcommand::Unlink => "Disconnect a Sentry org (workspace admins).",
            Subcommand::Subscribe => {
                "Post this project's new and regressed issues to this channel."
            }
            Subcommand::Unsubscribe => "Stop this channel's alerts for a project.",
            Subcommand::Subscriptions => "List this channel's subscriptions and their filters.",
            Subcommand::Whoami => {
                "Show which Sentry member you act as in each linked org, and whether you may act."
            }
            Subcommand::Webhooks => {
                "Receive an org's issue events from Sentry as they happen (workspace admins)."
            }
        }
    }

    /// Worked examples for help.
    pub fn examples(self) -> &'static [&'static str] {
        match self {
            Subcommand::Help => &["help subscribe"],
            Subcommand::Issues => &[
                "issues api",
                "issues acme/api level:error !has:assignee",
                "issues web \"is:unresolved browser:Safari\"",
            ],
            Subcommand::Issue => &[
                "issue API-3F",
                "issue https://acme.sentry.io/issues/4509123456/",
            ],
            Subcommand::Events => &["events API-3F", "events API-3F 10"],
            Subcommand::Releases => &["releases api", "releases acme/web"],
            Subcommand::Projects => &["projects", "projects acme"],
            Subcommand::Orgs => &["orgs"],
            Subcommand::Link => &["link"],
            Subcommand::Unlink => &["unlink acme"],
            Subcommand::Subscribe => &[
                "subscribe api level:error",
                "subscribe acme/web environment:production --digest 10 --no-regressions",
            ],
            Subcommand::Unsubscribe => &["unsubscribe api"],
            Subcommand::Subscriptions => &["subscriptions"],
            Subcommand::Whoami => &["whoami"],
            Subcommand::Webhooks => &["webhooks acme", "webhooks acme off"],
        }
    }

    /// `/sentry name args`, for usage lines.
    pub fn usage(self) -> String {
        let args = self.arguments();
        if args.is_empty() {
            format!("/sentry {}", self.name())
        } else {
            format!("/sentry {} {}", self.name(), args)
        }
    }

    fn from_word(word: &str) -> Option<Subcommand> {
        let lower = word.to_lowercase();
        let found = Subcommand::ALL.into_iter().find(|s| s.name() == lower);
        found.or(match lower.as_str() {
            "list" | "ls" => Some(Subcommand::Issues),
            "show" => Some(Subcommand::Issue),
            "sub" => Some(Subcommand::Subscribe),
            "unsub" => Some(Subcommand::Unsubscribe),
            "subs" => Some(Subcommand::Subscriptions),
            "?" | "-h" | "--help" => Some(Subcommand::Help),
            _ => None,
        })
    }

    /// The subcommand closest in spelling to `word`, if any is close.
    fn closest(word: &str) -> Option<Subcommand> {
        let lower = word.to_lowercase();
        Subcommand::ALL
            .into_iter()
            .map(|s| (strsim::damerau_levenshtein(&lower, s.name()), s))
            .filter(|(distance, s)| *distance <= 2.max(s.name().len() / 4))
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, s)| s)
    }
}

impl fmt::Display for Subcommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A project named in a command: `org/project` or a bare `project`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRef {
    /// Explicit org slug, when given.
    pub org: Option<String>,
    /// Project slug.
    pub project: String,
}

impl fmt::Display for ProjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.org {
            Some(org) => write!(f, "{org}/{}", self.project),
            None => f.write_str(&self.project),
        }
    }
}

pub use crate::issues::IssueRef;

/// Options of `/sentry subscribe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscribeOptions {
    /// Alert when a resolved or archived issue comes back.
    pub regressions: bool,
    /// More new issues than this in one poll become one digest message.
    pub digest: u32,
    /// Follow-ups go in the alert's thread.
    pub threads: bool,
}

impl Default for SubscribeOptions {
    fn default() -> Self {
        Self {
            regressions: true,
            digest: 5,
            threads: true,
        }
    }
}

/// Largest `--digest` accepted: a digest message lists at most this many issues.
pub const MAX_DIGEST: u32 = 40;

/// A parsed `/sentry` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Every command, or one in detail.
    Help {
        /// The command to explain, if one was named.
        topic: Option<Subcommand>,
    },
    /// A project's issues.
    Issues {
        /// Which project.
        project: ProjectRef,
        /// Sentry search query as typed; `None` means the default.
        query: Option<String>,
    },
    /// One issue.
    Issue {
        /// Which issue.
        issue: IssueRef,
    },
    /// An issue's recent events.
    Events {
        /// Which issue.
        issue: IssueRef,
        /// How many, 1 to 20.
        count: u32,
    },
    /// A project's recent releases.
    Releases {
        /// Which project.
        project: ProjectRef,
    },
    /// Projects of linked orgs.
    Projects {
        /// Restrict to one org.
        org: Option<String>,
    },
    /// Linked orgs.
    Orgs,
    /// Start linking an org.
    Link,
    /// Forget an org's grant.
    Unlink {
        /// Org slug.
        org: String,
    },
    /// Subscribe the channel to a project's alerts.
    Subscribe {
        /// Which project.
        project: ProjectRef,
        /// Sentry search query as typed; `None` means the default.
        query: Option<String>,
        /// Alert options.
        options: SubscribeOptions,
    },
    /// Remove the channel's subscription.
    Unsubscribe {
        /// Which project.
        project: ProjectRef,
    },
    /// List the channel's subscriptions.
    Subscriptions,
    /// Who the person acts as in each linked org.
    Whoami,
    /// Set up, or stop, an org's Sentry webhooks.
    Webhooks {
        /// Org slug.
        org: String,
        /// What to do.
        change: WebhookChange,
    },
}

/// What `/sentry webhooks <org> …` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookChange {
    /// Show the URL, the resources to tick, and the current state.
    Show,
    /// Store the integration's client secret.
    SetSecret(Secret),
    /// Forget the stored secret: deliveries are refused again.
    Remove,
}

/// Shortest and longest client secret accepted; Sentry's are 64 hex digits.
const SECRET_LENGTHS: std::ops::RangeInclusive<usize> = 32..=128;

impl Command {
    /// Whether the command only reads, so giving up a wait for Sentry
    /// leaves nothing half done (a link waits for approval, the others write).
    pub fn only_reads(&self) -> bool {
        matches!(
            self,
            Command::Help { .. }
                | Command::Issues { .. }
                | Command::Issue { .. }
                | Command::Events { .. }
                | Command::Releases { .. }
                | Command::Projects { .. }
                | Command::Orgs
                | Command::Subscriptions
                | Command::Whoami
        )
    }

    /// The subcommand this command runs.
    pub fn subcommand(&self) -> Subcommand {
        match self {
            Command::Help { .. } => Subcommand::Help,
            Command::Issues { .. } => Subcommand::Issues,
            Command::Issue { .. } => Subcommand::Issue,
            Command::Events { .. } => Subcommand::Events,
            Command::Releases { .. } => Subcommand::Releases,
            Command::Projects { .. } => Subcommand::Projects,
            Command::Orgs => Subcommand::Orgs,
            Command::Link => Subcommand::Link,
            Command::Unlink { .. } => Subcommand::Unlink,
            Command::Subscribe { .. } => Subcommand::Subscribe,
            Command::Unsubscribe { .. } => Subcommand::Unsubscribe,
            Command::Subscriptions => Subcommand::Subscriptions,
            Command::Whoami => Subcommand::Whoami,
            Command::Webhooks { .. } => Subcommand::Webhooks,
        }
    }
}

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
            | ParseError::UnbalancedQuote { command } => Some(*command),
        }
    }
}

/// Parses the text Slack sends after `/sentry`.
pub fn parse(text: &str) -> Result<Command, ParseError> {
    let normalized = normalize(text);
    let words = tokenize(&normalized);
    let Some((first, rest)) = words.split_first() else {
        return Ok(Command::Help { topic: None });
    };
    let Some(sub) = Subcommand::from_word(first.text) else {
        return Err(ParseError::UnknownCommand {
            given: first.text.to_string(),
            suggestion: Subcommand::closest(first.text),
        });
    };
    if rest.iter().any(|t| t.unclosed_quote) {
        return Err(ParseError::UnbalancedQuote { command: sub });
    }
    let args: Vec<&str> = rest.iter().map(|t| t.text).collect();
    match sub {
        Subcommand::Help => {
            let topic =
                match args.as_slice() {
                    [] => None,
                    [word] => Some(Subcommand::from_word(word).ok_or_else(|| {
                        ParseError::UnknownCommand {
                            given: word.to_string(),
                            suggestion: Subcommand::closest(word),
                        }
                    })?),
                    [_, extra, ..] => return Err(unexpected(sub, extra)),
                };
            Ok(Command::Help { topic })
        }
        Subcommand::Issues => {
            let (project, query) = project_and_query(sub, &args)?;
            if let Some(option) = query.as_deref().and_then(find_option) {
                return Err(ParseError::UnknownOption {
                    command: sub,
                    given: option.to_string(),
                });
            }
            Ok(Command::Issues { project, query })
        }
        Subcommand::Issue => match args.as_slice() {
            [] => Err(ParseError::MissingArgument {
                command: sub,
                what: "an issue: a short ID like `API-3F`, a numeric id, or an issue URL",
            }),
            [word] => Ok(Command::Issue {
                issue: parse_issue_ref(word)?,
            }),
            [_, extra, ..] => Err(unexpected(sub, extra)),
        },
        Subcommand::Events => {
            let (issue, count) = match args.as_slice() {
                [] => {
                    return Err(ParseError::MissingArgument {
                        command: sub,
                        what: "an issue: a short ID like `API-3F`, a numeric id, or an issue URL",
                    })
                }
                [word] => (parse_issue_ref(word)?, DEFAULT_EVENTS),
                [word, n] => (parse_issue_ref(word)?, parse_count(n)?),
                [_, _, extra, ..] => return Err(unexpected(sub, extra)),
            };
            Ok(Command::Events { issue, count })
        }
        Subcommand::Releases => match args.as_slice() {
            [] => Err(ParseError::MissingArgument {
                command: sub,
                what: "a project, like `api` or `acme/api` (see `/sentry projects`)",
            }),
            [project] => Ok(Command::Releases {
                project: parse_project(sub, project)?,
            }),
            [_, extra, ..] => Err(unexpected(sub, extra)),
        },
        Subcommand::Projects => match args.as_slice() {
            [] => Ok(Command::Projects { org: None }),
            [org] => Ok(Command::Projects {
                org: Some(parse_org(sub, org)?),
            }),
            [_, extra, ..] => Err(unexpected(sub, extra)),
        },
        Subcommand::Orgs => no_arguments(sub, &args, Command::Orgs),
        Subcommand::Link => no_arguments(sub, &args, Command::Link),
        Subcommand::Subscriptions => no_arguments(sub, &args, Command::Subscriptions),
        Subcommand::Whoami => no_arguments(sub, &args, Command::Whoami),
        Subcommand::Unlink => match args.as_slice() {
            [] => Err(ParseError::MissingArgument {
                command: sub,
                what: "the org to unlink, like `acme` (see `/sentry orgs`)",
            }),
            [org] => Ok(Command::Unlink {
                org: parse_org(sub, org)?,
            }),
            [_, extra, ..] => Err(unexpected(sub, extra)),
        },
        Subcommand::Subscribe => {
            // GitHub's app spells it `subscribe list`; accept the habit.
            if args.len() == 1 && args[0].eq_ignore_ascii_case("list") {
                return Ok(Command::Subscriptions);
            }
            let (options, plain) = split_options(sub, &args)?;
            let (project, query) = project_and_query(sub, &plain)?;
            Ok(Command::Subscribe {
                project,
                query,
                options,
            })
        }
        Subcommand::Webhooks => match args.as_slice() {
            [] => Err(ParseError::MissingArgument {
                command: sub,
                what: "the org to set up, like `acme` (see `/sentry orgs`)",
            }),
            // A lone secret (the org forgotten) must not be taken for an
            // org and echoed back in "not linked".
            [word] if looks_like_secret(word) => Err(ParseError::InvalidSecret),
            [org] => Ok(Command::Webhooks {
                org: parse_org(sub, org)?,
                change: WebhookChange::Show,
            }),
            [org, value] => Ok(Command::Webhooks {
                org: parse_org(sub, org)?,
                change: parse_webhook_change(value)?,
            }),
            [_, _, extra, ..] => Err(unexpected(sub, extra)),
        },
        Subcommand::Unsubscribe => match args.as_slice() {
            [] => Err(ParseError::MissingArgument {
                command: sub,
                what: "a project, like `api` or `acme/api` (see `/sentry subscriptions`)",
            }),
            [project] => Ok(Command::Unsubscribe {
                project: parse_project(sub, project)?,
            }),
            [_, extra, ..] => Err(unexpected(sub, extra)),
        },
    }
}

fn unexpected(command: Subcommand, given: &str) -> ParseError {
    ParseError::UnexpectedArgument {
        command,
        given: given.to_string(),
    }
}

fn no_arguments(sub: Subcommand, args: &[&str], command: Command) -> Result<Command, ParseError> {
    match args.first() {
        None => Ok(command),
        Some(extra) => Err(unexpected(sub, extra)),
    }
}

fn project_and_query(
    sub: Subcommand,
    args: &[&str],
) -> Result<(ProjectRef, Option<String>), ParseError> {
    let Some((project, query)) = args.split_first() else {
        return Err(ParseError::MissingArgument {
            command: sub,
            what: "a project, like `api` or `acme/api` (see `/sentry projects`)",
        });
    };
    let project = parse_project(sub, project)?;
    let query = (!query.is_empty()).then(|| query.join(" "));
    Ok((project, query))
}

/// A word of the query that looks like a `--option`.
fn find_option(query: &str) -> Option<&str> {
    query
        .split_whitespace()
        .find(|w| w.starts_with("--") && w.len() > 2)
}

fn split_options<'a>(
    sub: Subcommand,
    args: &[&'a str],
) -> Result<(SubscribeOptions, Vec<&'a str>), ParseError> {
    let mut options = SubscribeOptions::default();
    let mut plain = Vec::new();
    let mut iter = args.iter().copied().peekable();
    while let Some(word) = iter.next() {
        let Some(option) = word.strip_prefix("--") else {
            plain.push(word);
            continue;
        };
        let (name, inline_value) = match option.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (option, None),
        };
        match name.to_lowercase().as_str() {
            "regressions" => options.regressions = true,
            "no-regressions" => options.regressions = false,
            "threads" => options.threads = true,
            "no-threads" => options.threads = false,
            "digest" => {
                let value = match inline_value {
                    Some(v) => Some(v),
                    None => iter.next(),
                };
                let expected = format!("a number from 1 to {MAX_DIGEST}, like `--digest 5`");
                let digest = value
                    .and_then(|v| v.parse::<u32>().ok())
                    .filter(|n| (1..=MAX_DIGEST).contains(n))
                    .ok_or(ParseError::InvalidOptionValue {
                        command: sub,
                        option: "--digest",
                        expected,
                    })?;
                options.digest = digest;
            }
            _ => {
                return Err(ParseError::UnknownOption {
                    command: sub,
                    given: word.to_string(),
                })
            }
        }
    }
    Ok((options, plain))
}

fn parse_project(sub: Subcommand, word: &str) -> Result<ProjectRef, ParseError> {
    let invalid = || ParseError::InvalidProject {
        command: sub,
        given: word.to_string(),
    };
    let lower = word.to_lowercase();
    let (org, project) = match lower.split_once('/') {
        Some((org, project)) => (Some(org), project),
        None => (None, lower.as_str()),
    };
    if !is_slug(project) || org.is_some_and(|o| !is_slug(o)) {
        return Err(invalid());
    }
    Ok(ProjectRef {
        org: org.map(str::to_string),
        project: project.to_string(),
    })
}

fn parse_count(word: &str) -> Result<u32, ParseError> {
    word.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_EVENTS).contains(n))
        .ok_or_else(|| ParseError::InvalidOptionValue {
            command: Subcommand::Events,
            option: "how many",
            expected: format!("a number from 1 to {MAX_EVENTS}, like `events API-3F 10`"),
        })
}

/// Longer than any Sentry org slug (50), or a long run of hex digits.
fn looks_like_secret(word: &str) -> bool {
    word.len() > 50 || (word.len() >= 32 && word.chars().all(|c| c.is_ascii_hexdigit()))
}

fn parse_webhook_change(word: &str) -> Result<WebhookChange, ParseError> {
    let lower = word.to_ascii_lowercase();
    if matches!(lower.as_str(), "off" | "remove" | "--remove" | "stop") {
        return Ok(WebhookChange::Remove);
    }
    let looks_like_secret = SECRET_LENGTHS.contains(&word.len())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if looks_like_secret {
        Ok(WebhookChange::SetSecret(Secret::new(word)))
    } else {
        Err(ParseError::InvalidSecret)
    }
}

fn parse_org(sub: Subcommand, word: &str) -> Result<String, ParseError> {
    if is_slug(word) {
        Ok(word.to_lowercase())
    } else {
        Err(ParseError::InvalidOrg {
            command: sub,
            given: word.to_string(),
        })
    }
}

/// Parses a short ID, a numeric id, or an issue URL.
pub fn parse_issue_ref(word: &str) -> Result<IssueRef, ParseError> {
    let invalid = || ParseError::InvalidIssue {
        given: word.to_string(),
    };
    let unwrapped = unwrap_slack_link(word);
    if unwrapped.starts_with("http://") || unwrapped.starts_with("https://") {
        return parse_issue_url(unwrapped).ok_or_else(invalid);
    }
    if !unwrapped.is_empty() && unwrapped.chars().all(|c| c.is_ascii_digit()) {
        return Ok(IssueRef::Id(unwrapped.to_string()));
    }
    let is_short_id = unwrapped.rsplit_once('-').is_some_and(|(project, suffix)| {
        is_slug(project) && !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if is_short_id {
        Ok(IssueRef::ShortId(unwrapped.to_uppercase()))
    } else {
        Err(invalid())
    }
}

/// `<https://x|label>` and `<https://x>` → `https://x`.
fn unwrap_slack_link(word: &str) -> &str {
    let Some(inner) = word.strip_prefix('<').and_then(|w| w.strip_suffix('>')) else {
        return word;
    };
    inner.split_once('|').map_or(inner, |(url, _)| url)
}

/// Finds the org and issue id in a Sentry issue URL:
/// `https://acme.sentry.io/issues/123/`, `https://sentry.io/organizations/acme/issues/123/`,
/// and self-hosted hosts with either path.
fn parse_issue_url(raw: &str) -> Option<IssueRef> {
    let url = Url::parse(raw).ok()?;
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let issues_at = segments.iter().position(|s| *s == "issues")?;
    let id = segments.get(issues_at + 1)?;
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let org_from_path = segments
        .iter()
        .position(|s| *s == "organizations")
        .and_then(|i| segments.get(i + 1))
        .filter(|org| is_slug(org))
        .map(|org| org.to_lowercase());
    let org_from_host = url.host_str().and_then(|host| {
        let (first, rest) = host.split_once('.')?;
        // `acme.sentry.io` and regional `acme.us.sentry.io`; not `sentry.io` or `us.sentry.io`.
        let is_sentry_saas = rest == "sentry.io" || rest.ends_with(".sentry.io");
        let reserved = matches!(first, "www" | "us" | "de" | "sentry");
        (is_sentry_saas && !reserved && is_slug(first)).then(|| first.to_lowercase())
    });
    Some(IssueRef::Url {
        org: org_from_path.or(org_from_host),
        id: id.to_string(),
    })
}

/// Undoes Slack's escaping and typographic substitutions.
fn normalize(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .chars()
        .filter_map(|c| match c {
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => Some('"'),
            // Phones and macOS turn `--` into an em or en dash.
            '\u{2014}' | '\u{2013}' => Some('\u{2014}'),
            '\u{200B}' | '\u{FEFF}' => None,
            c => Some(c),
        })
        .collect::<String>()
        .replace('\u{2014}', "--")
}

struct Token<'a> {
    text: &'a str,
    unclosed_quote: bool,
}

/// Splits on Unicode whitespace outside double quotes; tokens keep their
/// quotes so Sentry sees the query exactly as typed.
fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut start: Option<usize> = None;
    let mut in_quote = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() && !in_quote {
            if let Some(s) = start.take() {
                tokens.push(Token {
                    text: &text[s..i],
                    unclosed_quote: false,
                });
            }
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        if c == '"' {
            in_quote = !in_quote;
        }
    }
    if let Some(s) = start {
        tokens.push(Token {
            text: &text[s..],
            unclosed_quote: in_quote,
        });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_marks_the_commands_that_can_be_stopped_halfway() {
        let reads = [
            "issues api",
            "issue API-1",
            "events API-1",
            "releases api",
            "projects",
            "orgs",
            "subscriptions",
            "whoami",
        ];
        for text in reads {
            assert!(parse(text).unwrap().only_reads(), "{text}");
        }
        let writes = [
            "link",
            "unlink acme",
            "subscribe api",
            "unsubscribe api",
            "webhooks acme",
        ];
        for text in writes {
            assert!(!parse(text).unwrap().only_reads(), "{text}");
        }
    }

    fn project(org: Option<&str>, project: &str) -> ProjectRef {
        ProjectRef {
            org: org.map(str::to_string),
            project: project.to_string(),
        }
    }

    fn issues(org: Option<&str>, p: &str, query: Option<&str>) -> Command {
        Command::Issues {
            project: project(org, p),
            query: query.map(str::to_string),
        }
    }

    #[test]
    fn valid_commands() {
        let defaults = SubscribeOptions::default();
        let cases: Vec<(&str, Command)> = vec![
            ("", Command::Help { topic: None }),
            ("   \t ", Command::Help { topic: None }),
            ("help", Command::Help { topic: None }),
            ("HELP", Command::Help { topic: None }),
            (
                "help subscribe",
                Command::Help {
                    topic: Some(Subcommand::Subscribe),
                },
            ),
            ("issues api", issues(None, "api", None)),
            ("issues API", issues(None, "api", None)),
            ("issues acme/api", issues(Some("acme"), "api", None)),
            (
                "  issues   api    level:error   ",
                issues(None, "api", Some("level:error")),
            ),
            (
                "issues api level:error !has:assignee environment:production",
                issues(
                    None,
                    "api",
                    Some("level:error !has:assignee environment:production"),
                ),
            ),
            (
                "issues api message:\"connection  reset  by peer\" is:unresolved",
                issues(
                    None,
                    "api",
                    Some("message:\"connection  reset  by peer\" is:unresolved"),
                ),
            ),
            (
                "issues api times_seen:&gt;100 &amp; x",
                issues(None, "api", Some("times_seen:>100 & x")),
            ),
            (
                "issues api message:“smart quotes”",
                issues(None, "api", Some("message:\"smart quotes\"")),
            ),
            (
                "issues\u{00A0}api\u{00A0}level:error",
                issues(None, "api", Some("level:error")),
            ),
            (
                "issues api title:\"ünïcödé 💥 ошибка\"",
                issues(None, "api", Some("title:\"ünïcödé 💥 ошибка\"")),
            ),
            ("list api", issues(None, "api", None)),
            (
                "issue API-3F",
                Command::Issue {
                    issue: IssueRef::ShortId("API-3F".into()),
                },
            ),
            (
                "issue api-3f",
                Command::Issue {
                    issue: IssueRef::ShortId("API-3F".into()),
                },
            ),
            (
                "issue my-web-app-1A2",
                Command::Issue {
                    issue: IssueRef::ShortId("MY-WEB-APP-1A2".into()),
                },
            ),
            (
                "issue 4509123456",
                Command::Issue {
                    issue: IssueRef::Id("4509123456".into()),
                },
            ),
            (
                "issue https://acme.sentry.io/issues/4509123456/?project=1",
                Command::Issue {
                    issue: IssueRef::Url {
                        org: Some("acme".into()),
                        id: "4509123456".into(),
                    },
                },
            ),
            (
                "issue <https://sentry.io/organizations/acme/issues/42/events/abc/|link>",
                Command::Issue {
                    issue: IssueRef::Url {
                        org: Some("acme".into()),
                        id: "42".into(),
                    },
                },
            ),
            (
                "issue https://sentry.example.com/issues/77/",
                Command::Issue {
                    issue: IssueRef::Url {
                        org: None,
                        id: "77".into(),
                    },
                },
            ),
            ("projects", Command::Projects { org: None }),
            (
                "projects Acme",
                Command::Projects {
                    org: Some("acme".into()),
                },
            ),
            ("orgs", Command::Orgs),
            ("link", Command::Link),
            ("unlink acme", Command::Unlink { org: "acme".into() }),
            (
                "subscribe api",
                Command::Subscribe {
                    project: project(None, "api"),
                    query: None,
                    options: defaults,
                },
            ),
            (
                "subscribe acme/api level:error --digest 10 --no-regressions --no-threads",
                Command::Subscribe {
                    project: project(Some("acme"), "api"),
                    query: Some("level:error".into()),
                    options: SubscribeOptions {
                        regressions: false,
                        digest: 10,
                        threads: false,
                    },
                },
            ),
            (
                "subscribe api —digest=3 level:fatal",
                Command::Subscribe {
                    project: project(None, "api"),
                    query: Some("level:fatal".into()),
                    options: SubscribeOptions {
                        digest: 3,
                        ..defaults
                    },
                },
            ),
            ("subscribe list", Command::Subscriptions),
            (
                "unsubscribe acme/api",
                Command::Unsubscribe {
                    project: project(Some("acme"), "api"),
                },
            ),
            ("subscriptions", Command::Subscriptions),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), Ok(expected), "parsing {text:?}");
        }
    }

    #[test]
    fn malformed_commands_say_what_was_wrong() {
        let cases: Vec<(&str, ParseError)> = vec![
            (
                "isues api",
                ParseError::UnknownCommand {
                    given: "isues".into(),
                    suggestion: Some(Subcommand::Issues),
                },
            ),
            (
                "deploy now",
                ParseError::UnknownCommand {
                    given: "deploy".into(),
                    suggestion: None,
                },
            ),
            (
                "help nope",
                ParseError::UnknownCommand {
                    given: "nope".into(),
                    suggestion: None,
                },
            ),
            (
                "issues",
                ParseError::MissingArgument {
                    command: Subcommand::Issues,
                    what: "a project, like `api` or `acme/api` (see `/sentry projects`)",
                },
            ),
            (
                "issues a/b/c",
                ParseError::InvalidProject {
                    command: Subcommand::Issues,
                    given: "a/b/c".into(),
                },
            ),
            (
                "issues <!channel>",
                ParseError::InvalidProject {
                    command: Subcommand::Issues,
                    given: "<!channel>".into(),
                },
            ),
            (
                "issues api message:\"unterminated",
                ParseError::UnbalancedQuote {
                    command: Subcommand::Issues,
                },
            ),
            (
                "issues api --digest 3",
                ParseError::UnknownOption {
                    command: Subcommand::Issues,
                    given: "--digest".into(),
                },
            ),
            (
                "issue",
                ParseError::MissingArgument {
                    command: Subcommand::Issue,
                    what: "an issue: a short ID like `API-3F`, a numeric id, or an issue URL",
                },
            ),
            (
                "issue API-3F extra",
                ParseError::UnexpectedArgument {
                    command: Subcommand::Issue,
                    given: "extra".into(),
                },
            ),
            (
                "issue hello",
                ParseError::InvalidIssue {
                    given: "hello".into(),
                },
            ),
            (
                "issue https://example.com/not-an-issue",
                ParseError::InvalidIssue {
                    given: "https://example.com/not-an-issue".into(),
                },
            ),
            (
                "orgs please",
                ParseError::UnexpectedArgument {
                    command: Subcommand::Orgs,
                    given: "please".into(),
                },
            ),
            (
                "unlink",
                ParseError::MissingArgument {
                    command: Subcommand::Unlink,
                    what: "the org to unlink, like `acme` (see `/sentry orgs`)",
                },
            ),
            (
                "unlink ac me",
                ParseError::UnexpectedArgument {
                    command: Subcommand::Unlink,
                    given: "me".into(),
                },
            ),
            (
                "projects ac!me",
                ParseError::InvalidOrg {
                    command: Subcommand::Projects,
                    given: "ac!me".into(),
                },
            ),
            (
                "subscribe api --digest",
                ParseError::InvalidOptionValue {
                    command: Subcommand::Subscribe,
                    option: "--digest",
                    expected: "a number from 1 to 40, like `--digest 5`".into(),
                },
            ),
            (
                "subscribe api --digest 0",
                ParseError::InvalidOptionValue {
                    command: Subcommand::Subscribe,
                    option: "--digest",
                    expected: "a number from 1 to 40, like `--digest 5`".into(),
                },
            ),
            (
                "subscribe api --loud",
                ParseError::UnknownOption {
                    command: Subcommand::Subscribe,
                    given: "--loud".into(),
                },
            ),
            (
                "subscribe --digest 3",
                ParseError::MissingArgument {
                    command: Subcommand::Subscribe,
                    what: "a project, like `api` or `acme/api` (see `/sentry projects`)",
                },
            ),
            (
                "unsubscribe",
                ParseError::MissingArgument {
                    command: Subcommand::Unsubscribe,
                    what: "a project, like `api` or `acme/api` (see `/sentry subscriptions`)",
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), Err(expected), "parsing {text:?}");
        }
    }

    #[test]
    fn errors_point_at_the_usage_that_fixes_them() {
        let err = parse("issues").unwrap_err();
        assert_eq!(err.subcommand(), Some(Subcommand::Issues));
        assert_eq!(
            err.to_string(),
            "`issues` needs a project, like `api` or `acme/api` (see `/sentry projects`)"
        );
        assert_eq!(parse("nope").unwrap_err().subcommand(), None);
        assert_eq!(
            parse("issue x").unwrap_err().subcommand(),
            Some(Subcommand::Issue)
        );
    }

    #[test]
    fn every_subcommand_round_trips_through_its_name_and_examples_parse() {
        for sub in Subcommand::ALL {
            assert_eq!(Subcommand::from_word(sub.name()), Some(sub));
            for example in sub.examples() {
                let parsed = parse(example).unwrap_or_else(|e| panic!("{example}: {e}"));
                assert_eq!(parsed.subcommand(), sub, "example {example}");
            }
        }
    }

    #[test]
    fn webhooks_takes_an_org_and_a_secret_or_off() {
        let secret = "5f1c0e9a".repeat(8);
        assert_eq!(
            parse("webhooks Acme"),
            Ok(Command::Webhooks {
                org: "acme".into(),
                change: WebhookChange::Show
            })
        );
        assert_eq!(
            parse(&format!("webhooks acme {secret}")),
            Ok(Command::Webhooks {
                org: "acme".into(),
                change: WebhookChange::SetSecret(Secret::new(secret.clone()))
            })
        );
        assert_eq!(
            parse("webhooks acme OFF").map(|c| matches!(
                c,
                Command::Webhooks {
                    change: WebhookChange::Remove,
                    ..
                }
            )),
            Ok(true)
        );
        assert!(matches!(
            parse("webhooks"),
            Err(ParseError::MissingArgument {
                command: Subcommand::Webhooks,
                ..
            })
        ));
        // A secret without its org is not taken for an org (and echoed).
        assert_eq!(
            parse(&format!("webhooks {secret}")),
            Err(ParseError::InvalidSecret)
        );
        // A short or odd value is refused without repeating it.
        let refused = parse("webhooks acme hunter2").unwrap_err();
        assert_eq!(refused, ParseError::InvalidSecret);
        assert!(!refused.to_string().contains("hunter2"));
        assert!(!format!("{:?}", parse(&format!("webhooks acme {secret}"))).contains(&secret));
    }

    #[test]
    fn events_take_an_issue_and_a_count_and_releases_a_project() {
        assert_eq!(
            parse("events api-3f"),
            Ok(Command::Events {
                issue: IssueRef::ShortId("API-3F".into()),
                count: DEFAULT_EVENTS
            })
        );
        assert_eq!(
            parse("events 123 20"),
            Ok(Command::Events {
                issue: IssueRef::Id("123".into()),
                count: 20
            })
        );
        assert!(matches!(
            parse("events API-3F 21"),
            Err(ParseError::InvalidOptionValue { .. })
        ));
        assert!(matches!(
            parse("events"),
            Err(ParseError::MissingArgument { .. })
        ));
        assert_eq!(
            parse("releases acme/web"),
            Ok(Command::Releases {
                project: project(Some("acme"), "web")
            })
        );
    }
}
