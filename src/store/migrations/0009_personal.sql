-- Personal notifications by DM. Each person's settings (both on unless a
-- row says otherwise), and the last assignee the bot observed for each
-- issue: an assignment seen by a click, a webhook and a poll alike is one
-- transition, so it is notified once.
CREATE TABLE notify_settings (
    slack_user_id TEXT PRIMARY KEY,
    assigned BIGINT NOT NULL DEFAULT 1,
    regressions BIGINT NOT NULL DEFAULT 1,
    updated_at_ms BIGINT NOT NULL
);

CREATE TABLE issue_assignees (
    org_slug TEXT NOT NULL,
    issue_id TEXT NOT NULL,
    assignee TEXT NOT NULL,
    changed_at_ms BIGINT NOT NULL,
    PRIMARY KEY (org_slug, issue_id)
);

CREATE INDEX issue_assignees_changed ON issue_assignees (changed_at_ms);

-- A Sentry team mapped by an admin to a Slack user group, so alerts for
-- issues assigned to the team mention the group.
CREATE TABLE team_groups (
    org_slug TEXT NOT NULL,
    team_slug TEXT NOT NULL,
    slack_group_id TEXT NOT NULL,
    mapped_by TEXT NOT NULL,
    mapped_at_ms BIGINT NOT NULL,
    PRIMARY KEY (org_slug, team_slug)
);

-- Whether the baseline taken when subscribing held every matching issue. A
-- query that routes a team's issues (`assigned:#team`) posts an older issue
-- that joins its list as newly assigned, which is only safe when every
-- issue that matched at subscribing is known.
ALTER TABLE subscriptions ADD COLUMN baseline_complete BIGINT NOT NULL DEFAULT 1;
