//! Persistent state through sqlx. SQLite is the embedded default (a file
//! created on first start, WAL mode); PostgreSQL serves several replicas.
//! Both run the same embedded migrations.

mod activity;
mod alert_row;
mod alerts;
mod channel_pauses;
mod digests;
mod grants;
mod hush;
mod issue_mutes;
mod leases;
mod message_holds;
mod people;
mod personal;
mod report_charts;
mod reports;
mod webhooks;

pub use activity::{Activity, ActivityKind};
pub use alert_row::{AlertKind, AlertRow, AlertState, Snapshot};
pub use alerts::{MentionPolicy, SubscriptionRow, ThreadPolicy};
pub use channel_pauses::{ChannelDeliveries, ChannelPause};
pub use digests::OpenDigest;
pub use grants::GrantRow;
pub use leases::{Claim, Lease};
pub use message_holds::MessageHold;
pub use people::PersonMap;
pub use personal::{person_outbox, NotifySettings, NotifySwitch};
pub use reports::ReportRow;
pub use webhooks::WebhookState;

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::config::Secret;

/// Which database engine a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or reached.
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// Migrations failed to apply.
    #[error("cannot apply database migrations: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

/// The connection pool and the engine behind it.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations");

impl Store {
    /// Opens (creating an SQLite file when needed) and migrates the database.
    pub async fn open(database_url: &Secret) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let raw = database_url.expose();
        let backend = if raw.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite if !raw.contains("mode=") && !raw.contains(":memory:") => {
                let sep = if raw.contains('?') { '&' } else { '?' };
                format!("{raw}{sep}mode=rwc")
            }
            _ => raw.to_string(),
        };
        let options: AnyConnectOptions = url.parse().map_err(StoreError::Connect)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 10,
            })
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        // 1 MiB of page cache per connection instead of 2:
                        // the file is in the OS cache anyway, and every write
                        // on another connection empties this one.
                        conn.execute("PRAGMA cache_size = -1024").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(StoreError::Connect)?;
        MIGRATOR.run(&pool).await.map_err(StoreError::Migrate)?;
        Ok(Self { pool, backend })
    }

    /// The engine in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Runs one statement whose only answer is success or failure.
    pub(crate) async fn run<'q>(
        &self,
        statement: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<(), StoreError> {
        statement.execute(self.pool()).await?;
        Ok(())
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
