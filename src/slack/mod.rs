//! The Slack protocol, nothing about Sentry: what our controls carry back
//! ([`action`]), the Web API client and `response_url` answers.

pub mod action;
pub mod error;
pub mod reply;
pub mod response_url;
pub mod web;

pub use error::SlackError;
pub use reply::{ImmediateReply, PreparedReply, Reply, Visibility};
