-- Channel subscriptions and the alert outbox. Booleans are BIGINT 0/1 so
-- the same statements run on SQLite and PostgreSQL.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    org_slug TEXT NOT NULL,
    project_slug TEXT NOT NULL,
    project_id TEXT NOT NULL,
    query TEXT NOT NULL,
    regressions BIGINT NOT NULL,
    digest BIGINT NOT NULL,
    threads BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    relink_notified BIGINT NOT NULL DEFAULT 0,
    UNIQUE (channel_id, org_slug, project_slug)
);

-- What each subscription has seen of each issue, so nothing is alerted twice
-- and a resolved issue that comes back is recognised as a regression.
CREATE TABLE seen_issues (
    subscription_id TEXT NOT NULL,
    issue_id TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, issue_id)
);

-- The outbox: one row per message to post, unique per (subscription, issue,
-- kind) so a second post of the same alert cannot be recorded.
CREATE TABLE alerts (
    subscription_id TEXT NOT NULL,
    issue_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    org_slug TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    thread_ts TEXT,
    ts TEXT,
    status_snapshot TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    created_at_ms BIGINT NOT NULL,
    posted_at_ms BIGINT,
    PRIMARY KEY (subscription_id, issue_id, kind)
);

CREATE INDEX alerts_pending ON alerts (state, created_at_ms);
