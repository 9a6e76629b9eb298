//! The Slack protocol, nothing about Sentry: what our controls carry back
//! ([`action`]), Block Kit primitives (a [`Message`], mrkdwn [`escape`],
//! [`limits`], [`text`] cutting, [`time`] tokens), the Web API client and
//! `response_url` answers.

pub mod action;
pub mod error;
pub mod escape;
pub mod limits;
pub mod message;
pub mod payload;
pub mod reply;
pub mod response_url;
pub mod text;
pub mod time;
pub mod web;

pub use error::SlackError;
pub use message::Message;
pub use reply::{ImmediateReply, PreparedReply, Reply, Visibility};
