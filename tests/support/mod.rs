//! Test support shared by the integration tests: a Slack request signer, a
//! fake Slack Web API (with `response_url`s), and a helper that starts the
//! real `sentry-slack-bot serve` binary against them.
#![allow(dead_code)]

pub mod app;
pub mod block_kit;
pub mod fake_sentry;
pub mod fake_slack;
pub mod fake_tapauth;
pub mod signer;
