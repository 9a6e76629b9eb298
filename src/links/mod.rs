//! Connecting the bot to Sentry: `/sentry link`, `unlink` and `orgs`
//! ([`link`], their [`messages`]), and webhook secrets for real-time alerts
//! ([`webhook_secret`], [`webhook_messages`]); [`whoami`] shows whom a
//! person acts as.

pub mod link;
pub mod messages;
pub mod webhook_messages;
pub mod webhook_secret;
pub mod whoami;
