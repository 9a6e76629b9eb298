//! Scheduled reports: a daily or weekly picture of a project's health in
//! a channel. [`schedule`] says when one is due (pure).

pub(crate) mod commands;
pub(crate) mod figures;
pub(crate) mod gather;
pub(crate) mod message;
pub(crate) mod runner;
pub mod schedule;
