//! Scheduled reports: a daily or weekly picture of a project's health in
//! a channel. [`schedule`] says when one is due, [`figures`] what it
//! says, [`message`] how it looks and [`chart`] its picture (all pure);
//! `gather` reads Sentry, `post` posts a report with its chart, `commands`
//! and `runner` schedule and post.

pub mod chart;
pub(crate) mod commands;
pub mod figures;
pub(crate) mod gather;
pub mod message;
pub(crate) mod post;
pub(crate) mod runner;
pub mod schedule;
