//! Changing an issue from a button: who may, read it, skip no-ops, the exact
//! Sentry [`change`], what the server kept of it ([`outcome`]), a note
//! naming the person, and the redraw ([`click`]);
//! the option lists behind the Assign and "Resolve in…" menus ([`options`]);
//! muting an issue in one channel, which Sentry never hears of ([`here`]).

pub(crate) mod change;
pub(crate) mod click;
pub(crate) mod here;
pub(crate) mod options;
pub(crate) mod outcome;
