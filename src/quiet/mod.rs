//! Quiet: when a channel hears nothing from a subscription, and what it
//! hears after. Pure: a timed mute ([`when`]), quiet hours in a time zone
//! ([`schedule`]) and the judgement of one alert against both ([`hush`]).
//! The commands, the holding in the outbox and the catch-up message are
//! `alerts`' (they are channel alerts); this module only decides.

pub mod hush;
pub mod schedule;
pub mod when;
