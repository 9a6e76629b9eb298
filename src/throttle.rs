//! "At most once per interval", for warnings that would otherwise repeat
//! on every request under load; their counters keep the full count.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Says yes at most once per `every`.
#[derive(Debug)]
pub(crate) struct Throttle {
    every: Duration,
    last: Mutex<Option<Instant>>,
}

impl Throttle {
    /// Due at once, then again `every` after each yes.
    pub(crate) const fn new(every: Duration) -> Self {
        Self {
            every,
            last: Mutex::new(None),
        }
    }

    /// Whether the interval since the last yes has passed; a yes starts it again.
    pub(crate) fn due(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let due = last.is_none_or(|at| at.elapsed() >= self.every);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_once_then_not_until_the_interval_has_passed() {
        let throttle = Throttle::new(Duration::from_millis(50));
        assert!(throttle.due());
        assert!(!throttle.due());
        std::thread::sleep(Duration::from_millis(60));
        assert!(throttle.due());
        assert!(!throttle.due());
    }
}
