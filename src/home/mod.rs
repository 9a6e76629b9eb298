//! The app's Home tab: each person's assigned issues, DM settings and
//! subscriptions, and for admins the workspace's delivery health
//! ([`view`], pure), drawn when opened or acted on ([`refresh`]).

pub(crate) mod refresh;
pub(crate) mod view;
