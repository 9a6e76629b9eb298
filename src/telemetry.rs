//! Tracing setup: `LOG_FORMAT=json|pretty`, level from `RUST_LOG` (default `info`).
//!
//! Lines are formatted on the thread that logs and written by a background
//! thread, so a request never waits for a `write` to stdout: lines logged
//! while one is written go out together in the next.

use std::io::{BufWriter, Write};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Lines that may wait for the writer thread (a few MiB at most). Past this
/// a logging thread waits for room rather than dropping lines.
const BUFFERED_LINES: usize = 16_384;

/// Where log lines go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogTarget {
    /// Standard output (the service).
    Stdout,
    /// Standard error (terminal commands, whose output is the answer).
    Stderr,
}

/// Installs the global subscriber. Keep the returned guard until the
/// process ends: dropping it writes what is still buffered (waiting up to a
/// second). A second call (tests) keeps the first subscriber.
pub fn init(format: LogFormat, target: LogTarget, default_level: &str) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{default_level},sqlx=warn,hyper=warn,slack_morphism=warn"
        ))
    });
    let sink: Box<dyn Write + Send> = match target {
        // Batched: the writer thread flushes whenever it has caught up.
        LogTarget::Stdout => Box::new(BufWriter::with_capacity(64 * 1024, std::io::stdout())),
        LogTarget::Stderr => Box::new(std::io::stderr()),
    };
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(BUFFERED_LINES)
        .thread_name("log-writer")
        .finish(sink);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let result = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    drop(result);
    guard
}
