//! The `/sentry` command language: [`parse`] turns text into a [`Command`],
//! [`run`] decides what to answer at once and what to do afterwards.

pub mod catalog;
pub mod grants;
pub mod issue_actions;
pub mod parse;
pub mod resolve;
pub mod run;
pub mod sentry;
pub mod subscriptions;
pub mod unfurl;

pub use parse::{parse, Command, ParseError, Subcommand};
