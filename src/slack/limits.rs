//! Block Kit limits; Slack rejects a whole message that breaks one.

/// Blocks in one message.
pub const MAX_BLOCKS: usize = 50;
/// Characters of a section's text.
pub const MAX_SECTION_TEXT: usize = 3000;
/// Characters of a header's plain text.
pub const MAX_HEADER_TEXT: usize = 150;
/// Characters of a button's label.
pub const MAX_BUTTON_TEXT: usize = 75;
/// Characters of a button's value.
pub const MAX_BUTTON_VALUE: usize = 2000;
/// Characters of an `action_id`.
pub const MAX_ACTION_ID: usize = 255;
/// Elements in one context block.
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
/// Characters of the `text` fallback Slack keeps (it truncates past this).
pub const MAX_FALLBACK_TEXT: usize = 40_000;
