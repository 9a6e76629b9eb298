//! Delivery health: no alert fails silently. A channel Slack refuses is
//! paused with its alerts kept (see [`alerts::pause`](crate::alerts::pause));
//! [`doctor`] answers `/sentry doctor` in words with a mark per line
//! ([`report`]) and retries what failed; the bot being added to a channel
//! resumes it.

pub(crate) mod doctor;
pub(crate) mod report;
