//! The interaction payload Slack posts as `payload=<json>` and what a click
//! in it asks for. Pure: no I/O, so any body can be parsed safely.

use serde::Deserialize;

use crate::slack::action::Place;
use crate::slack::action::{
    from_detail_block_id, page_from_block_id, parse_here, parse_resolve_in, parse_show, ActionId,
    IssueAction, IssueVerb, Menu, Rerun,
};

/// Where the click happened, which decides how the message is redrawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Surface {
    /// A row of an issue list; `page` re-renders the list when known.
    ListRow {
        /// The list page the row is on.
        page: Option<Rerun>,
    },
    /// An issue in detail; `shared` when it was posted to the channel.
    Detail {
        /// Visible to the channel rather than only the clicker.
        shared: bool,
        /// The message's `ts`, for channel messages.
        message_ts: Option<String>,
    },
}

/// What the clicker asked for, before "me" is resolved to a Sentry user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requested {
    /// A verb from a button or menu.
    Verb(IssueVerb),
    /// A user or team picked in the assignee menu.
    Assign {
        /// `user:<id>` or `team:<id>`.
        actor: String,
        /// The label the menu showed.
        name: String,
    },
    /// A release picked in the "Resolve in…" menu.
    ResolveIn {
        /// The release's version.
        version: String,
    },
}

/// One click on one issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRequest {
    /// Org slug.
    pub org: String,
    /// Numeric issue id.
    pub issue_id: String,
    /// What to do.
    pub requested: Requested,
    /// Where it was clicked.
    pub surface: Surface,
}

/// Why an interaction body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The body is not a form with a `payload` field.
    #[error("not a form with a payload field")]
    NotAForm,
    /// `payload` is not the JSON Slack sends.
    #[error("payload is not interaction JSON: {0}")]
    NotJson(#[from] serde_json::Error),
}

/// Reads a `/slack/interactions` body.
pub fn parse_form(body: &[u8]) -> Result<InteractionPayload, PayloadError> {
    let form: InteractionForm =
        serde_urlencoded::from_bytes(body).map_err(|_| PayloadError::NotAForm)?;
    Ok(serde_json::from_str(&form.payload)?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InteractionForm {
    payload: String,
}

/// The parts of an interaction payload the bot reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InteractionPayload {
    /// `block_actions`, `block_suggestion`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Who interacted.
    pub user: Option<IdOnly>,
    /// Workspace.
    pub team: Option<IdOnly>,
    /// Channel of the message.
    pub channel: Option<IdOnly>,
    /// The actions taken.
    pub actions: Vec<Action>,
    /// `action_id` of an option load.
    pub action_id: Option<String>,
    /// Where answers go.
    pub response_url: Option<String>,
    /// `block_id` of an option load.
    pub block_id: Option<String>,
    /// What was typed into an option load.
    pub value: Option<String>,
    /// The message the action came from.
    pub container: Option<Container>,
}

/// Where an interaction happened.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Container {
    /// `message`, or `view` for the Home tab (which has no `response_url`).
    #[serde(rename = "type")]
    pub kind: String,
    /// True for messages only the clicker sees.
    pub is_ephemeral: bool,
    /// The message's `ts`.
    pub message_ts: Option<String>,
}

/// A user, team or channel: its id, and its name when Slack sends one.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IdOnly {
    /// Slack ID.
    pub id: String,
    /// Name (channels: without `#`).
    pub name: Option<String>,
}

/// One action of a `block_actions` payload.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Action {
    /// The element's `action_id`.
    pub action_id: String,
    /// The block the element is in.
    pub block_id: String,
    /// A button's value.
    pub value: Option<String>,
    /// A menu's chosen option.
    pub selected_option: Option<SelectedOption>,
}

/// The option picked in a menu.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SelectedOption {
    /// The option's value.
    pub value: String,
    /// The option's label.
    pub text: Option<OptionText>,
}

/// An option's label.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OptionText {
    /// The label.
    pub text: String,
}

impl Action {
    /// The button value or the chosen option's value.
    pub fn chosen_value(&self) -> Option<&str> {
        self.value
            .as_deref()
            .or(self.selected_option.as_ref().map(|o| o.value.as_str()))
    }
}

/// What a click asks for.
#[derive(Debug)]
pub enum Intent {
    /// Show another page (replaces the message).
    Page(Rerun),
    /// Post the same answer to the channel.
    Share(Rerun),
    /// Show one issue of a digest to the clicker.
    Expand(Rerun),
    /// Change an issue in Sentry.
    IssueAction(ActionRequest),
    /// Show a list row's issue as its full card, in place of the row.
    ShowCard {
        /// Org slug.
        org: String,
        /// Numeric issue id.
        issue_id: String,
        /// The list page the row is on, when its block id carries it.
        page: Option<Rerun>,
        /// The list is in the channel, so the card goes to the clicker alone.
        shared: bool,
    },
    /// "Mute here" / "Unmute here" on an alert in a channel: this channel's
    /// follow-ups about the issue stop or resume; Sentry is not touched.
    MuteHere {
        /// Org slug.
        org: String,
        /// Numeric issue id.
        issue_id: String,
        /// Mute (else unmute).
        mute: bool,
    },
    /// A link button or something the bot need not act on.
    Nothing,
}

/// What `action` asks for; `shared` when the message is visible to the
/// channel, `message_ts` the message's `ts`. Unknown or damaged values ask
/// for nothing.
pub fn intent(action: &Action, shared: bool, message_ts: Option<&str>) -> Intent {
    let detail = || Surface::Detail {
        shared,
        message_ts: message_ts.filter(|_| shared).map(str::to_string),
    };
    let rerun = || action.chosen_value().and_then(Rerun::decode);
    let row = || Surface::ListRow {
        page: page_from_block_id(&action.block_id),
    };
    let verb = |surface: Surface| {
        action
            .chosen_value()
            .and_then(IssueAction::parse)
            .map_or(Intent::Nothing, |a| {
                Intent::IssueAction(ActionRequest {
                    org: a.org,
                    issue_id: a.issue_id,
                    requested: Requested::Verb(a.verb),
                    surface,
                })
            })
    };
    let on_card = |(org, _, issue_id): (String, String, String)| (org, issue_id);
    let card_issue = || from_detail_block_id(&action.block_id).map(on_card);
    let Some(id) = ActionId::decode(&action.action_id) else {
        return Intent::Nothing;
    };
    match id {
        ActionId::NextPage => rerun().map_or(Intent::Nothing, Intent::Page),
        ActionId::Share => rerun().map_or(Intent::Nothing, Intent::Share),
        ActionId::Expand(_) => rerun().map_or(Intent::Nothing, Intent::Expand),
        // A suggested command replaces the answer that suggested it.
        ActionId::Run(_) => rerun().map_or(Intent::Nothing, Intent::Page),
        // Only a message the channel sees can be muted there.
        ActionId::More(Place::Card) => match action.chosen_value().and_then(parse_here) {
            Some((mute, org, issue_id)) if shared => Intent::MuteHere {
                org,
                issue_id,
                mute,
            },
            Some(_) => Intent::Nothing,
            None => verb(detail()),
        },
        ActionId::Verb(Place::Card) | ActionId::Archive(Place::Card) => verb(detail()),
        ActionId::Verb(Place::Row { .. })
        | ActionId::Archive(Place::Row { .. })
        | ActionId::More(Place::Row { .. }) => verb(row()),
        ActionId::RowMenu(_) => match action.chosen_value().and_then(parse_show) {
            Some((org, issue_id)) => Intent::ShowCard {
                org,
                issue_id,
                page: page_from_block_id(&action.block_id),
                shared,
            },
            None => verb(row()),
        },
        ActionId::Assign(Menu::Card) => match card_issue() {
            Some((org, issue_id)) => assignment(action, org, issue_id, detail()),
            None => Intent::Nothing,
        },
        ActionId::Assign(Menu::Row { org, issue_id }) => assignment(action, org, issue_id, row()),
        ActionId::ResolveIn(Menu::Card) => resolve_in(action, detail()),
        ActionId::ResolveIn(Menu::Row { .. }) => resolve_in(action, row()),
        ActionId::Open(_) | ActionId::LinkApproval => Intent::Nothing,
    }
}

/// A pick in "Resolve in…": next or current release (a verb), or a release.
fn resolve_in(action: &Action, surface: Surface) -> Intent {
    let Some(value) = action.chosen_value() else {
        return Intent::Nothing;
    };
    if let Some(verb) = IssueAction::parse(value) {
        return Intent::IssueAction(ActionRequest {
            org: verb.org,
            issue_id: verb.issue_id,
            requested: Requested::Verb(verb.verb),
            surface,
        });
    }
    match parse_resolve_in(value) {
        Some((org, issue_id, version)) => Intent::IssueAction(ActionRequest {
            org,
            issue_id,
            requested: Requested::ResolveIn { version },
            surface,
        }),
        None => Intent::Nothing,
    }
}

/// A pick in an assignee menu: "Assign to me", a member or a team.
fn assignment(action: &Action, org: String, issue_id: String, surface: Surface) -> Intent {
    let Some(option) = action.selected_option.as_ref() else {
        return Intent::Nothing;
    };
    let requested = if option.value == crate::slack::action::ASSIGN_TO_ME {
        Requested::Verb(IssueVerb::AssignToMe)
    } else if option.value.starts_with("user:") || option.value.starts_with("team:") {
        Requested::Assign {
            actor: option.value.clone(),
            name: option
                .text
                .as_ref()
                .map_or(option.value.clone(), |t| t.text.clone()),
        }
    } else {
        return Intent::Nothing;
    };
    Intent::IssueAction(ActionRequest {
        org,
        issue_id,
        requested,
        surface,
    })
}
