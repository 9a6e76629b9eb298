//! A rendered Slack message: Block Kit blocks plus the plain `text` fallback
//! that notifications and screen readers use.

use slack_morphism::prelude::*;

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
pub fn section(text: &str) -> SlackBlock {
    SlackSectionBlock::new().with_text(md!(text)).into()
}

/// A context block of mrkdwn elements.
pub fn context(elements: &[&str]) -> SlackBlock {
    SlackContextBlock::new(elements.iter().map(|e| md!(*e)).collect()).into()
}

/// A header block of plain text.
pub fn header(text: &str) -> SlackBlock {
    SlackHeaderBlock::new(pt!(text)).into()
}
