//! Reading issues in Slack: the [`answers`] to `issues`, `issue`, `events`,
//! `releases` and `projects`; the issue [`card`] with its [`facts`], issue
//! [`list`] pages, [`events`] and releases, and link [`unfurl`]s.

pub(crate) mod answers;
pub mod card;
pub(crate) mod events;
pub(crate) mod facts;
pub(crate) mod issue_text;
pub mod list;
pub(crate) mod row;
pub(crate) mod unfurl;
