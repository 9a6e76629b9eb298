-- Scheduled reports: one per channel and project. `last_due_ms` is the
-- latest due time already handled (posted, or given up as too late); a
-- replica claims a due run (`claimed_by`, `claimed_until_ms`) before it
-- reads Sentry and posts, so a run is posted once across replicas.
CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    org_slug TEXT NOT NULL,
    project_slug TEXT NOT NULL,
    project_id TEXT NOT NULL,
    query TEXT NOT NULL,
    cadence TEXT NOT NULL,
    at_time TEXT NOT NULL,
    tz TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    last_due_ms BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until_ms BIGINT,
    last_ts TEXT,
    UNIQUE (channel_id, org_slug, project_slug)
);
