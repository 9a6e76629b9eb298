//! Where Slack (and Sentry's webhooks) reach us: the [`http`] router and
//! signature checks, Socket Mode ([`socket`]), ack-or-defer for slash
//! commands ([`inbound`]), routing a parsed command to its capability
//! ([`dispatch`]), block actions and option loads ([`interactions`]), and the
//! Events API ([`events_api`]). No domain logic: each hands typed inputs on.

pub mod dispatch;
pub(crate) mod events_api;
pub mod http;
pub(crate) mod inbound;
pub(crate) mod interactions;
pub(crate) mod socket;
