//! Pure Block Kit builders: plain data in, Slack messages out. Untrusted
//! text goes through [`crate::slack::escape`] and every builder respects
//! [`crate::slack::limits`].

pub mod alerts;
pub mod capabilities;
pub mod card;
pub mod errors;
pub mod events;
pub mod facts;
pub mod grants;
pub mod issue_text;
pub mod issues;
pub mod webhooks;
