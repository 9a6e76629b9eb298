//! Connecting the bot to Sentry: `/sentry link`, `unlink` and `orgs`
//! ([`link`], their [`messages`]), and webhook secrets for real-time alerts
//! ([`webhook_secret`], [`webhook_messages`]); [`whoami`] shows whom a
//! person acts as.

pub(crate) mod link;
pub(crate) mod messages;
pub(crate) mod webhook_messages;
pub(crate) mod webhook_secret;
pub(crate) mod whoami;
