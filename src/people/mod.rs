//! People: who in Sentry is who in Slack (`/sentry people`, and the maps
//! admins make where emails differ), so alerts can mention the person who
//! should act; and personal DMs when an issue is assigned to someone or
//! one of theirs comes back (`/sentry notify`, [`notify`], [`dm`]).

pub(crate) mod commands;
pub(crate) mod dm;
pub(crate) mod messages;
pub(crate) mod notice;
pub(crate) mod notify;
