//! `sentry-slack-bot`: the command-line entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sentry_slack_bot::config::Config;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(message) = load_env_file(cli.env_file.as_deref()) {
        eprintln!("{message}");
        return ExitCode::from(2);
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("sentry-slack-bot: invalid configuration:");
            for problem in &error.problems {
                eprintln!("  {problem}");
            }
            return ExitCode::from(2);
        }
    };
    match cli.command {
        CliCommand::Serve => match run_serve(config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "service stopped");
                eprintln!("sentry-slack-bot: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn run_serve(config: Config) -> anyhow::Result<()> {
    sentry_slack_bot::telemetry::init(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(sentry_slack_bot::app::serve(config))?;
    Ok(())
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
