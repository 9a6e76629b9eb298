//! A rendered Slack message: Block Kit blocks plus the plain `text` fallback
//! that notifications and screen readers use.

use slack_morphism::prelude::*;

use crate::slack::action::{ActionId, Rerun};
use crate::slack::escape::truncate_plain;
use crate::slack::limits;

/// Blocks and their fallback text.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Plain fallback text; never empty.
    pub text: String,
    /// Block Kit blocks.
    pub blocks: Vec<SlackBlock>,
}

impl Message {
    /// A message of one mrkdwn section whose fallback is the same text.
    pub fn mrkdwn(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            blocks: vec![section(&text)],
            text,
        }
    }
}

/// A section block of mrkdwn text.
pub(crate) fn section(text: &str) -> SlackBlock {
    SlackSectionBlock::new().with_text(md!(text)).into()
}

/// A context block of mrkdwn elements.
pub(crate) fn context(elements: &[&str]) -> SlackBlock {
    SlackContextBlock::new(elements.iter().map(|e| md!(*e)).collect()).into()
}

/// A header block of plain text.
pub(crate) fn header(text: &str) -> SlackBlock {
    SlackHeaderBlock::new(pt!(text)).into()
}

/// A button labelled `label` that runs `command` (the text after
/// `/sentry`) and replaces the message it is on with the answer; `index`
/// tells it from its block's other buttons.
pub(crate) fn command_button(label: &str, index: usize, command: &str) -> Option<SlackBlock> {
    let value = Rerun {
        text: command.to_string(),
        cursor: None,
        page: 1,
    }
    .encode()?;
    let button: SlackActionBlockElement =
        SlackBlockButtonElement::new(pt!(truncate_plain(label, limits::MAX_BUTTON_TEXT)))
            .with_action_id(ActionId::Run(index).encode().into())
            .with_value(value)
            .into();
    Some(SlackActionsBlock::new(vec![button]).into())
}

/// Buttons that run each of `commands` (the text after `/sentry`), for an
/// answer whose fix is another command; `None` when there is none.
pub(crate) fn fix_buttons(commands: &[String]) -> Option<SlackBlock> {
    let buttons: Vec<SlackActionBlockElement> = commands
        .iter()
        .take(5)
        .enumerate()
        .filter_map(|(i, text)| {
            let value = Rerun {
                text: text.clone(),
                cursor: None,
                page: 1,
            }
            .encode()?;
            Some(
                SlackBlockButtonElement::new(pt!(truncate_plain(
                    &format!("/sentry {text}"),
                    limits::MAX_BUTTON_TEXT
                )))
                .with_action_id(ActionId::Run(i).encode().into())
                .with_value(value)
                .into(),
            )
        })
        .collect();
    (!buttons.is_empty()).then(|| SlackActionsBlock::new(buttons).into())
}
