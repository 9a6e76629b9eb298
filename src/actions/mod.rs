//! Values carried by buttons and menus, and what they ask for. Encoding and
//! decoding are pure; the handlers live with the HTTP layer.

pub mod change;
pub mod issue;
pub mod rerun;
