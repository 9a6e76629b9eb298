//! sentry-slack-bot: Sentry in Slack. Slash commands list and act on issues,
//! buttons change them in place, and a poller posts channel alerts.
//!
//! # Layout
//!
//! One folder per thing the bot does, over shared floors. Imports run one
//! way, top to bottom, and slices never import each other sideways except
//! to read issues:
//!
//! - [`surface`]: Slack's HTTP and Socket Mode entry points, verification,
//!   ack-or-defer, routing commands and clicks to a capability.
//! - Capabilities: [`links`] (link, unlink, orgs, webhook secrets),
//!   [`alerts`] (subscriptions, polling, webhooks, delivery), `health`
//!   (`/sentry doctor`, channels Slack refuses), `home` (the Home tab), [`triage`]
//!   (buttons that change an issue), and [`issues`] (reading issues: cards,
//!   lists, events, unfurls), which the others draw with.
//! - [`context`]: the services and the person every capability runs on.
//! - Floors: [`commands`] (the `/sentry` language, pure), [`orgs`] (org →
//!   token → Sentry, who may act), [`slack`] (the Slack protocol: typed
//!   actions, Block Kit primitives, Web API).
//! - Infrastructure: [`sentry`] (HTTP client and models), [`store`]
//!   (SQLite or PostgreSQL) and [`quiet`] (mutes and quiet hours as pure
//!   time arithmetic, which commands, alerts and the store share).
//!
//! [`app`] wires it together; [`preview`] and [`doctor`] serve the CLI.

// Items are `pub(crate)` unless the binary, tests or benches use them.
#![warn(unreachable_pub)]

pub mod activity_log;
pub mod alerts;
pub mod app;
pub mod commands;
pub mod config;
pub mod context;
pub mod deferred;
pub mod doctor;
pub(crate) mod health;
pub(crate) mod home;
pub mod issues;
pub(crate) mod links;
pub mod manifest;
pub(crate) mod meters;
pub mod orgs;
pub(crate) mod outbound;
pub(crate) mod people;
pub mod preview;
pub mod quiet;
pub(crate) mod recent_ids;
pub mod reports;
pub mod sentry;
pub mod slack;
pub mod store;
pub mod surface;
pub mod telemetry;
pub(crate) mod throttle;
pub(crate) mod triage;
pub(crate) mod version;

/// `User-Agent` for outbound calls.
pub const USER_AGENT: &str = concat!("sentry-slack-bot/", env!("CARGO_PKG_VERSION"));
