-- Who is who between Slack and Sentry, where emails do not match: an admin
-- maps a Slack user to a Sentry member's email or username (one Slack user
-- per Sentry identity).
CREATE TABLE people_maps (
    slack_user_id TEXT PRIMARY KEY,
    sentry_identity TEXT NOT NULL UNIQUE,
    mapped_by TEXT NOT NULL,
    mapped_at_ms BIGINT NOT NULL
);

-- Whether a subscription's alerts mention the issue's assignee (1, the
-- default) or only name them (0, `--mention none`).
ALTER TABLE subscriptions ADD COLUMN mention BIGINT NOT NULL DEFAULT 1;
