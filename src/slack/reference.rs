//! Slack's references to people as typed in a command: `<@U123|name>`,
//! `<@U123>`, a bare id, or an `@handle` to look up. Pure; a forged
//! reference reads as none.

/// A Slack user reference as typed in a command: `<@U123|name>`, `<@U123>`,
/// a bare id like `U123`, or a `@handle` (returned without the `@`, for a
/// lookup by name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlackUserRef {
    /// A user id.
    Id(String),
    /// A handle or display name to look up.
    Handle(String),
}

/// Reads a Slack user reference, or `None` when it is none.
pub fn slack_user_ref(word: &str) -> Option<SlackUserRef> {
    let word = word.trim();
    if let Some(inner) = word.strip_prefix("<@").and_then(|w| w.strip_suffix('>')) {
        let id = inner.split('|').next().unwrap_or_default();
        return is_user_id(id).then(|| SlackUserRef::Id(id.to_string()));
    }
    if is_user_id(word) {
        return Some(SlackUserRef::Id(word.to_string()));
    }
    let handle = word.strip_prefix('@')?;
    let valid = !handle.is_empty()
        && handle.len() <= 80
        && handle
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'));
    valid.then(|| SlackUserRef::Handle(handle.to_lowercase()))
}

/// A Slack user group as typed in a command: `<!subteam^S123|@oncall>`,
/// `<!subteam^S123>`, a bare id like `S123`, or an `@handle` to look up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlackGroupRef {
    /// A user group id.
    Id(String),
    /// A handle to look up (without the `@`).
    Handle(String),
}

/// Reads a Slack user group reference, or `None` when it is none.
pub fn slack_group_ref(word: &str) -> Option<SlackGroupRef> {
    let word = word.trim();
    if let Some(inner) = word
        .strip_prefix("<!subteam^")
        .and_then(|w| w.strip_suffix('>'))
    {
        let id = inner.split('|').next().unwrap_or_default();
        return is_group_id(id).then(|| SlackGroupRef::Id(id.to_string()));
    }
    if is_group_id(word) {
        return Some(SlackGroupRef::Id(word.to_string()));
    }
    match slack_user_ref(word)? {
        SlackUserRef::Handle(handle) => Some(SlackGroupRef::Handle(handle)),
        SlackUserRef::Id(_) => None,
    }
}

fn is_group_id(id: &str) -> bool {
    id.starts_with('S')
        && (3..=20).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && id.chars().any(|c| c.is_ascii_digit())
}

fn is_user_id(id: &str) -> bool {
    (id.starts_with('U') || id.starts_with('W'))
        && (3..=20).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && id.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_references_are_read_and_forged_ones_refused() {
        let id = |id: &str| Some(SlackUserRef::Id(id.into()));
        for (typed, read) in [
            ("<@U0ALICE|alice>", id("U0ALICE")),
            ("<@W123>", id("W123")),
            ("U0BOB", id("U0BOB")),
            ("@Ann.Lee", Some(SlackUserRef::Handle("ann.lee".into()))),
        ] {
            assert_eq!(slack_user_ref(typed), read, "{typed}");
        }
        for bad in [
            "<@u1>",
            "<@U1 x>",
            "ann",
            "WEB",
            "@",
            "<!channel>",
            "@here>",
        ] {
            assert_eq!(slack_user_ref(bad), None, "{bad}");
        }
    }

    #[test]
    fn user_group_references_are_read_and_forged_ones_refused() {
        let id = |id: &str| Some(SlackGroupRef::Id(id.into()));
        for (typed, read) in [
            ("<!subteam^S0BACK1|@backend>", id("S0BACK1")),
            ("<!subteam^S0BACK1>", id("S0BACK1")),
            ("S0BACK1", id("S0BACK1")),
            (
                "@backend-oncall",
                Some(SlackGroupRef::Handle("backend-oncall".into())),
            ),
        ] {
            assert_eq!(slack_group_ref(typed), read, "{typed}");
        }
        for bad in [
            "<!subteam^s1>",
            "<!channel>",
            "U0ALICE",
            "backend",
            "<!subteam^S1|x",
        ] {
            assert_eq!(slack_group_ref(bad), None, "{bad}");
        }
    }
}
