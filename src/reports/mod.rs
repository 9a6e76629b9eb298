//! Scheduled reports: a daily or weekly picture of a project's health in
//! a channel. [`schedule`] says when one is due, [`figures`] what it
//! says and [`message`] how it looks (all pure); `gather` reads Sentry,
//! `commands` and `runner` schedule and post.

pub(crate) mod commands;
pub mod chart;
pub mod figures;
pub(crate) mod gather;
pub mod message;
pub(crate) mod runner;
pub mod schedule;
