//! Org → token → Sentry, and who may act: the [`issue_service`] every
//! capability asks Sentry through, the [`grants`] behind it (TapAuth and
//! static tokens, sealing), the project [`catalog`], the [`access`] policy,
//! and what a Sentry or grant failure says to a person ([`failures`]).

pub mod access;
pub mod catalog;
pub mod failures;
pub mod grants;
pub mod issue_service;
pub mod webhook_secrets;
