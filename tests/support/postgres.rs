//! The PostgreSQL the tests share: `TEST_POSTGRES_URL`, else the server on
//! 127.0.0.1:5432 (`bash .ci/run` starts it). Each test gets a schema of its
//! own, so tests run in parallel without seeing each other's rows.

use sqlx::{Connection, PgConnection};

/// The server the tests use.
pub fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh schema and a `DATABASE_URL` whose connections use it.
pub struct Schema {
    /// `DATABASE_URL` for the service under test.
    pub url: String,
    /// The schema's name.
    pub name: String,
    /// A connection to the server, outside the schema.
    pub admin: PgConnection,
}

/// Creates a schema named `prefix_<random>`.
pub async fn fresh_schema(prefix: &str) -> Schema {
    let admin_url = admin_url();
    let name = format!("{prefix}_{}", rand::random::<u32>());
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432 (bash .ci/run starts it)");
    sqlx::query(&format!("CREATE SCHEMA {name}"))
        .execute(&mut admin)
        .await
        .expect("create schema");
    Schema {
        url: format!("{admin_url}?options=-c%20search_path%3D{name}"),
        name,
        admin,
    }
}

impl Schema {
    /// The schema's tables, sorted.
    pub async fn tables(&mut self) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
        )
        .bind(&self.name)
        .fetch_all(&mut self.admin)
        .await
        .expect("list tables")
    }

    /// Drops the schema and everything in it.
    pub async fn drop(mut self) {
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
            .execute(&mut self.admin)
            .await
            .expect("drop schema");
    }
}
