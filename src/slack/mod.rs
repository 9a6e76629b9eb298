//! Outbound Slack: the Web API client and `response_url` answers.

pub mod error;
pub mod reply;
pub mod response_url;
pub mod web;

pub use error::SlackError;
pub use reply::{ImmediateReply, PreparedReply, Reply, Visibility};
