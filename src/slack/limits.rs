//! Block Kit limits; Slack rejects a whole message that breaks one.

/// Blocks in one message.
pub(crate) const MAX_BLOCKS: usize = 50;
/// Characters of a section's text.
pub(crate) const MAX_SECTION_TEXT: usize = 3000;
/// Characters of a button's label.
pub(crate) const MAX_BUTTON_TEXT: usize = 75;
/// Characters of a button's value.
pub(crate) const MAX_BUTTON_VALUE: usize = 2000;
/// Characters of an `action_id`.
#[cfg(test)]
pub(crate) const MAX_ACTION_ID: usize = 255;
/// Characters of the `text` fallback Slack keeps (it truncates past this).
pub(crate) const MAX_FALLBACK_TEXT: usize = 40_000;
/// An image block's `alt_text`.
pub(crate) const MAX_ALT_TEXT: usize = 2000;
