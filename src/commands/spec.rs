//! One row per subcommand: its name, aliases, arguments, help text,
//! examples, whether it only reads, and how its arguments parse. Parsing,
//! help, usage lines and "did you mean" are all read off [`SPECS`], so a new
//! subcommand is one [`Command`] variant, one row here, one handler and one
//! message.

use std::fmt;

use crate::commands::arguments::{
    find_option, looks_like_secret, no_arguments, parse_count, parse_issue_ref, parse_org,
    parse_project, parse_webhook_change, project_and_query, split_options, unexpected,
};
use crate::commands::command::DEFAULT_EVENTS;
use crate::commands::command::{
    Command, DoctorAction, HushTarget, NotifyChange, NotifyTopic, PeopleChange, QuietChange,
    ReportChange, Subcommand, WebhookChange,
};
use crate::commands::error::ParseError;
use crate::quiet::schedule::QuietHours;
use crate::quiet::when::MuteFor;
use crate::slack::reference::{slack_group_ref, slack_user_ref};

/// Everything the bot knows about one subcommand besides running it.
#[derive(Debug)]
pub struct Spec {
    /// Which subcommand.
    pub subcommand: Subcommand,
    /// The word typed after `/sentry`.
    pub name: &'static str,
    /// Other words that run it.
    pub aliases: &'static [&'static str],
    /// Arguments as shown in usage lines.
    pub arguments: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// More for `/sentry help <name>`, when one line is not enough.
    pub details: Option<&'static str>,
    /// Worked examples, the first shown in usage errors.
    pub examples: &'static [&'static str],
    /// Giving up a wait for Sentry leaves nothing half done.
    pub only_reads: bool,
    /// The words after the subcommand's name → the command.
    pub parse: fn(Subcommand, &[&str]) -> Result<Command, ParseError>,
}

/// Every subcommand, in the order help lists them.
pub(crate) static SPECS: &[Spec] = &[
    Spec {
        subcommand: Subcommand::Issues,
        name: "issues",
        aliases: &["list", "ls"],
        arguments: "<[org/]project> [search query]",
        summary: "List a project's issues (unresolved by default), newest activity first, with buttons.",
        details: Some(
            "The search query uses Sentry's syntax and defaults to `is:unresolved`. \
             Name the org as `org/project` when several linked orgs have the project.",
        ),
        examples: &[
            "issues api",
            "issues acme/api level:error !has:assignee",
            "issues web \"is:unresolved browser:Safari\"",
        ],
        only_reads: true,
        parse: issues,
    },
    Spec {
        subcommand: Subcommand::Issue,
        name: "issue",
        aliases: &["show"],
        arguments: "<SHORT-ID | issue id | issue URL>",
        summary: "Show one issue in detail with its latest event and buttons.",
        details: Some(
            "Accepts a short ID (`API-3F`), a numeric issue id, or an issue URL copied from Sentry.",
        ),
        examples: &[
            "issue API-3F",
            "issue https://acme.sentry.io/issues/4509123456/",
        ],
        only_reads: true,
        parse: issue,
    },
    Spec {
        subcommand: Subcommand::Events,
        name: "events",
        aliases: &[],
        arguments: "<SHORT-ID | issue id | issue URL> [how many, up to 20]",
        summary: "Show an issue's most recent events: when, where, which release, which user.",
        details: None,
        examples: &["events API-3F", "events API-3F 10"],
        only_reads: true,
        parse: events,
    },
    Spec {
        subcommand: Subcommand::Releases,
        name: "releases",
        aliases: &[],
        arguments: "<[org/]project>",
        summary: "List a project's recent releases with their new issues, commits and deploys.",
        details: None,
        examples: &["releases api", "releases acme/web"],
        only_reads: true,
        parse: releases,
    },
    Spec {
        subcommand: Subcommand::Projects,
        name: "projects",
        aliases: &[],
        arguments: "[org]",
        summary: "List the projects of your linked orgs.",
        details: None,
        examples: &["projects", "projects acme"],
        only_reads: true,
        parse: projects,
    },
    Spec {
        subcommand: Subcommand::Orgs,
        name: "orgs",
        aliases: &[],
        arguments: "",
        summary: "List linked Sentry orgs, how each is connected, and its health.",
        details: None,
        examples: &["orgs"],
        only_reads: true,
        parse: |sub, args| no_arguments(sub, args, Command::Orgs),
    },
    Spec {
        subcommand: Subcommand::Subscribe,
        name: "subscribe",
        aliases: &["sub"],
        arguments: "<[org/]project> [search query] [--no-regressions] [--digest N] [--threads thread|broadcast|off] [--mention assignee|owners|none]",
        summary: "Post this project's new and regressed issues to this channel.",
        details: Some(
            "Alerts follow the search query (default `is:unresolved`); issues that already exist \
             are not posted.\n\
             • `--no-regressions`: skip issues that come back after being resolved, and those \
             Sentry marks as escalating\n\
             • `--digest N`: more than N new issues in one check become one digest message \
             (default 5, at most 40)\n\
             • `--threads thread` (default): follow-ups (what changed in Sentry, regressions, \
             escalations) in the alert's thread, regressions and escalations also shown in the channel; `--threads broadcast`: \
             every follow-up also in the channel; `--threads off` (or `--no-threads`): no \
             follow-ups, regressions as new messages\n\
             • `--mention none`: name an issue's assignee instead of mentioning them (by default \
             alerts mention the assignee when the bot knows them in Slack; see `/sentry help people`)\n\
             • `--mention owners`: on an issue nobody is assigned, mention Sentry's suggested owner \
             (from ownership rules, code owners or suspect commits) instead\n\
             *A team's issues in its channel*: subscribe with `assigned:#team` (or \
             `assigned_or_suggested:#team` to include the team's suggested owners). An issue \
             assigned to the team later is posted as \"Assigned to #team\" (or \"Suggested for \
             #team\"), not as new.\n\
             *Quiet for a while*: `/sentry mute` and `/sentry quiet` hold alerts and catch up \
             after (see `/sentry help mute`).",
        ),
        examples: &[
            "subscribe api level:error",
            "subscribe api assigned:#backend",
            "subscribe acme/web environment:production --digest 10 --no-regressions",
        ],
        only_reads: false,
        parse: subscribe,
    },
    Spec {
        subcommand: Subcommand::Unsubscribe,
        name: "unsubscribe",
        aliases: &["unsub"],
        arguments: "<[org/]project>",
        summary: "Stop this channel's alerts for a project.",
        details: None,
        examples: &["unsubscribe api"],
        only_reads: false,
        parse: unsubscribe,
    },
    Spec {
        subcommand: Subcommand::Subscriptions,
        name: "subscriptions",
        aliases: &["subs"],
        arguments: "",
        summary: "List this channel's subscriptions and their filters.",
        details: None,
        examples: &["subscriptions"],
        only_reads: true,
        parse: |sub, args| no_arguments(sub, args, Command::Subscriptions),
    },
    Spec {
        subcommand: Subcommand::Mute,
        name: "mute",
        aliases: &["snooze"],
        arguments: "<[org/]project | all> <duration | until TIME>",
        summary: "Hold a subscription's alerts for a while; they arrive as one catch-up message after.",
        details: Some(
            "Nothing is dropped: alerts that come in while muted are kept, and when the mute ends \
             the channel gets one message that counts them and lists the first, marking those \
             resolved meanwhile. Times are read in your Slack time zone.\n\
             • `/sentry mute api 2h`: for two hours (`30m`, `1d`, `1h30m`; at least `1m`, at most `30d`)\n\
             • `/sentry mute all until 18:00`: every subscription here, until 18:00 today (or tomorrow, once it has passed)\n\
             • `/sentry mute api until monday 09:00`\n\
             • `/sentry unmute api`: end it now",
        ),
        examples: &["mute api 2h", "mute all until 18:00", "mute acme/api until monday 09:00"],
        only_reads: false,
        parse: mute,
    },
    Spec {
        subcommand: Subcommand::Unmute,
        name: "unmute",
        aliases: &["unsnooze"],
        arguments: "<[org/]project | all>",
        summary: "End a mute now; what was held arrives as one catch-up message.",
        details: None,
        examples: &["unmute api", "unmute all"],
        only_reads: false,
        parse: unmute,
    },
    Spec {
        subcommand: Subcommand::Quiet,
        name: "quiet",
        aliases: &["quiet-hours"],
        arguments: "<[org/]project | all> <HH:MM-HH:MM [time zone] [daily|weekdays|weekends] [--urgent query] | off>",
        summary: "Hold alerts during quiet hours every day (or on weekdays, or weekends); one catch-up message when they end.",
        details: Some(
            "Quiet hours are wall-clock times in a time zone (yours in Slack unless you name one, \
             like `Europe/Berlin`), so they stay put across daylight-saving changes. A window \
             past midnight belongs to the day it starts: `weekdays` means Monday to Friday nights, \
             `weekends` Saturday and Sunday nights, and `00:00-24:00` a whole day. \
             `--urgent` names a search query whose alerts come through at once (judged from the \
             issue: level, status, assignment, like `level:fatal`).\n\
             • `/sentry quiet api 22:00-08:00`\n\
             • `/sentry quiet all 19:00-09:00 Europe/Berlin weekdays --urgent level:fatal`\n\
             • `/sentry quiet api off`",
        ),
        examples: &[
            "quiet api 22:00-08:00",
            "quiet all 19:00-09:00 Europe/Berlin weekdays --urgent level:fatal",
            "quiet api off",
        ],
        only_reads: false,
        parse: quiet,
    },
    Spec {
        subcommand: Subcommand::Report,
        name: "report",
        aliases: &[],
        arguments: "<[org/]project> <daily | weekly [weekday] [at HH:MM] [time zone] [query] | now | off>",
        summary: "A daily or weekly picture of a project's health in this channel: new, regressed, resolved, top issues, who needs an owner.",
        details: Some(
            "A report shows the period's new issues beside the period before's, regressions, the \
             issues seen in it that are resolved now, the last 24 hours' events, the top issues by \
             events with their trend, new issues nobody is \
             assigned, escalating ones, the oldest unassigned issue, and what people resolved or \
             archived from Slack. It is posted once at its time (09:00 in your Slack time zone \
             unless you say; weekly reports on Monday), also with several replicas; if the bot \
             was down then, it posts once when it is back (up to 6 hours late, saying so).\n\
             • `/sentry report api daily`\n\
             • `/sentry report api weekly friday at 16:00 Europe/Berlin level:error`\n\
             • `/sentry report api now`: one now\n\
             • `/sentry report api off`; `/sentry reports` lists this channel's",
        ),
        examples: &["report api daily", "report api weekly friday at 16:00", "report api now"],
        only_reads: false,
        parse: report,
    },
    Spec {
        subcommand: Subcommand::Reports,
        name: "reports",
        aliases: &[],
        arguments: "",
        summary: "List this channel's scheduled reports and when each is next posted.",
        details: None,
        examples: &["reports"],
        only_reads: true,
        parse: |sub, args| no_arguments(sub, args, Command::Reports),
    },
    Spec {
        subcommand: Subcommand::Link,
        name: "link",
        aliases: &[],
        arguments: "",
        summary: "Connect a Sentry org (workspace admins).",
        details: Some(
            "Opens a Sentry approval page where you pick the org. Each org has one connection; \
             linking it again replaces the old one once the new one is approved.",
        ),
        examples: &["link"],
        only_reads: false,
        parse: |sub, args| no_arguments(sub, args, Command::Link),
    },
    Spec {
        subcommand: Subcommand::Unlink,
        name: "unlink",
        aliases: &[],
        arguments: "<org>",
        summary: "Disconnect a Sentry org (workspace admins).",
        details: Some(
            "Forgets the org's connection. Sentry has no way for the bot to revoke it: uninstall \
             the integration in the org's Sentry settings as well.",
        ),
        examples: &["unlink acme"],
        only_reads: false,
        parse: unlink,
    },
    Spec {
        subcommand: Subcommand::Webhooks,
        name: "webhooks",
        aliases: &[],
        arguments: "<org> [client secret | off]",
        summary: "Receive an org's issue events from Sentry as they happen (workspace admins).",
        details: Some(
            "With webhooks, Sentry tells the bot about new and changed issues as they happen, so \
             alerts arrive within seconds instead of at the next poll, and resolved issues update \
             their alerts at once.\n\
             • `/sentry webhooks acme`: the URL to paste into an internal integration in Sentry, \
             the permission and resource to tick, and whether webhooks are live\n\
             • `/sentry webhooks acme <client secret>`: store the integration's secret (encrypted when the bot has an encryption key), \
             or replace it when you rotate it\n\
             • `/sentry webhooks acme off`: forget the secret; deliveries are refused",
        ),
        examples: &["webhooks acme", "webhooks acme off"],
        only_reads: false,
        parse: webhooks,
    },
    Spec {
        subcommand: Subcommand::Whoami,
        name: "whoami",
        aliases: &[],
        arguments: "",
        summary: "Show which Sentry member you act as in each linked org, and whether you may act.",
        details: None,
        examples: &["whoami"],
        only_reads: true,
        parse: |sub, args| no_arguments(sub, args, Command::Whoami),
    },
    Spec {
        subcommand: Subcommand::People,
        name: "people",
        aliases: &["who"],
        arguments: "[org] | map @user <sentry email or username> | unmap @user | team <[org/]team> <@group|off>",
        summary: "Show who in Sentry is who in Slack, so alerts can mention them; admins fix the rest.",
        details: Some(
            "Alerts mention an issue's assignee when the bot knows who they are in Slack: by the \
             email on their Slack profile, or by a map an admin makes where emails differ.\n\
             • `/sentry people acme`: the org's members and how each is matched (email, mapped, none)\n\
             • `/sentry people map @ann ann.lee@corp.example`: Ann in Slack is that member in Sentry \
             (an email or a username; workspace admins)\n\
             • `/sentry people unmap @ann`: forget the map\n\
             • `/sentry people team backend @backend-oncall`: alerts for issues assigned to the \
             Sentry team *backend* mention that Slack user group (`acme/backend` names the org; \
             `off` forgets it; workspace admins)",
        ),
        examples: &["people", "people map @ann ann.lee@corp.example"],
        only_reads: false,
        parse: people,
    },
    Spec {
        subcommand: Subcommand::Notify,
        name: "notify",
        aliases: &["dm"],
        arguments: "[assigned on|off] [regressions on|off]",
        summary: "Show or change the DMs you get: issues assigned to you, and yours that come back or escalate.",
        details: Some(
            "The bot sends you a DM with the issue's card when an issue is assigned to you (from \
             Slack, in Sentry, or by an ownership rule; not when you assigned it yourself) and when \
             an issue assigned to you comes back or Sentry marks it as escalating. Several in ten minutes arrive as one DM that \
             is updated in place. Both are on until you turn them off.\n\
             • `/sentry notify`: your settings, and whether the bot knows who you are in Sentry\n\
             • `/sentry notify assigned off`: no DMs for assignments\n\
             • `/sentry notify regressions on`: DMs when your issues come back or escalate",
        ),
        examples: &["notify", "notify assigned off", "notify regressions on"],
        only_reads: false,
        parse: notify,
    },
    Spec {
        subcommand: Subcommand::Doctor,
        name: "doctor",
        aliases: &["health"],
        arguments: "[retry]",
        summary: "Check whether alerts reach this channel, and why not: posting, subscriptions, waiting and failed alerts, orgs.",
        details: Some(
            "Each line is marked green, amber or red and says what to do. Run it in a DM with the \
             bot to check every channel that has subscriptions.\n\
             • `/sentry doctor`\n\
             • `/sentry doctor retry`: retry a channel Slack refused, and resend the last day's failed alerts",
        ),
        examples: &["doctor", "doctor retry"],
        only_reads: false,
        parse: doctor,
    },
    Spec {
        subcommand: Subcommand::Version,
        name: "version",
        aliases: &["--version"],
        arguments: "",
        summary: "Show the bot's version, the commit it was built from, and its store.",
        details: None,
        examples: &["version"],
        only_reads: true,
        parse: |sub, args| no_arguments(sub, args, Command::Version),
    },
    Spec {
        subcommand: Subcommand::Help,
        name: "help",
        aliases: &["?", "-h", "--help"],
        arguments: "[command]",
        summary: "Show every command, or the details of one.",
        details: None,
        examples: &["help subscribe"],
        only_reads: true,
        parse: help,
    },
];

impl Subcommand {
    /// Every subcommand, in help order.
    pub fn all() -> impl Iterator<Item = Subcommand> {
        SPECS.iter().map(|spec| spec.subcommand)
    }

    /// Its row in [`SPECS`].
    pub fn spec(self) -> &'static Spec {
        // Every subcommand has a row: a unit test walks them all.
        SPECS
            .iter()
            .find(|spec| spec.subcommand == self)
            .unwrap_or(&SPECS[SPECS.len() - 1])
    }

    /// The word typed after `/sentry`.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Arguments as shown in usage lines.
    pub fn arguments(self) -> &'static str {
        self.spec().arguments
    }

    /// One line on what it does.
    pub fn summary(self) -> &'static str {
        self.spec().summary
    }

    /// Worked examples for help.
    pub fn examples(self) -> &'static [&'static str] {
        self.spec().examples
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

    /// The subcommand `word` names, by name or alias, in any case.
    pub fn from_word(word: &str) -> Option<Subcommand> {
        let lower = word.to_lowercase();
        let by_name = SPECS.iter().find(|spec| spec.name == lower);
        by_name
            .or_else(|| {
                SPECS
                    .iter()
                    .find(|spec| spec.aliases.contains(&lower.as_str()))
            })
            .map(|spec| spec.subcommand)
    }

    /// The subcommand closest in spelling to `word`, if any is close.
    pub fn closest(word: &str) -> Option<Subcommand> {
        let lower = word.to_lowercase();
        SPECS
            .iter()
            .map(|spec| (strsim::damerau_levenshtein(&lower, spec.name), spec))
            .filter(|(distance, spec)| *distance <= 2.max(spec.name.len() / 4))
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, spec)| spec.subcommand)
    }
}

impl fmt::Display for Subcommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const AN_ISSUE: &str = "an issue: a short ID like `API-3F`, a numeric id, or an issue URL";

fn help(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    let topic = match args {
        [] => None,
        [word] => Some(
            Subcommand::from_word(word).ok_or_else(|| ParseError::UnknownCommand {
                given: word.to_string(),
                suggestion: Subcommand::closest(word),
            })?,
        ),
        [_, extra, ..] => return Err(unexpected(sub, extra)),
    };
    Ok(Command::Help { topic })
}

fn issues(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    let (project, query) = project_and_query(sub, args)?;
    if let Some(option) = query.as_deref().and_then(find_option) {
        return Err(ParseError::UnknownOption {
            command: sub,
            given: option.to_string(),
        });
    }
    Ok(Command::Issues { project, query })
}

fn issue(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    match args {
        [] => Err(ParseError::MissingArgument {
            command: sub,
            what: AN_ISSUE,
        }),
        [word] => Ok(Command::Issue {
            issue: parse_issue_ref(word)?,
        }),
        [_, extra, ..] => Err(unexpected(sub, extra)),
    }
}

fn events(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    let (issue, count) = match args {
        [] => {
            return Err(ParseError::MissingArgument {
                command: sub,
                what: AN_ISSUE,
            })
        }
        [word] => (parse_issue_ref(word)?, DEFAULT_EVENTS),
        [word, n] => (parse_issue_ref(word)?, parse_count(n)?),
        [_, _, extra, ..] => return Err(unexpected(sub, extra)),
    };
    Ok(Command::Events { issue, count })
}

fn releases(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    match args {
        [] => Err(ParseError::MissingArgument {
            command: sub,
            what: "a project, like `api` or `acme/api` (see `/sentry projects`)",
        }),
        [project] => Ok(Command::Releases {
            project: parse_project(sub, project)?,
        }),
        [_, extra, ..] => Err(unexpected(sub, extra)),
    }
}

fn projects(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    match args {
        [] => Ok(Command::Projects { org: None }),
        [org] => Ok(Command::Projects {
            org: Some(parse_org(sub, org)?),
        }),
        [_, extra, ..] => Err(unexpected(sub, extra)),
    }
}

fn unlink(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    match args {
        [] => Err(ParseError::MissingArgument {
            command: sub,
            what: "the org to unlink, like `acme` (see `/sentry orgs`)",
        }),
        [org] => Ok(Command::Unlink {
            org: parse_org(sub, org)?,
        }),
        [_, extra, ..] => Err(unexpected(sub, extra)),
    }
}

fn subscribe(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    // GitHub's app spells it `subscribe list`; accept the habit.
    if args.len() == 1 && args[0].eq_ignore_ascii_case("list") {
        return Ok(Command::Subscriptions);
    }
    let (options, plain) = split_options(sub, args)?;
    let (project, query) = project_and_query(sub, &plain)?;
    Ok(Command::Subscribe {
        project,
        query,
        options,
    })
}

fn unsubscribe(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    match args {
        [] => Err(ParseError::MissingArgument {
            command: sub,
            what: "a project, like `api` or `acme/api` (see `/sentry subscriptions`)",
        }),
        [project] => Ok(Command::Unsubscribe {
            project: parse_project(sub, project)?,
        }),
        [_, extra, ..] => Err(unexpected(sub, extra)),
    }
}

fn webhooks(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    match args {
        [] => Err(ParseError::MissingArgument {
            command: sub,
            what: "the org to set up, like `acme` (see `/sentry orgs`)",
        }),
        // A lone secret (the org forgotten) must not be taken for an org
        // and echoed back in "not linked".
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
    }
}

fn people(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    let user = |word: &str| {
        slack_user_ref(word).ok_or_else(|| ParseError::InvalidPerson {
            command: sub,
            given: word.to_string(),
            expected: "a Slack user, like `@ann`",
        })
    };
    let missing = |what| ParseError::MissingArgument { command: sub, what };
    let change = match args {
        [] => PeopleChange::List { org: None },
        ["map"] => {
            return Err(missing(
                "a Slack user and a Sentry email or username, like `@ann ann@corp.example`",
            ))
        }
        ["map", _] => return Err(missing("the Sentry email or username after the Slack user")),
        ["map", who, identity] => PeopleChange::Map {
            user: user(who)?,
            identity: sentry_identity(sub, identity)?,
        },
        ["team"] | ["team", _] => return Err(missing(
            "a Sentry team and a Slack user group, like `team backend @backend-oncall` (or `off`)",
        )),
        ["team", team, group] => {
            let (org, team) = match team.split_once('/') {
                Some((org, team)) => (Some(parse_org(sub, org)?), team),
                None => (None, *team),
            };
            let team = team.trim_start_matches('#').to_lowercase();
            let valid = !team.is_empty()
                && team
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid {
                return Err(ParseError::InvalidPerson {
                    command: sub,
                    given: team,
                    expected: "a Sentry team slug, like `backend`",
                });
            }
            let group = match group.to_ascii_lowercase().as_str() {
                "off" | "none" => None,
                _ => Some(
                    slack_group_ref(group).ok_or_else(|| ParseError::InvalidPerson {
                        command: sub,
                        given: group.to_string(),
                        expected: "a Slack user group, like `@backend-oncall`",
                    })?,
                ),
            };
            PeopleChange::Team { org, team, group }
        }
        ["unmap"] => return Err(missing("the Slack user to forget, like `@ann`")),
        ["unmap", who] => PeopleChange::Unmap { user: user(who)? },
        [org] => PeopleChange::List {
            org: Some(parse_org(sub, org)?),
        },
        ["map" | "unmap" | "team", .., extra] | [_, extra, ..] => {
            return Err(unexpected(sub, extra))
        }
    };
    Ok(Command::People { change })
}

fn notify(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    let topic = |word: &str| match word.to_ascii_lowercase().as_str() {
        "assigned" | "assignments" | "assign" => Some(NotifyTopic::Assigned),
        "regressions" | "regressed" | "regression" => Some(NotifyTopic::Regressions),
        _ => None,
    };
    let switch = |word: &str| match word.to_ascii_lowercase().as_str() {
        "on" | "yes" => Some(true),
        "off" | "no" => Some(false),
        _ => None,
    };
    let change = match args {
        [] => NotifyChange::Show,
        [what, value] => match (topic(what), switch(value)) {
            (Some(topic), Some(on)) => NotifyChange::Set { topic, on },
            (None, _) => return Err(unexpected(sub, what)),
            (_, None) => return Err(unexpected(sub, value)),
        },
        [what] if topic(what).is_some() => {
            return Err(ParseError::MissingArgument {
                command: sub,
                what: "`on` or `off` after it, like `assigned off`",
            })
        }
        [what] => return Err(unexpected(sub, what)),
        [_, _, extra, ..] => return Err(unexpected(sub, extra)),
    };
    Ok(Command::Notify { change })
}

/// `all`, or a project as `project` or `org/project`.
fn hush_target(sub: Subcommand, word: &str) -> Result<HushTarget, ParseError> {
    if word.eq_ignore_ascii_case("all") || word == "*" {
        Ok(HushTarget::All)
    } else {
        parse_project(sub, word).map(HushTarget::Project)
    }
}

fn mute(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    let (target, rest) = args.split_first().ok_or(ParseError::MissingArgument {
        command: sub,
        what: "a project (or `all`) and how long, like `api 2h` or `all until 18:00`",
    })?;
    let target = hush_target(sub, target)?;
    let length = MuteFor::parse(rest).map_err(|e| ParseError::InvalidTime {
        command: sub,
        expected: e.to_string(),
    })?;
    Ok(Command::Mute { target, length })
}

fn unmute(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    match args {
        [] => Err(ParseError::MissingArgument {
            command: sub,
            what: "a project (or `all`), like `api`",
        }),
        [target] => Ok(Command::Unmute {
            target: hush_target(sub, target)?,
        }),
        [_, extra, ..] => Err(unexpected(sub, extra)),
    }
}

fn doctor(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    let action = match args {
        [] => DoctorAction::Check,
        [retry, rest @ ..] if retry.eq_ignore_ascii_case("retry") => match rest {
            [] => DoctorAction::Retry { channel: None },
            [channel] => DoctorAction::Retry {
                channel: Some(channel_id(channel).ok_or_else(|| unexpected(sub, channel))?),
            },
            [_, extra, ..] => return Err(unexpected(sub, extra)),
        },
        [other, ..] => return Err(unexpected(sub, other)),
    };
    Ok(Command::Doctor { action })
}

/// A channel id from `<#C123|name>`, `<#C123>` or `C123`.
fn channel_id(word: &str) -> Option<String> {
    let id = word
        .strip_prefix("<#")
        .and_then(|w| w.strip_suffix('>'))
        .map_or(word, |inner| inner.split('|').next().unwrap_or(inner));
    let valid = id.len() >= 2
        && matches!(id.chars().next(), Some('C' | 'G'))
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    valid.then(|| id.to_string())
}

fn quiet(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    let (target, rest) = args.split_first().ok_or(ParseError::MissingArgument {
        command: sub,
        what: "a project (or `all`) and the hours, like `api 22:00-08:00`",
    })?;
    let target = hush_target(sub, target)?;
    let change = match rest {
        [] => {
            return Err(ParseError::MissingArgument {
                command: sub,
                what: "the hours, like `22:00-08:00`, or `off`",
            })
        }
        [off] if off.eq_ignore_ascii_case("off") || off.eq_ignore_ascii_case("none") => {
            QuietChange::Off
        }
        words => {
            let at = words
                .iter()
                .position(|w| w.eq_ignore_ascii_case("--urgent"));
            let (window, urgent) = match at {
                // Levels and the other judged terms are lowercase in Sentry.
                Some(at) => (&words[..at], Some(words[at + 1..].join(" ").to_lowercase())),
                None => (words, None),
            };
            if let Some(unknown) = window.iter().find(|w| w.starts_with("--")) {
                return Err(ParseError::UnknownOption {
                    command: sub,
                    given: unknown.to_string(),
                });
            }
            if let Some(query) = &urgent {
                if query.trim().is_empty() || !crate::sentry::search::judgeable(query) {
                    return Err(ParseError::InvalidOptionValue {
                        command: sub,
                        option: "--urgent",
                        expected: "a search query the bot can judge from an issue (level, status, assignment), like `level:fatal`".into(),
                    });
                }
            }
            // Checked here; read again in the person's zone when it names none.
            QuietHours::parse(window, chrono_tz::Tz::UTC).map_err(|e| ParseError::InvalidTime {
                command: sub,
                expected: e.to_string(),
            })?;
            QuietChange::Set {
                window: window.iter().map(|w| w.to_string()).collect(),
                urgent,
            }
        }
    };
    Ok(Command::Quiet { target, change })
}

fn report(sub: Subcommand, args: &[&str]) -> Result<Command, ParseError> {
    let (project, rest) = args.split_first().ok_or(ParseError::MissingArgument {
        command: sub,
        what: "a project and `daily`, `weekly`, `now` or `off`, like `api daily`",
    })?;
    let project = parse_project(sub, project)?;
    let (what, rest) = rest.split_first().ok_or(ParseError::MissingArgument {
        command: sub,
        what: "`daily`, `weekly`, `now` or `off` after the project",
    })?;
    let change = match what.to_ascii_lowercase().as_str() {
        "now" | "off" | "stop" if !rest.is_empty() => return Err(unexpected(sub, rest[0])),
        "now" => ReportChange::Now,
        "off" | "stop" => ReportChange::Off,
        "daily" | "weekly" => {
            let mut words = rest.iter().peekable();
            let mut weekly = (what.eq_ignore_ascii_case("weekly")).then_some(chrono::Weekday::Mon);
            if let (Some(_), Some(day)) = (weekly, words.peek().and_then(|w| w.parse().ok())) {
                weekly = Some(day);
                words.next();
            }
            let mut at = None;
            if words.peek().is_some_and(|w| w.eq_ignore_ascii_case("at")) {
                words.next();
                let word = words.next().ok_or(ParseError::MissingArgument {
                    command: sub,
                    what: "a time after `at`, like `at 09:00`",
                })?;
                at = Some(crate::quiet::schedule::parse_time(word).ok_or_else(|| {
                    ParseError::InvalidTime {
                        command: sub,
                        expected: format!("a time like `09:00` after `at` instead of `{word}`"),
                    }
                })?);
            }
            let mut tz = None;
            if let Some(zone) = words
                .peek()
                .and_then(|w| crate::quiet::schedule::parse_tz(w))
            {
                tz = Some(zone);
                words.next();
            }
            let query: Vec<&str> = words.copied().collect();
            // A weekday, a time or `at` out of place is a mistake, not a search.
            if let Some(first) = query.first() {
                let misplaced = first.eq_ignore_ascii_case("at")
                    || first.eq_ignore_ascii_case("am")
                    || first.eq_ignore_ascii_case("pm")
                    || crate::quiet::schedule::parse_time(first).is_some()
                    || first.parse::<chrono::Weekday>().is_ok();
                if misplaced {
                    return Err(ParseError::InvalidTime {
                        command: sub,
                        expected: format!(
                            "the weekday right after `weekly`, then `at HH:MM`, then the time zone, then search terms (`{first}` is out of place)"
                        ),
                    });
                }
            }
            ReportChange::Schedule {
                weekly,
                at,
                tz,
                query: (!query.is_empty()).then(|| query.join(" ")),
            }
        }
        _ => return Err(unexpected(sub, what)),
    };
    Ok(Command::Report { project, change })
}

/// A Sentry email or username: no spaces, no Slack markup.
fn sentry_identity(sub: Subcommand, word: &str) -> Result<String, ParseError> {
    let valid = !word.is_empty()
        && word.len() <= 254
        && !word
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '&' | '*'));
    if valid {
        Ok(word.trim_start_matches("mailto:").to_lowercase())
    } else {
        Err(ParseError::InvalidPerson {
            command: sub,
            given: word.to_string(),
            expected: "a Sentry member's email or username",
        })
    }
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;

    #[test]
    fn every_subcommand_has_exactly_one_row_and_words_are_unique() {
        for sub in Subcommand::iter() {
            let rows = SPECS.iter().filter(|spec| spec.subcommand == sub).count();
            assert_eq!(rows, 1, "{sub:?}");
        }
        let mut words: Vec<&str> = SPECS
            .iter()
            .flat_map(|spec| std::iter::once(spec.name).chain(spec.aliases.iter().copied()))
            .collect();
        let all = words.len();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), all, "a word names two subcommands");
    }

    #[test]
    fn doctor_checks_or_retries_a_named_channel_and_refuses_the_rest() {
        let parse = |args: &[&str]| doctor(Subcommand::Doctor, args);
        assert_eq!(
            parse(&[]).unwrap(),
            Command::Doctor {
                action: DoctorAction::Check
            }
        );
        assert_eq!(
            parse(&["retry"]).unwrap(),
            Command::Doctor {
                action: DoctorAction::Retry { channel: None }
            }
        );
        for named in ["<#C0PRIV|payments>", "<#C0PRIV>", "C0PRIV"] {
            assert_eq!(
                parse(&["retry", named]).unwrap(),
                Command::Doctor {
                    action: DoctorAction::Retry {
                        channel: Some("C0PRIV".into())
                    }
                },
                "{named}"
            );
        }
        assert!(parse(&["retry", "#payments"]).is_err());
        assert!(parse(&["now"]).is_err());
        assert!(parse(&["retry", "C1", "C2"]).is_err());
    }
}
