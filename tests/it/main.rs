//! The integration tests, one binary: a module per capability, each
//! running the real service binary or router against the fake Slack,
//! Sentry and TapAuth in [`support`], on real SQLite files and PostgreSQL.
//! One binary compiles and links once.

#[macro_use]
mod support;

mod access;
mod app_home;
mod bursts_and_delivery;
mod channel_alerts;
mod cli;
mod compatible_server;
mod delivery_health;
mod events_and_releases;
mod fake_slack;
mod faults;
mod grants;
mod help_command;
mod issue_buttons;
mod issue_commands;
mod metrics;
mod mute_here;
mod org_links;
mod people;
mod personal_dms;
mod properties;
mod quiet;
mod replicas;
mod reports;
mod sentry_client;
mod sentry_webhooks;
mod slack_signing;
mod snapshots;
mod socket_mode;
mod store;
mod terminal_command;
mod webhooks;
