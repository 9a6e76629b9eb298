-- One issue muted in one channel ("Mute here" on its card): that
-- channel's follow-ups about it (regressions, thread replies) stop, and
-- Sentry is not touched. Other channels keep theirs.
CREATE TABLE issue_mutes (
    channel_id TEXT NOT NULL,
    org_slug TEXT NOT NULL,
    issue_id TEXT NOT NULL,
    muted_by TEXT NOT NULL,
    muted_at_ms BIGINT NOT NULL,
    PRIMARY KEY (channel_id, org_slug, issue_id)
);
