//! `/sentry people`: who in Sentry is who in Slack, and the maps admins
//! make where emails differ, so alerts can mention the person who should act.

pub(crate) mod commands;
pub(crate) mod messages;
