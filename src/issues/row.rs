//! One line per issue in a message that lists several (digests, catch-ups,
//! reports): level, short ID linked, title, a note, and a *Show* button
//! that opens the issue's card.

use slack_morphism::prelude::*;

use crate::issues::issue_text::{level_emoji, link};
use crate::sentry::models::Issue;
use crate::slack::action::{ActionId, Rerun};
use crate::slack::escape::{escape_mrkdwn, untrusted};

/// One issue of a digest, a catch-up or a report: level, short ID linked, title, and a *Show*
/// button; `note` (already mrkdwn) follows the title.
pub(crate) fn issue_row(i: usize, issue: &Issue, note: Option<&str>) -> SlackBlock {
    let name = escape_mrkdwn(issue.short_id.as_deref().unwrap_or(&issue.id));
    let mut text = format!(
        "{} {} {}",
        level_emoji(issue.level.as_deref()),
        link(issue.permalink.as_deref(), &format!("*{name}*")),
        untrusted(&issue.title, 200)
    );
    if let Some(note) = note {
        text.push_str(" — ");
        text.push_str(note);
    }
    let mut row = SlackSectionBlock::new().with_text(md!(text));
    let expand = Rerun {
        text: format!("issue {}", issue.id),
        cursor: None,
        page: 1,
    };
    if let Some(value) = expand.encode() {
        row = row.with_accessory(
            SlackBlockButtonElement::new(pt!("Show"))
                .with_action_id(ActionId::Expand(i).encode().into())
                .with_value(value)
                .into(),
        );
    }
    row.into()
}
