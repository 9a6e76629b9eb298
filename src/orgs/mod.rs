//! Org → token → Sentry, and who may act: the [`issue_service`] every
//! capability asks Sentry through, the [`grants`] behind it (TapAuth and
//! static tokens, sealing), the project [`catalog`], the [`access`] policy,
//! and what a Sentry or grant failure says to a person ([`failures`]).

pub(crate) mod access;
pub(crate) mod catalog;
pub(crate) mod failures;
pub mod grants;
pub(crate) mod issue_service;
pub mod people;
pub(crate) mod webhook_secrets;
