//! `/sentry version`: which build answers, and on which store.

use crate::slack::escape::escape_mrkdwn;
use crate::slack::message::{context, section, Message};
use crate::store::Backend;

/// What the running binary was built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Build {
    /// The crate version.
    pub version: &'static str,
    /// The first 12 hex digits of the commit, or "unknown".
    pub commit: &'static str,
}

impl Build {
    /// This binary.
    pub(crate) const CURRENT: Build = Build {
        version: env!("CARGO_PKG_VERSION"),
        commit: env!("BUILD_COMMIT"),
    };
}

/// The answer to `/sentry version`.
pub(crate) fn message(build: &Build, store: Backend) -> Message {
    let store = match store {
        Backend::Sqlite => "SQLite (one replica)",
        Backend::Postgres => "PostgreSQL (replicas share it)",
    };
    let line = format!(
        ":information_source: *sentry-slack-bot {}* · commit `{}` · store: {store}",
        escape_mrkdwn(build.version),
        escape_mrkdwn(build.commit),
    );
    Message {
        blocks: vec![
            section(&line),
            context(&["`/sentry help` lists every command"]),
        ],
        text: format!(
            "sentry-slack-bot {} (commit {}), store: {store}",
            build.version, build.commit
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_version_the_commit_and_the_store() {
        let build = Build {
            version: "1.2.3",
            commit: "0123456789ab",
        };
        let sqlite = message(&build, Backend::Sqlite);
        assert!(sqlite.text.contains("1.2.3"), "{}", sqlite.text);
        assert!(sqlite.text.contains("0123456789ab"), "{}", sqlite.text);
        assert!(sqlite.text.contains("SQLite"), "{}", sqlite.text);
        assert!(message(&build, Backend::Postgres)
            .text
            .contains("PostgreSQL"));
        assert!(!Build::CURRENT.commit.is_empty());
    }
}
