//! Sentry's web API: a lenient, rate-limit-aware client and its models.

pub(crate) mod budget;
pub(crate) mod capabilities;
pub mod client;
pub(crate) mod error;
pub(crate) mod issue_ref;
pub mod models;
pub(crate) mod page_cut;
pub mod pagination;
pub(crate) mod ratelimit;
pub(crate) mod search;
pub mod turns;

pub use client::{IssueQuery, Page, SentryClient};
pub use error::SentryError;
