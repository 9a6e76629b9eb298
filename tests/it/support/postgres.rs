//! The PostgreSQL the tests share, found once per test binary:
//! `TEST_POSTGRES_URL`; else the server on 127.0.0.1:5432 (`bash .ci/run`
//! starts one); else a private throwaway cluster when PostgreSQL's server
//! binaries are installed (`initdb`, `pg_ctl`), stopped when the tests end;
//! else the PostgreSQL tests are skipped with one line saying how to run
//! them — except under `CI=true`, where they are required.
//! Each test gets a schema of its own, so tests run in parallel without
//! seeing each other's rows.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use sqlx::{Connection, PgConnection};

const LOCAL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The server the tests use, or `None` when there is none (tests skip).
pub fn admin_url() -> Option<String> {
    static SERVER: OnceLock<Option<String>> = OnceLock::new();
    SERVER.get_or_init(find_server).clone()
}

fn find_server() -> Option<String> {
    if let Ok(url) = std::env::var("TEST_POSTGRES_URL") {
        return Some(url);
    }
    // TEST_POSTGRES_THROWAWAY=1 checks the throwaway path on a machine that has a server.
    let forced = std::env::var("TEST_POSTGRES_THROWAWAY").is_ok_and(|v| v == "1");
    let local: SocketAddr = ([127, 0, 0, 1], 5432).into();
    if !forced && TcpStream::connect_timeout(&local, Duration::from_secs(1)).is_ok() {
        return Some(LOCAL.to_string());
    }
    match throwaway_cluster() {
        Ok(url) => Some(url),
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("PostgreSQL is required under CI=true: {why}")
        }
        Err(why) => {
            eprintln!(
                "skipped: PostgreSQL tests ({why}); set TEST_POSTGRES_URL, start a server on 127.0.0.1:5432, \
                 or install PostgreSQL's server binaries (initdb, pg_ctl) to run them"
            );
            None
        }
    }
}

/// The newest `bin` directory holding `initdb` and `pg_ctl`.
fn server_binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>());
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .collect();
    debian.sort();
    on_path
        .chain(debian.into_iter().rev())
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

/// Runs `program` as the unprivileged `postgres` user when we are root
/// (`initdb` refuses to run as root).
fn as_server_user(program: &Path) -> Command {
    // SAFETY: geteuid only reads the process's effective user id.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Starts a private cluster on a free loopback port; a watcher stops it
/// when this test process exits.
fn throwaway_cluster() -> Result<String, String> {
    let bin =
        server_binaries().ok_or("no server on 127.0.0.1:5432 and no initdb/pg_ctl installed")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let dir =
        std::env::temp_dir().join(format!("sentry-slack-bot-pg-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // SAFETY: geteuid only reads the process's effective user id.
    if unsafe { libc::geteuid() } == 0 {
        let mut chown = Command::new("chown");
        chown.args(["-R", "postgres"]).arg(&dir);
        run(chown, "chown")?;
    }
    let data = dir.join("data");
    let mut initdb = as_server_user(&bin.join("initdb"));
    initdb
        .args(["-U", "postgres", "--auth=trust", "-D"])
        .arg(&data);
    run(initdb, "initdb")?;
    let mut start = as_server_user(&bin.join("pg_ctl"));
    start
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("server.log"))
        .arg("-o")
        .arg(format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.display()
        ))
        .args(["-w", "start"]);
    run(start, "pg_ctl start")?;
    // Stop the cluster and remove it when this test binary exits.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runner}'{pg_ctl}' -D '{data}' -m fast stop >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        runner = if unsafe { libc::geteuid() } == 0 { "runuser -u postgres -- " } else { "" },
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("sh")
        .args(["-c", &stop])
        .spawn()
        .map_err(|e| format!("cannot start the cluster's watcher: {e}"))?;
    eprintln!("PostgreSQL tests use a throwaway cluster on 127.0.0.1:{port}");
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
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

/// Creates a schema named `prefix_<random>`, or `None` when no PostgreSQL
/// can be had here (the caller's test then skips; never under `CI=true`).
pub async fn fresh_schema(prefix: &str) -> Option<Schema> {
    let admin_url = admin_url()?;
    let name = format!("{prefix}_{}", rand::random::<u32>());
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL answers");
    sqlx::query(&format!("CREATE SCHEMA {name}"))
        .execute(&mut admin)
        .await
        .expect("create schema");
    Some(Schema {
        url: format!("{admin_url}?options=-c%20search_path%3D{name}"),
        name,
        admin,
    })
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
