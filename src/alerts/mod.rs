//! Channel alerts end to end: subscribing ([`subscriptions`]), polling
//! ([`poller`], [`schedule`], [`page_prints`], [`backstop`], [`pacer`]), Sentry's
//! issue [`webhooks`], planning both into the outbox ([`plan`], [`diff`],
//! typed [`alert::Alert`]s), delivery ([`worker`], [`outbox`], [`storm`]),
//! redraws when an issue changes ([`sync`]) and the alert [`messages`].
//!
//! - [`schedule`]: groups subscriptions by (org, project, query), skips orgs
//!   that are backing off, and takes each group's lease so one replica polls
//!   it; [`plan`] then lists the group once, diffs the page against what each
//!   subscription has seen, and writes the planned alerts to the outbox in
//!   the same transaction;
//! - [`sync`]: redraws posted alerts whose issue changed in Sentry;
//! - [`outbox`]: claims pending alerts, renders and posts them, and marks
//!   them posted, at most one message per second per channel; alerts that
//!   pile up for a subscription are gathered into one digest ([`storm`]);
//! - [`personal`]: a person's notices (an issue assigned to them, or one of
//!   theirs that came back) become one DM per window, updated in place;
//! - [`pause`]: a channel Slack refuses for good (the bot is not a member,
//!   it is archived) keeps its alerts pending, its subscribers get one DM
//!   with the fix ([`pause_message`]), and delivery resumes when a retry lands;
//! - [`mute`] and [`catch_up`]: `/sentry mute` and `/sentry quiet` hold a
//!   subscription's alerts back (state `held`), and when nothing holds them
//!   any more they become one catch-up message ([`held`]).
//!
//! Ticks and webhooks plan alerts and wake the process's one delivery
//! [`worker`], which drains the outbox channel by channel.
//!
//! Delivery is at-least-once with one documented window: a crash after
//! Slack accepted a post and before it is marked posted re-posts that one
//! alert after restart. Nothing else is posted twice, because an alert is
//! planned once (unique per subscription, issue, kind and dedup key) and
//! marked posted right after Slack answers.

pub(crate) mod alert;
pub(crate) mod backoff;
pub(crate) mod backstop;
pub(crate) mod catch_up;
pub(crate) mod context;
pub(crate) mod delivery;
pub(crate) mod diff;
pub(crate) mod group;
pub(crate) mod held;
pub mod messages;
pub(crate) mod mute;
pub(crate) mod outbox;
pub(crate) mod pacer;
pub(crate) mod page_prints;
pub(crate) mod pause;
pub(crate) mod pause_message;
pub(crate) mod personal;
pub(crate) mod plan;
pub mod poller;
pub(crate) mod schedule;
pub(crate) mod storm;
pub(crate) mod subscriptions;
pub(crate) mod sync;
pub(crate) mod webhooks;
pub(crate) mod worker;
