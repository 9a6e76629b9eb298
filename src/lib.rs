//! sentry-slack-bot: Sentry in Slack. Slash commands list and act on issues,
//! buttons change them in place, and a poller posts channel alerts.
//!
//! The flow runs one way: [`http`] and [`socket`] verify and decode Slack's
//! requests and hand them to [`commands`], [`interactions`] or [`events`];
//! those ask Sentry through the one [`issues`] service, [`render`] builds
//! Block Kit, [`slack`] sends it, and [`store`] keeps what must survive a
//! restart. The [`poller`] runs beside them on the same services.

pub mod activity_log;
pub mod app;
pub mod commands;
pub mod config;
pub mod deferred;
pub mod doctor;
pub mod events;
pub mod grants;
pub mod http;
pub mod interactions;
pub mod issues;
pub mod manifest;
pub mod meters;
pub mod outbound;
pub mod poller;
pub mod preview;
pub mod recent_ids;
pub mod render;
pub mod sentry;
pub mod slack;
pub mod socket;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod version;
pub mod webhooks;

/// `User-Agent` for outbound calls.
pub const USER_AGENT: &str = concat!("sentry-slack-bot/", env!("CARGO_PKG_VERSION"));
