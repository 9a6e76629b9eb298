//! The Slack protocol, nothing about Sentry: what our controls carry back
//! ([`action`]), Block Kit primitives (a [`Message`], mrkdwn [`escape`],
//! [`limits`], [`text`] cutting, [`time`] tokens), the Web API client and
//! `response_url` answers.

pub mod action;
pub(crate) mod error;
pub mod escape;
pub(crate) mod limits;
pub(crate) mod message;
pub mod payload;
pub mod reference;
pub(crate) mod refusal;
pub(crate) mod reply;
pub(crate) mod response_url;
pub mod text;
pub(crate) mod time;
pub(crate) mod web;

pub use error::SlackError;
pub use message::Message;
pub use reply::{ImmediateReply, PreparedReply, Reply, Visibility};
