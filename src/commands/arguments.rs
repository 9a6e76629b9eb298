//! The argument kinds commands share: projects, orgs, issues, counts,
//! subscribe options and client secrets. Pure.

use url::Url;

use crate::commands::command::MAX_EVENTS;
use crate::commands::command::{
    Command, ProjectRef, Subcommand, SubscribeOptions, WebhookChange, MAX_DIGEST,
};
use crate::commands::error::ParseError;
use crate::config::{is_slug, Secret};
use crate::sentry::issue_ref::IssueRef;
use crate::store::{MentionPolicy, ThreadPolicy};

/// Shortest and longest client secret accepted; Sentry's are 64 hex digits.
const SECRET_LENGTHS: std::ops::RangeInclusive<usize> = 32..=128;

pub(super) fn unexpected(command: Subcommand, given: &str) -> ParseError {
    ParseError::UnexpectedArgument {
        command,
        given: given.to_string(),
    }
}

pub(super) fn no_arguments(
    sub: Subcommand,
    args: &[&str],
    command: Command,
) -> Result<Command, ParseError> {
    match args.first() {
        None => Ok(command),
        Some(extra) => Err(unexpected(sub, extra)),
    }
}

pub(super) fn project_and_query(
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
pub(super) fn find_option(query: &str) -> Option<&str> {
    query
        .split_whitespace()
        .find(|w| w.starts_with("--") && w.len() > 2)
}

pub(super) fn split_options<'a>(
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
            "threads" => {
                // A bare `--threads` (older syntax) keeps the default.
                let value = match inline_value {
                    Some(v) => Some(v.to_string()),
                    None => iter
                        .next_if(|next| thread_policy(next).is_some())
                        .map(str::to_string),
                };
                options.threads = match value {
                    None => ThreadPolicy::Thread,
                    Some(v) => thread_policy(&v).ok_or(ParseError::InvalidOptionValue {
                        command: sub,
                        option: "--threads",
                        expected: "`thread`, `broadcast` or `off`, like `--threads broadcast`"
                            .to_string(),
                    })?,
                };
            }
            "no-threads" => options.threads = ThreadPolicy::Off,
            "mention" => {
                let value = match inline_value {
                    Some(v) => Some(v),
                    None => iter.next(),
                };
                options.mention = match value.map(str::to_lowercase).as_deref() {
                    Some("assignee") => MentionPolicy::Assignee,
                    Some("owners" | "owner") => MentionPolicy::Owners,
                    Some("none") => MentionPolicy::None,
                    _ => {
                        return Err(ParseError::InvalidOptionValue {
                            command: sub,
                            option: "--mention",
                            expected: "`assignee`, `owners` or `none`, like `--mention owners`"
                                .to_string(),
                        })
                    }
                };
            }
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

pub(super) fn parse_project(sub: Subcommand, word: &str) -> Result<ProjectRef, ParseError> {
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

pub(super) fn parse_count(word: &str) -> Result<u32, ParseError> {
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
pub(super) fn looks_like_secret(word: &str) -> bool {
    word.len() > 50 || (word.len() >= 32 && word.chars().all(|c| c.is_ascii_hexdigit()))
}

pub(super) fn parse_webhook_change(word: &str) -> Result<WebhookChange, ParseError> {
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

pub(super) fn parse_org(sub: Subcommand, word: &str) -> Result<String, ParseError> {
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
/// The thread policy a `--threads` value names.
fn thread_policy(value: &str) -> Option<ThreadPolicy> {
    match value.to_lowercase().as_str() {
        "thread" | "threads" | "on" => Some(ThreadPolicy::Thread),
        "broadcast" | "channel" => Some(ThreadPolicy::Broadcast),
        "off" | "none" => Some(ThreadPolicy::Off),
        _ => None,
    }
}
