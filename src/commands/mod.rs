//! The `/sentry` command language alone, pure: [`parse`] turns text into a
//! [`Command`] using the subcommand's row in [`spec::SPECS`]; [`help`] and
//! [`usage`] are written from the same rows. What runs a command lives in
//! the capability it belongs to, and [`crate::surface::dispatch`] routes it.

mod arguments;
pub(crate) mod command;
pub(crate) mod error;
pub(crate) mod help;
pub mod parse;
pub(crate) mod resolve;
pub(crate) mod spec;
pub(crate) mod usage;

pub use parse::{parse, Command, ParseError, Subcommand};
