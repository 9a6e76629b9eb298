//! Pure Block Kit builders: plain data in, Slack messages out. Untrusted
//! text goes through [`escape`] and every builder respects [`limits`].

pub mod alerts;
pub mod capabilities;
pub mod card;
pub mod errors;
pub mod escape;
pub mod events;
pub mod facts;
pub mod grants;
pub mod issue_text;
pub mod issues;
pub mod limits;
pub mod message;
pub mod text;
pub mod time;
pub mod webhooks;

pub use message::Message;
