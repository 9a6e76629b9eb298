//! At most one message per second per channel, as Slack asks; channels do
//! not wait for each other.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Hands out posting slots per channel.
#[derive(Debug)]
pub struct Pacer {
    gap: Duration,
    next: Mutex<HashMap<String, Instant>>,
}

impl Pacer {
    /// Slots `gap` apart in each channel.
    pub fn new(gap: Duration) -> Self {
        Self {
            gap,
            next: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for the channel's next slot and reserves it.
    pub async fn wait_turn(&self, channel: &str) {
        let wait = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = next
                .get(channel)
                .copied()
                .filter(|s| *s > now)
                .unwrap_or(now);
            next.insert(channel.to_string(), slot + self.gap);
            slot - now
        };
        tokio::time::sleep(wait).await;
    }

    /// Pushes the channel's next slot back, after Slack asked to wait.
    pub fn hold(&self, channel: &str, wait: Duration) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let until = Instant::now() + wait;
        let slot = next.entry(channel.to_string()).or_insert(until);
        if *slot < until {
            *slot = until;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_slot_per_gap_per_channel() {
        let pacer = Pacer::new(Duration::from_secs(1));
        let start = Instant::now();
        pacer.wait_turn("C1").await;
        pacer.wait_turn("C2").await;
        assert!(
            start.elapsed() < Duration::from_millis(10),
            "channels do not wait for each other"
        );
        pacer.wait_turn("C1").await;
        assert!(start.elapsed() >= Duration::from_secs(1));
        pacer.hold("C2", Duration::from_secs(5));
        pacer.wait_turn("C2").await;
        assert!(start.elapsed() >= Duration::from_secs(5));
    }
}
