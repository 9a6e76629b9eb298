//! Sentry's web API: a lenient, rate-limit-aware client and its models.

pub mod budget;
pub mod capabilities;
pub mod client;
pub mod error;
pub mod models;
pub mod pagination;
pub mod ratelimit;
pub mod search;
pub mod turns;

pub use client::{IssueQuery, Page, SentryClient};
pub use error::SentryError;
