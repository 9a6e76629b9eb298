//! The service's hot path against this machine's HTTP ceiling, side by side.
//!
//! `cargo bench --bench hot_path` starts the real `sentry-slack-bot serve`
//! binary (SQLite, default `info` logging as JSON to a file, the activity log
//! on) and a static nginx serving the same answer, byte for byte, to the same
//! request: a signed `/sentry help` POST. It then loads each in turn, several
//! rounds, with the same generator (wrk when installed, else a built-in
//! keep-alive client) and prints requests/s and latency per server, the
//! service's share of nginx's rate, and whether every command's activity row
//! was written. Without nginx only the service is measured.
//! `HOT_PATH_BINARY=/path/to/sentry-slack-bot` measures another build (an
//! earlier commit's, say) in the service's place.
//! Bounded: a fixed time per round, loopback only, both servers stopped at the end.

#[path = "../tests/it/support/mod.rs"]
mod support;

mod common;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{mib, ms, percentile, status_kib};
use support::app::{TestApp, BOT_TOKEN, SIGNING_SECRET};
use support::fake_slack::FakeSlack;
use support::signer;

const ROUNDS: usize = 3;
const ROUND: Duration = Duration::from_secs(10);
const CONNECTIONS: usize = 50;

/// A server under load and what one round measured.
struct Round {
    requests: u64,
    rate: f64,
    p50: Duration,
    p99: Duration,
    failed: u64,
    /// CPU the load generator used, as a share of the machine's cores.
    generator_cpu: f64,
}

/// User plus system CPU of this process's waited-for children (wrk).
fn children_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The bot, started from the bench build with its log going to a file.
struct Service {
    child: Child,
    addr: String,
}

impl Service {
    fn start(dir: &Path, slack_api: &str) -> Self {
        let log = std::fs::File::create(dir.join("service.log")).expect("log file");
        let child = Command::new(service_binary())
            .arg("serve")
            .current_dir(dir)
            .env_clear()
            .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
            .env("SLACK_BOT_TOKEN", BOT_TOKEN)
            .env("SLACK_API_URL", slack_api)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.join("bot.db").display()),
            )
            .env("BIND", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("start sentry-slack-bot");
        let mut service = Self {
            child,
            addr: String::new(),
        };
        let started = Instant::now();
        service.addr = loop {
            let found = std::fs::File::open(dir.join("service.log"))
                .ok()
                .and_then(|f| {
                    std::io::BufReader::new(f)
                        .lines()
                        .map_while(Result::ok)
                        .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
                        .find(|l| l["message"] == "listening")
                        .and_then(|l| l["addr"].as_str().map(str::to_string))
                });
            if let Some(addr) = found {
                break addr;
            }
            // Dropping `service` on the way out stops the process.
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the service did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        service
    }
}

/// This build's binary, or `HOT_PATH_BINARY` (another build of the service,
/// to measure a change before and after on the same machine).
fn service_binary() -> PathBuf {
    std::env::var_os("HOT_PATH_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sentry-slack-bot")))
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx answering every request to `/slack/commands` with a fixed body.
struct Nginx {
    child: Child,
    addr: String,
}

impl Nginx {
    /// `None` when nginx is not installed.
    fn start(dir: &Path, body: &[u8]) -> Option<Self> {
        let binary = ["nginx", "/usr/sbin/nginx"]
            .into_iter()
            .find(|b| Command::new(b).arg("-v").output().is_ok())?;
        let root = dir.join("nginx");
        std::fs::create_dir_all(root.join("www/slack")).expect("nginx dirs");
        std::fs::write(root.join("www/slack/commands"), body).expect("static answer");
        // Workers may run as `nobody` when started as root.
        for path in [dir, root.as_path()] {
            make_world_readable(path);
        }
        make_world_readable(&root.join("www"));
        make_world_readable(&root.join("www/slack"));
        let port = free_port();
        let config = format!(
            "worker_processes 2;\n\
             daemon off;\n\
             pid {root}/nginx.pid;\n\
             error_log {root}/error.log warn;\n\
             events {{ worker_connections 4096; }}\n\
             http {{\n\
               access_log off;\n\
               sendfile on;\n\
               tcp_nopush on;\n\
               open_file_cache max=16 inactive=60s;\n\
               client_body_temp_path {root}/body;\n\
               server {{\n\
                 listen 127.0.0.1:{port};\n\
                 root {root}/www;\n\
                 location = /slack/commands {{\n\
                   default_type application/json;\n\
                   # A static file answers GET; the request is a POST.\n\
                   error_page 405 =200 $uri;\n\
                 }}\n\
               }}\n\
             }}\n",
            root = root.display()
        );
        std::fs::write(root.join("nginx.conf"), config).expect("nginx.conf");
        let mut child = Command::new(binary)
            .arg("-p")
            .arg(&root)
            .arg("-e")
            .arg(root.join("error.log"))
            .arg("-c")
            .arg(root.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let addr = format!("127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(&addr).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                eprintln!(
                    "nginx did not start; see {}",
                    root.join("error.log").display()
                );
                stop(&mut child);
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Self { child, addr })
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Stops nginx's master with SIGTERM, which stops its workers too; the
/// SIGKILL of `Child::kill` would leave the workers running.
fn stop(master: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &master.id().to_string()])
        .status();
    let _ = master.wait();
}

fn make_world_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The signed request, as raw HTTP/1.1 and as wrk's Lua script.
struct SignedHelp {
    body: String,
    timestamp: String,
    signature: String,
}

impl SignedHelp {
    /// Signed now: Slack's timestamps are good for 5 minutes.
    fn now() -> Self {
        let body = TestApp::command_form("help", "http://127.0.0.1:9/response");
        let ts = signer::now();
        Self {
            signature: signer::sign(SIGNING_SECRET, ts, &body),
            timestamp: ts.to_string(),
            body,
        }
    }

    fn raw(&self, addr: &str) -> Vec<u8> {
        format!(
            "POST /slack/commands HTTP/1.1\r\nHost: {addr}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             X-Slack-Request-Timestamp: {}\r\nX-Slack-Signature: {}\r\n\
             Content-Length: {}\r\n\r\n{}",
            self.timestamp,
            self.signature,
            self.body.len(),
            self.body
        )
        .into_bytes()
    }

    fn lua(&self) -> String {
        format!(
            "wrk.method = \"POST\"\n\
             wrk.body = \"{}\"\n\
             wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
             wrk.headers[\"X-Slack-Request-Timestamp\"] = \"{}\"\n\
             wrk.headers[\"X-Slack-Signature\"] = \"{}\"\n",
            self.body, self.timestamp, self.signature
        )
    }
}

/// Sends one request on a fresh connection and returns status and body.
fn fetch_once(addr: &str, request: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.write_all(request).expect("send");
    let (status, body) = read_response(&mut std::io::BufReader::new(stream)).expect("answer");
    (status, body)
}

/// One line of a response's head, as the readers below need it.
enum HeaderLine {
    /// The blank line that ends the head.
    End,
    /// `Content-Length: n`.
    ContentLength(usize),
    /// Any other header.
    Other,
}

fn header_line(line: &str) -> HeaderLine {
    let header = line.trim_end();
    if header.is_empty() {
        return HeaderLine::End;
    }
    match header.split_once(':') {
        Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
            HeaderLine::ContentLength(value.trim().parse().unwrap_or(0))
        }
        _ => HeaderLine::Other,
    }
}

/// Reads one HTTP/1.1 response with a `Content-Length`.
fn read_response(reader: &mut impl BufRead) -> std::io::Result<(u16, Vec<u8>)> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        match header_line(&line) {
            HeaderLine::End => break,
            HeaderLine::ContentLength(n) => length = n,
            HeaderLine::Other => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((status, body))
}

/// The load generator both servers get.
enum Generator {
    Wrk(PathBuf),
    BuiltIn,
}

impl Generator {
    fn find() -> Self {
        match Command::new("wrk").arg("--version").output() {
            Ok(_) => Generator::Wrk(PathBuf::from("wrk")),
            Err(_) => Generator::BuiltIn,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Generator::Wrk(_) => "wrk (1 thread)",
            Generator::BuiltIn => "built-in keep-alive client (1 thread)",
        }
    }

    fn round(&self, dir: &Path, addr: &str) -> Round {
        let signed = SignedHelp::now();
        let cpu_before = children_cpu();
        let in_process_cpu = common::cpu_time(std::process::id());
        let mut round = match self {
            Generator::Wrk(wrk) => {
                let script = dir.join("help.lua");
                std::fs::write(&script, signed.lua()).expect("wrk script");
                let output = Command::new(wrk)
                    .args(["-t1", &format!("-c{CONNECTIONS}")])
                    .arg(format!("-d{}s", ROUND.as_secs()))
                    .arg("--latency")
                    .arg("-s")
                    .arg(&script)
                    .arg(format!("http://{addr}/slack/commands"))
                    .output()
                    .expect("run wrk");
                assert!(output.status.success(), "wrk failed: {output:?}");
                parse_wrk(&String::from_utf8_lossy(&output.stdout))
            }
            Generator::BuiltIn => built_in_round(addr, &signed.raw(addr)),
        };
        let used = match self {
            Generator::Wrk(_) => children_cpu() - cpu_before,
            Generator::BuiltIn => common::cpu_time(std::process::id()) - in_process_cpu,
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        round.generator_cpu = used.as_secs_f64() / ROUND.as_secs_f64() / cores as f64;
        assert!(round.requests > 0, "no request completed against {addr}");
        round
    }
}

/// Reads wrk's summary: the latency distribution, requests, non-2xx answers
/// and socket errors, requests/s.
fn parse_wrk(out: &str) -> Round {
    let duration = |s: &str| -> Duration {
        let (number, unit) = s.split_at(s.find(|c: char| c.is_alphabetic()).unwrap_or(s.len()));
        let value: f64 = number.parse().unwrap_or(0.0);
        match unit {
            "us" => Duration::from_secs_f64(value / 1e6),
            "ms" => Duration::from_secs_f64(value / 1e3),
            "s" => Duration::from_secs_f64(value),
            "m" => Duration::from_secs_f64(value * 60.0),
            _ => Duration::ZERO,
        }
    };
    let mut round = Round {
        requests: 0,
        rate: 0.0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        failed: 0,
        generator_cpu: 0.0,
    };
    for line in out.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", d] => round.p50 = duration(d),
            ["99%", d] => round.p99 = duration(d),
            [n, "requests", "in", ..] => round.requests = n.parse().unwrap_or(0),
            ["Requests/sec:", r] => round.rate = r.parse().unwrap_or(0.0),
            ["Non-2xx", "or", "3xx", "responses:", n] => round.failed += n.parse().unwrap_or(0),
            ["Socket", "errors:", rest @ ..] => {
                round.failed += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>()
            }
            _ => {}
        }
    }
    round
}

/// One thread, `CONNECTIONS` keep-alive connections, each sending the
/// request as soon as its last answer is read.
fn built_in_round(addr: &str, request: &[u8]) -> Round {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        let deadline = Instant::now() + ROUND;
        let mut workers = Vec::new();
        for _ in 0..CONNECTIONS {
            let (addr, request) = (addr.to_string(), request.to_vec());
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failed = 0u64;
                let Ok(stream) = tokio::net::TcpStream::connect(&addr).await else {
                    return (latencies, 1);
                };
                let (read, mut write) = stream.into_split();
                let mut reader = tokio::io::BufReader::new(read);
                let mut line = String::new();
                while Instant::now() < deadline {
                    let started = Instant::now();
                    if write.write_all(&request).await.is_err() {
                        failed += 1;
                        break;
                    }
                    line.clear();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        failed += 1;
                        break;
                    }
                    let ok = line.split_whitespace().nth(1) == Some("200");
                    let mut length = 0usize;
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            break;
                        }
                        match header_line(&line) {
                            HeaderLine::End => break,
                            HeaderLine::ContentLength(n) => length = n,
                            HeaderLine::Other => {}
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).await.is_err() {
                        failed += 1;
                        break;
                    }
                    if ok {
                        latencies.push(started.elapsed());
                    } else {
                        failed += 1;
                    }
                }
                (latencies, failed)
            }));
        }
        let mut all = Vec::new();
        let mut failed = 0;
        for worker in workers {
            let (latencies, f) = worker.await.expect("worker");
            all.extend(latencies);
            failed += f;
        }
        all.sort();
        Round {
            requests: all.len() as u64 + failed,
            rate: all.len() as f64 / ROUND.as_secs_f64(),
            p50: percentile(&all, 0.5),
            p99: percentile(&all, 0.99),
            failed,
            generator_cpu: 0.0,
        }
    })
}

fn median_by(rounds: &[Round], key: impl Fn(&Round) -> f64) -> f64 {
    let mut values: Vec<f64> = rounds.iter().map(key).collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The service's `activity_rows_total{outcome}` counters.
fn activity_rows(addr: &str) -> Vec<(String, u64)> {
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let (_, body) = fetch_once(addr, request.as_bytes());
    String::from_utf8_lossy(&body)
        .lines()
        .filter_map(|l| l.strip_prefix("activity_rows_total{outcome=\""))
        .filter_map(|l| l.split_once("\"} "))
        .map(|(outcome, n)| (outcome.to_string(), n.trim().parse().unwrap_or(0)))
        .collect()
}

fn print_row(name: &str, rounds: &[Round]) {
    let seconds = |d: Duration| d.as_secs_f64();
    println!(
        "| {name} | {:.0} | {} | {} | {} | {} | {:.0}% |",
        median_by(rounds, |r| r.rate),
        ms(Duration::from_secs_f64(median_by(rounds, |r| seconds(
            r.p50
        )))),
        ms(Duration::from_secs_f64(median_by(rounds, |r| seconds(
            r.p99
        )))),
        rounds.iter().map(|r| r.requests).sum::<u64>(),
        rounds.iter().map(|r| r.failed).sum::<u64>(),
        median_by(rounds, |r| r.generator_cpu) * 100.0,
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    // auth.test at start-up, so the service starts as in production.
    let slack = runtime.block_on(FakeSlack::start(BOT_TOKEN));
    let dir = tempfile::tempdir().expect("temp dir");
    let service = Service::start(dir.path(), &slack.api_url());

    // The service's answer, which nginx then serves unchanged.
    let (status, answer) = fetch_once(&service.addr, &SignedHelp::now().raw(&service.addr));
    assert_eq!(status, 200, "the service answers a signed help");
    let help: serde_json::Value = serde_json::from_slice(&answer).expect("help is JSON");
    assert_eq!(help["response_type"], "ephemeral");
    let nginx = Nginx::start(dir.path(), &answer);
    if let Some(nginx) = &nginx {
        let (status, same) = fetch_once(&nginx.addr, &SignedHelp::now().raw(&nginx.addr));
        assert_eq!(status, 200, "nginx answers the POST");
        assert_eq!(same, answer, "nginx serves the service's exact answer");
    }
    let generator = Generator::find();
    println!(
        "Service binary: {}.\nSigned `/sentry help` ({} bytes answered), {CONNECTIONS} keep-alive connections, \
         {ROUNDS} rounds of {} s per server, alternating; load from {}.\n",
        service_binary().display(),
        answer.len(),
        ROUND.as_secs(),
        generator.name()
    );

    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let cpu_before = common::cpu_time(service.child.id());
    for _ in 0..ROUNDS {
        ours.push(generator.round(dir.path(), &service.addr));
        if let Some(nginx) = &nginx {
            theirs.push(generator.round(dir.path(), &nginx.addr));
        }
    }
    let cpu = common::cpu_time(service.child.id()) - cpu_before;

    println!(
        "| server | req/s (median) | p50 | p99 | requests, all rounds | non-2xx or failed | load generator's CPU (share of the machine) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    print_row("sentry-slack-bot", &ours);
    if nginx.is_some() {
        print_row("nginx, static file", &theirs);
        let share = median_by(&ours, |r| r.rate) / median_by(&theirs, |r| r.rate);
        println!(
            "\nThe service answers at {:.0}% of nginx's rate for the same request.",
            share * 100.0
        );
    } else {
        println!("\nnginx is not installed (apt-get install nginx-light): no side-by-side figure.");
    }
    let served: u64 = ours
        .iter()
        .map(|r| r.requests.saturating_sub(r.failed))
        .sum();
    println!(
        "Service: {:.1} s of CPU over {} commands ({:.1} µs each, all threads), peak RSS {}.",
        cpu.as_secs_f64(),
        served,
        cpu.as_secs_f64() * 1e6 / served.max(1) as f64,
        mib(status_kib(service.child.id(), "VmHWM"))
    );
    // Rows still queued are written within moments of the load stopping.
    std::thread::sleep(Duration::from_secs(2));
    let rows = activity_rows(&service.addr);
    let count = |outcome: &str| {
        rows.iter()
            .find(|(o, _)| o == outcome)
            .map_or(0, |(_, n)| *n)
    };
    let (written, failed, dropped) = (count("written"), count("failed"), count("dropped"));
    // The generator does not count requests cut off when a round ends, which
    // the service answered, so at least one row per counted command, plus
    // the first request.
    let every_row = written > served && failed == 0 && dropped == 0;
    if rows.is_empty() {
        println!("Activity log: this build does not report activity_rows_total.");
    } else {
        println!(
        "Activity log: {written} rows written, {failed} failed, {dropped} dropped, for {served} \
         commands the generator counted plus the first: {}.",
        if every_row {
            "every command's row was written"
        } else {
            "ROWS WERE LOST"
        }
    );
    }
    drop(nginx);
    drop(service);
    drop(slack);
}
