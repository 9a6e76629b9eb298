//! Scheduled reports: a daily or weekly picture of a project's health in
//! a channel. [`schedule`] says when one is due (pure).

pub mod schedule;
