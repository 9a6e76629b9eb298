//! One issue as a compact card, the same in alerts, `/sentry issue`,
//! unfurls and an expanded digest row: the title as a bold link, one line
//! of where it stands, the triage facts, and one set of actions.
//!
//! ```text
//! *<permalink|KeyError: 'cart_id'>*
//! 🔴 *New* · 1,234 events · 56 users · first seen Nov 20 at 09:05 · assigned to Ann
//! acme/api · API-3F · env production · release `api@1.4.2` · unhandled
//! 📍 `app/cart.py:88 in total` · ▁▁▁▂▅█ +40 in the last hour
//! [Resolve] [Archive…▾] [Assign…▾] [Open in Sentry] [⋯]
//! ```

use slack_morphism::prelude::*;

use crate::issues::facts::{self, Facts};
use crate::issues::issue_text::{assignee, is_open, level_emoji, link};
use crate::sentry::capabilities::Gap;
use crate::sentry::models::{Event, Issue};
use crate::slack::action::{
    self, detail_block_id, here_value, ActionId, IssueAction, IssueVerb, Menu, Rerun,
};
use crate::slack::escape::{escape_mrkdwn, inline_code, truncate_plain, untrusted};
use crate::slack::limits;
use crate::slack::message::{context, section, Message};
use crate::slack::time::slack_date;

/// Characters of a title on a card.
const TITLE: usize = 300;
/// Characters of the exception quote.
const QUOTE: usize = 500;

/// How an alert introduces the issue; other cards read it from the issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// First seen.
    New,
    /// Came back after being resolved.
    Regressed,
    /// Open, and Sentry says its events spiked.
    Escalating,
}

/// What a card shows.
#[derive(Clone, Debug)]
pub struct Card<'a> {
    /// Org slug.
    pub org: &'a str,
    /// The issue.
    pub issue: &'a Issue,
    /// Its latest event, when it could be had.
    pub event: Option<&'a Event>,
    /// New or regressed, for alerts.
    pub phase: Option<Phase>,
    /// Says why the card is here instead of the phase, like "Assigned to
    /// #backend"; escaped mrkdwn.
    pub label: Option<&'a str>,
    /// What just happened, like "Resolved by <@U1>"; escaped mrkdwn.
    pub note: Option<&'a str>,
    /// What "Share in channel" re-runs, on private answers.
    pub share: Option<Rerun>,
    /// The controls the org's server can act on.
    pub controls: Controls,
    /// The block id of the list row the card is drawn in, when it is; its
    /// controls then redraw the list.
    pub row: Option<String>,
    /// Whom the card mentions, as mrkdwn: the assignee (`<@U…>`) when the
    /// bot knows who they are in Slack, otherwise the card names them; on
    /// an unassigned issue, Sentry's suggested owner ("suggested for …").
    pub mention: Option<&'a str>,
    /// On a card in a channel: whether the channel muted this issue
    /// ("Mute here" / "Unmute here" in ⋯); `None` elsewhere.
    pub here: Option<bool>,
}

impl<'a> Card<'a> {
    /// A card with nothing but the issue.
    pub fn new(org: &'a str, issue: &'a Issue) -> Self {
        Self {
            org,
            issue,
            event: None,
            phase: None,
            label: None,
            note: None,
            share: None,
            controls: Controls::ALL,
            row: None,
            mention: None,
            here: None,
        }
    }
}

/// The controls an org's server can act on: a server without assignment
/// gets no Assign menu and no Unassign, which would only fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Controls {
    /// Whether the server assigns issues.
    pub assignment: bool,
}

impl Controls {
    /// Every control: the documented API.
    pub const ALL: Controls = Controls { assignment: true };

    /// The controls for a server known to lack `gaps`.
    pub fn for_server(gaps: &[Gap]) -> Self {
        Self {
            assignment: !gaps.contains(&Gap::Assignment),
        }
    }
}

/// The card as a message. Pure.
pub fn issue_card(card: &Card<'_>) -> Message {
    let issue = card.issue;
    let facts = facts::gather(issue, card.event);
    let title = untrusted(&issue.title, TITLE);
    let mut blocks = vec![section(&format!(
        "*{}*",
        link(issue.permalink.as_deref(), &title)
    ))];
    blocks.push(context(&[&standing(card)]));
    blocks.push(context(&[&facts_line(card, &facts)]));
    if let Some(exception) = &facts.exception {
        let quoted = untrusted(&exception.replace('\n', " "), QUOTE);
        blocks.push(section(&format!("&gt; {quoted}")));
    }
    let project = issue.project_slug().unwrap_or("");
    let (place, block_id) = match &card.row {
        Some(row) => (Place::Row, row.clone()),
        None => (Place::Card, detail_block_id(card.org, project, &issue.id)),
    };
    blocks.push(
        SlackActionsBlock::new(actions(
            card.org,
            issue,
            card.share.as_ref(),
            place,
            card.controls,
            card.here.filter(|_| card.row.is_none()),
        ))
        .with_block_id(block_id.into())
        .into(),
    );
    if let Some(note) = card.note {
        blocks.push(context(&[note]));
    }
    Message {
        text: fallback(card),
        blocks,
    }
}

/// Level, phase, counts, first seen and assignee: where the issue stands.
fn standing(card: &Card<'_>) -> String {
    let issue = card.issue;
    let mut parts = vec![format!(
        "{} *{}*",
        level_emoji(issue.level.as_deref()),
        card.label.unwrap_or_else(|| phase_label(issue, card.phase))
    )];
    if let Some(count) = issue.count {
        parts.push(counted(count, "event", "events"));
    }
    if let Some(users) = issue.user_count {
        parts.push(counted(users, "user", "users"));
    }
    if let Some(first) = issue
        .first_seen
        .as_deref()
        .and_then(|t| slack_date(t, "{date_short_pretty} at {time}"))
    {
        parts.push(format!("first seen {first}"));
    }
    match (card.mention, assignee(issue)) {
        (Some(mention), Some(_)) => parts.push(format!("assigned to {mention}")),
        (_, Some(who)) => parts.push(format!("assigned to {}", untrusted(&who, 80))),
        (Some(owner), None) => parts.push(format!("suggested for {owner}")),
        (None, None) => {}
    }
    if card.here == Some(true) {
        parts.push(":no_bell: muted here".to_string());
    }
    parts.join(" · ")
}

/// Project, short ID, environment, release, handled; then where in the
/// code and the trend.
fn facts_line(card: &Card<'_>, facts: &Facts) -> String {
    let issue = card.issue;
    let project = issue.project_slug().unwrap_or("");
    let mut parts = vec![escape_mrkdwn(&format!("{}/{project}", card.org))];
    parts.push(escape_mrkdwn(
        issue.short_id.as_deref().unwrap_or(&issue.id),
    ));
    if let Some(env) = &facts.environment {
        parts.push(format!("env *{}*", untrusted(env, 60)));
    }
    if let Some(release) = &facts.release {
        parts.push(format!("release {}", inline_code(release, 80)));
    }
    match facts.handled {
        Some(false) => parts.push(":warning: unhandled".to_string()),
        Some(true) => parts.push("handled".to_string()),
        None => {}
    }
    let mut line = parts.join(" · ");
    let place = facts
        .top_frame
        .as_deref()
        .or(issue.culprit.as_deref().filter(|c| !c.is_empty()));
    let mut second = Vec::new();
    if let Some(place) = place {
        second.push(format!(":round_pushpin: {}", inline_code(place, 200)));
    }
    if let Some(trend) = &facts.trend {
        let recent = match trend.last_hour {
            0 => "none in the last hour".to_string(),
            n => format!("+{} in the last hour", thousands(n)),
        };
        second.push(format!("{} {recent}", trend.sparkline));
    }
    if !second.is_empty() {
        line.push('\n');
        line.push_str(&second.join(" · "));
    }
    line
}

/// New, Regressed or Ongoing; Resolved or Archived when closed.
fn phase_label(issue: &Issue, phase: Option<Phase>) -> &'static str {
    match (phase, issue.status.as_deref(), issue.substatus.as_deref()) {
        (_, Some("resolved"), _) => "Resolved",
        (_, Some("ignored" | "muted" | "archived"), _) => "Archived",
        (Some(Phase::New), ..) => "New",
        (Some(Phase::Regressed), ..) => "Regressed",
        (Some(Phase::Escalating), ..) => "Escalating",
        (None, _, Some("new")) => "New",
        (None, _, Some("regressed")) => "Regressed",
        (None, _, Some("escalating")) => "Escalating",
        _ => "Ongoing",
    }
}

/// `1,234 events`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The notification text: short ID, phase, title.
fn fallback(card: &Card<'_>) -> String {
    let issue = card.issue;
    let text = format!(
        "{} {}: {}",
        escape_mrkdwn(issue.short_id.as_deref().unwrap_or(&issue.id)),
        card.label.unwrap_or_else(|| phase_label(issue, card.phase)),
        untrusted(&issue.title, TITLE)
    );
    truncate_plain(&text, limits::MAX_FALLBACK_TEXT)
}

fn option(
    verb: IssueVerb,
    org: &str,
    issue_id: &str,
) -> SlackBlockChoiceItem<SlackBlockPlainTextOnly> {
    SlackBlockChoiceItem::new(
        pt!(verb.label()),
        IssueAction::new(verb, org, issue_id).to_string(),
    )
}

/// Where a set of actions sits; clicks on a list row redraw the list, clicks
/// on a card redraw the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// An issue card (its block id names org, project and issue).
    Card,
    /// A row of an issue list (its block id names the page).
    Row,
}

impl Place {
    fn control(self, issue_id: &str) -> action::Place {
        match self {
            Place::Card => action::Place::Card,
            Place::Row => action::Place::Row {
                issue_id: issue_id.to_string(),
            },
        }
    }

    fn menu(self, org: &str, issue_id: &str) -> Menu {
        match self {
            Place::Card => Menu::Card,
            Place::Row => Menu::Row {
                org: org.to_string(),
                issue_id: issue_id.to_string(),
            },
        }
    }
}

/// A compact list row's one menu: Resolve (or Unresolve), Archive until
/// escalating, Assign to me where the server assigns, and Show the card.
pub fn row_menu(org: &str, issue: &Issue, controls: Controls) -> SlackBlockOverflowElement {
    let id = issue.id.as_str();
    let mut options = Vec::with_capacity(4);
    if is_open(issue) {
        options.push(option(IssueVerb::Resolve, org, id));
        options.push(option(IssueVerb::ArchiveUntilEscalating, org, id));
    } else {
        options.push(option(IssueVerb::Unresolve, org, id));
    }
    if controls.assignment {
        options.push(option(IssueVerb::AssignToMe, org, id));
    }
    options.push(SlackBlockChoiceItem::new(
        pt!("Show the card"),
        action::show_value(org, id),
    ));
    SlackBlockOverflowElement::new(options)
        .with_action_id(ActionId::RowMenu(id.to_string()).encode().into())
}

/// The one set of actions: Resolve (or Unresolve) · Resolve in ▾ (next or
/// current release, recent releases) · Archive ▾ · Assign ▾ · Open in
/// Sentry · ⋯ (unassign) and, on private answers, Share.
pub fn actions(
    org: &str,
    issue: &Issue,
    share: Option<&Rerun>,
    place: Place,
    controls: Controls,
    muted_here: Option<bool>,
) -> Vec<SlackActionBlockElement> {
    let open = is_open(issue);
    let id = issue.id.as_str();
    let here = || place.control(id);
    let main = if open {
        IssueVerb::Resolve
    } else {
        IssueVerb::Unresolve
    };
    let mut main_button = SlackBlockButtonElement::new(pt!(main.label()))
        .with_action_id(ActionId::Verb(here()).encode().into())
        .with_value(IssueAction::new(main, org, id).to_string());
    // One green button per message: a list of ten would be a wall of them.
    if place == Place::Card {
        main_button = main_button.with_style(SlackBlockButtonStyle::Primary);
    }
    let mut elements: Vec<SlackActionBlockElement> = vec![main_button.into()];
    if open {
        // Next release, current release and the project's recent releases,
        // loaded when the menu opens.
        elements.push(
            SlackBlockExternalSelectElement::new()
                .with_action_id(ActionId::ResolveIn(place.menu(org, id)).encode().into())
                .with_placeholder(pt!("Resolve in…"))
                .with_min_query_length(0)
                .into(),
        );
        elements.push(
            SlackBlockStaticSelectElement::new()
                .with_action_id(ActionId::Archive(here()).encode().into())
                .with_placeholder(pt!("Archive…"))
                .with_options(
                    IssueVerb::ARCHIVE
                        .iter()
                        .map(|v| option(*v, org, id))
                        .collect(),
                )
                .into(),
        );
    }
    if controls.assignment {
        let mut assign = SlackBlockExternalSelectElement::new()
            .with_action_id(ActionId::Assign(place.menu(org, id)).encode().into())
            .with_placeholder(pt!("Assign…"))
            .with_min_query_length(0);
        if let (Some(actor), Some(name)) = (issue.assignee_actor(), assignee(issue)) {
            assign = assign.with_initial_option(SlackBlockChoiceItem::new(
                pt!(truncate_plain(&name, limits::MAX_BUTTON_TEXT)),
                actor,
            ));
        }
        elements.push(assign.into());
    }
    if let Some(url) = issue
        .permalink
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
    {
        elements.push(
            SlackBlockButtonElement::new(pt!("Open in Sentry"))
                .with_action_id(ActionId::Open(here()).encode().into())
                .with_url(url)
                .into(),
        );
    }
    let mut more = Vec::new();
    if controls.assignment && issue.assigned_to.is_some() {
        more.push(option(IssueVerb::Unassign, org, id));
    }
    if let Some(muted) = muted_here {
        let label = if muted { "Unmute here" } else { "Mute here" };
        more.push(SlackBlockChoiceItem::new(
            pt!(label),
            here_value(!muted, org, id),
        ));
    }
    if !more.is_empty() {
        elements.push(
            SlackBlockOverflowElement::new(more)
                .with_action_id(ActionId::More(here()).encode().into())
                .into(),
        );
    }
    if let Some(value) = share.and_then(Rerun::encode) {
        elements.push(
            SlackBlockButtonElement::new(pt!("Share in channel"))
                .with_action_id(ActionId::Share.encode().into())
                .with_value(value)
                .into(),
        );
    }
    elements
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn issue(overrides: Value) -> Issue {
        let mut base = json!({
            "id": "4509123456", "shortId": "API-3F", "title": "KeyError: 'cart_id'",
            "permalink": "https://acme.sentry.io/issues/4509123456/", "level": "error",
            "status": "unresolved", "substatus": "new", "count": "1234", "userCount": 56,
            "lastSeen": "2025-11-28T23:57:00Z", "firstSeen": "2025-11-20T09:05:00Z",
            "project": { "slug": "api" }
        });
        for (k, v) in overrides.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    fn json_of(message: &Message) -> String {
        serde_json::to_string(&message.blocks).unwrap()
    }

    #[test]
    fn a_mention_on_an_unassigned_issue_is_its_suggested_owner() {
        let standing = |i: &Issue, mention: Option<&str>| {
            let message = issue_card(&Card {
                mention,
                ..Card::new("acme", i)
            });
            let blocks = serde_json::to_value(&message.blocks).unwrap();
            blocks[1]["elements"][0]["text"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let unassigned = issue(json!({}));
        assert!(standing(&unassigned, Some("<@U0ANN1>")).ends_with(" · suggested for <@U0ANN1>"));
        assert!(!standing(&unassigned, None).contains("suggested"));
        let assigned = issue(json!({ "assignedTo": { "type": "user", "id": "7", "name": "Ann" } }));
        assert!(standing(&assigned, Some("<@U0ANN1>")).ends_with(" · assigned to <@U0ANN1>"));
    }

    #[test]
    fn the_title_is_a_bold_link_and_one_line_says_where_it_stands() {
        let i = issue(json!({ "assignedTo": { "type": "user", "id": "7", "name": "Ann" } }));
        let message = issue_card(&Card {
            phase: Some(Phase::New),
            ..Card::new("acme", &i)
        });
        let blocks = serde_json::to_value(&message.blocks).unwrap();
        assert_eq!(
            blocks[0]["text"]["text"],
            "*<https://acme.sentry.io/issues/4509123456/|KeyError: 'cart_id'>*"
        );
        assert_eq!(
            blocks[1]["elements"][0]["text"],
            ":red_circle: *New* · 1,234 events · 56 users · first seen \
             <!date^1763629500^{date_short_pretty} at {time}|2025-11-20 09:05 UTC> · assigned to Ann"
        );
        assert_eq!(blocks[2]["elements"][0]["text"], "acme/api · API-3F");
        // Ann is the assign menu's initial option; unassigning is in ⋯.
        let json = json_of(&message);
        assert!(
            json.contains("\"initial_option\":{\"text\":{\"type\":\"plain_text\",\"text\":\"Ann\"")
        );
        assert!(json.contains("\"unassign:acme:4509123456\""));
        assert!(message.text.starts_with("API-3F New: KeyError"));
    }

    #[test]
    fn triage_facts_from_the_event_and_the_trend_from_stats() {
        let event: Event = serde_json::from_value(json!({
            "tags": [{"key": "environment", "value": "production"}, {"key": "release", "value": "api@1.4.2"}],
            "entries": [{"type": "exception", "data": {"values": [{
                "type": "RuntimeError", "value": "pool exhausted",
                "mechanism": {"handled": false},
                "stacktrace": {"frames": [{"filename": "app/cart.py", "lineNo": 88, "function": "total", "inApp": true}]}
            }]}}]
        }))
        .unwrap();
        let stats = json!({"24h": (0..24).map(|h| json!([h, h])).collect::<Vec<_>>()});
        let i = issue(json!({ "title": "Checkout failed", "stats": stats }));
        let message = issue_card(&Card {
            event: Some(&event),
            ..Card::new("acme", &i)
        });
        let blocks = serde_json::to_value(&message.blocks).unwrap();
        let facts = blocks[2]["elements"][0]["text"].as_str().unwrap();
        assert!(facts.starts_with("acme/api · API-3F · env *production* · release `api@1.4.2` · :warning: unhandled\n"), "{facts}");
        assert!(
            facts.contains(":round_pushpin: `app/cart.py:88 in total`"),
            "{facts}"
        );
        assert!(facts.ends_with("█ +23 in the last hour"), "{facts}");
        assert_eq!(
            blocks[3]["text"]["text"],
            "&gt; RuntimeError: pool exhausted"
        );
    }

    #[test]
    fn a_closed_issue_offers_unresolve_and_no_archive() {
        let i = issue(json!({ "status": "resolved", "substatus": null }));
        let message = issue_card(&Card {
            note: Some("Resolved by <@U1>"),
            ..Card::new("acme", &i)
        });
        let json = json_of(&message);
        assert!(json.contains("*Resolved*"));
        assert!(json.contains("\"unresolve:acme:4509123456\""));
        assert!(!json.contains("issue_archive"));
        assert!(!json.contains("\"resolve:acme"));
        assert!(json.contains("Resolved by <@U1>"));
        assert!(json.contains("\"block_id\":\"d|acme|api|4509123456\""));
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(counted(1, "event", "events"), "1 event");
    }
}
