//! `sentry-slack-bot`: the command-line entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sentry_slack_bot::commands::parse::Command as BotCommand;
use sentry_slack_bot::config::{Config, Purpose};
use sentry_slack_bot::context::Invocation;
use sentry_slack_bot::slack::text::message_to_text;
use sentry_slack_bot::slack::Message;
use sentry_slack_bot::slack::Reply;
use sentry_slack_bot::surface::dispatch::{execute, plan, Outcome, Plan};
use sentry_slack_bot::telemetry::{self, LogTarget};

/// Sentry in Slack: slash commands, buttons and channel alerts.
#[derive(Debug, Parser)]
#[command(name = "sentry-slack-bot", version, about, long_about = None)]
struct Cli {
    /// Load settings from this file before reading the environment
    /// (variables already set win). Defaults to `.env` when it exists.
    #[arg(long, global = true, value_name = "PATH")]
    env_file: Option<PathBuf>,

    #[command(subcommand)]
    command: CliCommand,
}

#[derive(Debug, Subcommand)]
enum CliCommand {
    /// Run the service: Slack webhooks, health endpoints and background work.
    Serve,
    /// Check the configuration, Slack, the store and every org's grant.
    Check,
    /// Print the Slack app manifest for this deployment.
    Manifest {
        /// The public base URL of the service, like https://sentry-bot.fly.dev.
        #[arg(long)]
        url: String,
    },
    /// Print sample messages as Block Kit JSON, each with a Block Kit Builder link.
    ///
    /// Needs no configuration. Kinds: alert, alert-mention, regression, resolved, digest,
    /// storm, issue, list, list-shown, unfurl, events, releases, help, usage,
    /// busy, too-slow, orgs, subscribed, subscribe-notice, subscriptions,
    /// webhooks, version, people.
    Preview {
        /// Only the `{"blocks": […]}` payload, for piping into other tools.
        #[arg(long)]
        json: bool,
        /// Also write the sample report's chart to this PNG file.
        #[arg(long, value_name = "FILE")]
        chart: Option<std::path::PathBuf>,
        /// Message kinds to show; every kind when none is named.
        kinds: Vec<String>,
    },
    /// Run a /sentry command in the terminal with the same grants, without Slack.
    ///
    /// Example: sentry-slack-bot command issues api level:error
    Command {
        /// Print the Block Kit payload as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The text after `/sentry`, like `issues api level:error`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
}

/// glibc gives each thread that allocates its own malloc arena (up to 8
/// per core); with tokio's workers and one thread per SQLite connection the
/// freed memory of a poll tick stays spread over many arenas and peak RSS
/// grows with it. Two arenas keep it close to what is really in use.
///
/// glibc also raises its mmap threshold each time a large block is freed,
/// so a tick's big buffers (every subscription, a page of issues) end up
/// inside the arenas and leave holes there; a fixed threshold keeps them
/// in their own mappings, returned to the system when freed.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator tunables; it is called first
    // thing in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 * 1024);
    }
}

fn main() -> ExitCode {
    tune_malloc();
    let cli = Cli::parse();
    if let Err(message) = load_env_file(cli.env_file.as_deref()) {
        eprintln!("{message}");
        return ExitCode::from(2);
    }
    if let CliCommand::Manifest { url } = &cli.command {
        return print_manifest(url);
    }
    if let CliCommand::Preview { json, chart, kinds } = &cli.command {
        if let Some(path) = chart {
            if let Err(message) = write_chart(path) {
                eprintln!("{message}");
                return ExitCode::FAILURE;
            }
        }
        return print_previews(kinds, *json);
    }
    let purpose = match cli.command {
        CliCommand::Serve | CliCommand::Check => Purpose::Serve,
        CliCommand::Command { .. } | CliCommand::Manifest { .. } | CliCommand::Preview { .. } => {
            Purpose::Terminal
        }
    };
    let config = match Config::from_env(purpose) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("sentry-slack-bot: invalid configuration:");
            for problem in &error.problems {
                eprintln!("  {problem}");
            }
            return ExitCode::from(2);
        }
    };
    // Held to the end of `main`: dropping it writes the last buffered lines.
    let _log_writer = match cli.command {
        CliCommand::Serve => telemetry::init(config.log_format, LogTarget::Stdout, "info"),
        CliCommand::Check => telemetry::init(config.log_format, LogTarget::Stderr, "error"),
        _ => telemetry::init(config.log_format, LogTarget::Stderr, "warn"),
    };
    let result = match cli.command {
        CliCommand::Serve => run_serve(config),
        CliCommand::Command { json, text } => run_command(config, &text.join(" "), json),
        CliCommand::Manifest { url } => Ok(print_manifest(&url)),
        CliCommand::Preview { json, kinds, .. } => Ok(print_previews(&kinds, json)),
        CliCommand::Check => run_check(config),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "stopped");
            eprintln!("sentry-slack-bot: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// `preview`: each kind's JSON and a Block Kit Builder link.
/// Writes the sample report's chart to `path`.
fn write_chart(path: &std::path::Path) -> Result<(), String> {
    let png = sentry_slack_bot::preview::sample_report_chart()
        .map_err(|e| format!("sentry-slack-bot: {e}"))?;
    std::fs::write(path, png)
        .map_err(|e| format!("sentry-slack-bot: cannot write {}: {e}", path.display()))?;
    eprintln!("Wrote the sample report's chart to {}", path.display());
    Ok(())
}

fn print_previews(kinds: &[String], json_only: bool) -> ExitCode {
    use sentry_slack_bot::preview;
    let wanted: Vec<&str> = if kinds.is_empty() {
        preview::KINDS.to_vec()
    } else {
        kinds.iter().map(String::as_str).collect()
    };
    let mut code = ExitCode::SUCCESS;
    for kind in wanted {
        let Some(message) = preview::sample(kind) else {
            eprintln!(
                "sentry-slack-bot: no message kind `{kind}`; kinds: {}",
                preview::KINDS.join(", ")
            );
            code = ExitCode::from(2);
            continue;
        };
        let payload = preview::payload(&message);
        if json_only {
            println!("{payload}");
            continue;
        }
        let pretty = serde_json::to_string_pretty(&payload).unwrap_or_else(|_| payload.to_string());
        println!(
            "== {kind}\n{pretty}\nOpen in Block Kit Builder: {}\n",
            preview::builder_url(&message)
        );
    }
    code
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn run_serve(config: Config) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(sentry_slack_bot::app::serve(config))?;
    Ok(ExitCode::SUCCESS)
}

fn run_command(config: Config, text: &str, json: bool) -> anyhow::Result<ExitCode> {
    let (reply, code) = runtime()?.block_on(async {
        let state = sentry_slack_bot::app::build(config).await?;
        let answer = match plan(text) {
            Plan::Answer { reply, outcome, .. } => {
                let code = if outcome == Outcome::UsageError { 2 } else { 0 };
                (reply.into_reply(), code)
            }
            Plan::Defer {
                command:
                    BotCommand::Link
                    | BotCommand::Unlink { .. }
                    | BotCommand::Subscribe { .. }
                    | BotCommand::Unsubscribe { .. }
                    | BotCommand::Subscriptions
                    | BotCommand::Webhooks { .. },
            } => (
                Reply::ephemeral(Message::mrkdwn(
                    "Linking orgs, setting up webhooks and subscribing channels happen in Slack, where an admin approves a link and \
                     alerts have a channel to go to. In the terminal, set SENTRY_AUTH_TOKEN and SENTRY_ORG \
                     to use a token directly.",
                )),
                2,
            ),
            Plan::Defer { command } => {
                let who = Invocation {
                    team_id: "terminal".into(),
                    user_id: "terminal".into(),
                    channel_id: "terminal".into(),
                    channel_name: None,
                    response_url: String::new(),
                };
                (execute(&state.requests, &command, &who).await, 0)
            }
        };
        state.close().await;
        anyhow::Ok(answer)
    })?;
    let payload = serde_json::to_value(&reply)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&payload)?);
    } else {
        println!("{}", message_to_text(&payload));
    }
    Ok(ExitCode::from(code))
}

fn run_check(config: Config) -> anyhow::Result<ExitCode> {
    let checks = runtime()?.block_on(async {
        let state = sentry_slack_bot::app::build(config).await?;
        let checks = sentry_slack_bot::doctor::run(&state).await;
        state.close().await;
        anyhow::Ok(checks)
    });
    let checks = match checks {
        Ok(checks) => checks,
        Err(e) => {
            println!("✗ {e:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    for check in &checks {
        println!("{check}");
    }
    Ok(if checks.iter().all(|c| c.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_manifest(url: &str) -> ExitCode {
    // Links to the Sentry this deployment uses are the ones worth unfurling.
    let sentry_host = std::env::var("SENTRY_URL")
        .ok()
        .and_then(|u| url::Url::parse(&u).ok())
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "sentry.io".to_string());
    match sentry_slack_bot::manifest::render(url, &sentry_host) {
        Ok(manifest) => {
            print!("{manifest}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sentry-slack-bot: {e}");
            ExitCode::from(2)
        }
    }
}

fn load_env_file(explicit: Option<&std::path::Path>) -> Result<(), String> {
    match explicit {
        Some(path) => dotenvy::from_path(path)
            .map(|_| ())
            .map_err(|e| format!("cannot read --env-file {}: {e}", path.display())),
        None => match dotenvy::dotenv() {
            Ok(_) => Ok(()),
            Err(e) if e.not_found() => Ok(()),
            Err(e) => Err(format!("cannot read .env: {e}")),
        },
    }
}
