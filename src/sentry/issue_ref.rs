//! How a person names an issue; Sentry knows it by each of these.

/// How an issue is named by a person: `/sentry issue`, a pasted URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssueRef {
    /// A short ID such as `API-3F` (upper-cased).
    ShortId(String),
    /// Sentry's numeric issue id.
    Id(String),
    /// An issue URL; the org comes from its host or path when present.
    Url {
        /// Org slug found in the URL.
        org: Option<String>,
        /// Numeric issue id from the URL.
        id: String,
    },
}

impl IssueRef {
    /// The id or short ID as the person wrote it.
    pub fn name(&self) -> &str {
        match self {
            IssueRef::ShortId(s) | IssueRef::Id(s) | IssueRef::Url { id: s, .. } => s,
        }
    }

    /// The org the reference itself names (only URLs do).
    pub fn org(&self) -> Option<&str> {
        match self {
            IssueRef::Url { org, .. } => org.as_deref(),
            _ => None,
        }
    }
}
