//! The activity log's writer: requests hand their row to a queue and go
//! on; one task writes whatever has queued in one transaction. Under load a
//! row per request would take a pooled connection and a commit each, and
//! beyond the pool's size the rows waited and were lost to timeouts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::store::{Activity, Store};
use crate::throttle::Throttle;

/// Rows that may wait for the writer (about 3 MiB). At tens of thousands of
/// commands a second the writer keeps the queue near empty; the bound is
/// for a stalled database.
pub const QUEUE_CAPACITY: usize = 10_000;
/// Rows written in one transaction at most.
pub const MAX_BATCH: usize = 500;
/// Attempts at writing one batch before its rows are counted as lost.
const ATTEMPTS: u32 = 4;
/// At most one warning per this long about rows that could not be written;
/// `activity_rows_total{outcome}` has the full count.
const WARN_EVERY: Duration = Duration::from_secs(10);
/// How long shutdown waits for queued rows to be written.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where requests record what they did. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ActivityLog {
    queue: mpsc::Sender<Activity>,
    stop: CancellationToken,
    writer: Arc<Mutex<Option<JoinHandle<()>>>>,
    warnings: Arc<Throttle>,
}

impl ActivityLog {
    /// Starts the writer on the current runtime.
    pub fn start(store: Store) -> Self {
        let (queue, rows) = mpsc::channel(QUEUE_CAPACITY);
        let stop = CancellationToken::new();
        let writer = tokio::spawn(write_batches(store, rows, stop.clone()));
        Self {
            queue,
            stop,
            writer: Arc::new(Mutex::new(Some(writer))),
            warnings: Arc::new(Throttle::new(WARN_EVERY)),
        }
    }

    /// Queues `activity`; never waits.
    pub fn record(&self, activity: Activity) {
        let message = match self.queue.try_send(activity) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Full(_)) => {
                "the activity log cannot keep up; rows are dropped"
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                "activity recorded after shutdown began is not kept"
            }
        };
        metrics::counter!(crate::meters::ACTIVITY_ROWS, "outcome" => "dropped").increment(1);
        if self.warnings.due() {
            tracing::warn!("{message} (see activity_rows_total)");
        }
    }

    /// Writes every row queued so far and stops the writer, waiting at
    /// most a few seconds: once stopping, each batch gets one attempt, and
    /// a writer still busy when time runs out is abandoned. Rows recorded
    /// afterwards are dropped (and counted).
    pub async fn close(&self) {
        self.stop.cancel();
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(mut writer) = writer else { return };
        match tokio::time::timeout(CLOSE_TIMEOUT, &mut writer).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the activity log's writer ended abnormally"),
            Err(_) => {
                writer.abort();
                tracing::warn!("shutdown before every activity row was written");
            }
        }
    }
}

/// Waits for a row, then takes every row already queued (up to
/// [`MAX_BATCH`]) and writes them together. Once stopped, writes what is
/// still queued and returns.
async fn write_batches(store: Store, mut rows: mpsc::Receiver<Activity>, stop: CancellationToken) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let received = tokio::select! {
            received = rows.recv_many(&mut batch, MAX_BATCH) => received,
            () = stop.cancelled() => break,
        };
        if received == 0 {
            return;
        }
        write_with_retries(&store, &batch, ATTEMPTS).await;
        batch.clear();
    }
    // No new rows from here on; the queued ones are still received, and
    // each batch gets one attempt so shutdown is not held by a dead database.
    rows.close();
    while rows.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_with_retries(&store, &batch, 1).await;
        batch.clear();
    }
}

async fn write_with_retries(store: &Store, batch: &[Activity], attempts: u32) {
    let mut delay = Duration::from_millis(100);
    for attempt in 1..=attempts {
        match store.record_activities(batch).await {
            Ok(()) => {
                metrics::counter!(crate::meters::ACTIVITY_ROWS, "outcome" => "written")
                    .increment(batch.len() as u64);
                return;
            }
            Err(e) if attempt < attempts => {
                tracing::debug!(error = %e, attempt, "activity rows not written yet; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(e) => {
                metrics::counter!(crate::meters::ACTIVITY_ROWS, "outcome" => "failed")
                    .increment(batch.len() as u64);
                tracing::warn!(error = %e, rows = batch.len(), "could not record activity");
            }
        }
    }
}
