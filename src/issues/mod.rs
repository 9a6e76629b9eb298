//! Reading issues in Slack: the [`answers`] to `issues`, `issue`, `events`,
//! `releases` and `projects`; the issue [`card`] with its [`facts`], issue
//! [`list`] pages, [`events`] and releases, and link [`unfurl`]s.

pub mod answers;
pub mod card;
pub mod events;
pub mod facts;
pub mod issue_text;
pub mod list;
pub mod unfurl;
