//! The `/sentry` command language: `text -> Command`, pure and total.
//!
//! Slack sends the text after the command with `&`, `<`, `>` HTML-escaped,
//! links wrapped as `<url>` or `<url|label>`, and, from some clients, curly
//! quotes and non-breaking spaces. All of that is normalised here so the rest
//! of the bot sees what the person meant; the subcommand's row in
//! [`SPECS`](crate::commands::spec::SPECS) reads the words that follow.

pub use crate::commands::arguments::parse_issue_ref;
pub use crate::commands::command::{
    Command, ProjectRef, Subcommand, SubscribeOptions, WebhookChange, MAX_DIGEST,
};
pub use crate::commands::error::ParseError;

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
    (sub.spec().parse)(sub, &args)
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
    use crate::commands::command::{NotifyChange, NotifyTopic, DEFAULT_EVENTS};
    use crate::config::Secret;
    use crate::sentry::issue_ref::IssueRef;
    use crate::store::{MentionPolicy, ThreadPolicy};

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
            "version",
            "help",
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
                "subscribe acme/api level:error --digest 10 --no-regressions --no-threads --mention none",
                Command::Subscribe {
                    project: project(Some("acme"), "api"),
                    query: Some("level:error".into()),
                    options: SubscribeOptions {
                        regressions: false,
                        digest: 10,
                        threads: ThreadPolicy::Off,
                        mention: MentionPolicy::None,
                    },
                },
            ),
            (
                "subscribe api --threads broadcast level:error",
                Command::Subscribe {
                    project: project(None, "api"),
                    query: Some("level:error".into()),
                    options: SubscribeOptions {
                        threads: ThreadPolicy::Broadcast,
                        ..defaults
                    },
                },
            ),
            (
                "subscribe api --threads level:error --threads=OFF",
                Command::Subscribe {
                    project: project(None, "api"),
                    query: Some("level:error".into()),
                    options: SubscribeOptions {
                        threads: ThreadPolicy::Off,
                        ..defaults
                    },
                },
            ),
            (
                "subscribe api --mention=OWNERS",
                Command::Subscribe {
                    project: project(None, "api"),
                    query: None,
                    options: SubscribeOptions {
                        mention: MentionPolicy::Owners,
                        ..defaults
                    },
                },
            ),
            (
                "people map <@U0ANN1|ann> Ann@Corp.example",
                Command::People {
                    change: crate::commands::command::PeopleChange::Map {
                        user: crate::slack::reference::SlackUserRef::Id("U0ANN1".into()),
                        identity: "ann@corp.example".into(),
                    },
                },
            ),
            (
                "people team acme/#Backend <!subteam^S0BACK1|@backend>",
                Command::People {
                    change: crate::commands::command::PeopleChange::Team {
                        org: Some("acme".into()),
                        team: "backend".into(),
                        group: Some(crate::slack::reference::SlackGroupRef::Id(
                            "S0BACK1".into(),
                        )),
                    },
                },
            ),
            (
                "people team backend off",
                Command::People {
                    change: crate::commands::command::PeopleChange::Team {
                        org: None,
                        team: "backend".into(),
                        group: None,
                    },
                },
            ),
            ("notify", Command::Notify { change: NotifyChange::Show }),
            (
                "dm Assigned OFF",
                Command::Notify {
                    change: NotifyChange::Set {
                        topic: NotifyTopic::Assigned,
                        on: false,
                    },
                },
            ),
            (
                "notify regressions on",
                Command::Notify {
                    change: NotifyChange::Set {
                        topic: NotifyTopic::Regressions,
                        on: true,
                    },
                },
            ),
            (
                "people acme",
                Command::People {
                    change: crate::commands::command::PeopleChange::List {
                        org: Some("acme".into()),
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
                "subscribe api --threads=loud",
                ParseError::InvalidOptionValue {
                    command: Subcommand::Subscribe,
                    option: "--threads",
                    expected: "`thread`, `broadcast` or `off`, like `--threads broadcast`".into(),
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
        for sub in Subcommand::all() {
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
        for (typed, missing) in [
            ("notify assigned", true),
            ("notify assigned maybe", false),
            ("notify weekly on", false),
            ("notify assigned on now", false),
            ("people team backend", true),
            ("people team <bad> @g", false),
            ("people team backend U0ALICE", false),
        ] {
            let error = parse(typed).expect_err(typed);
            assert_eq!(
                matches!(error, ParseError::MissingArgument { .. }),
                missing,
                "{typed}: {error:?}"
            );
        }
        assert_eq!(
            parse("releases acme/web"),
            Ok(Command::Releases {
                project: project(Some("acme"), "web")
            })
        );
    }
}
