-- Poll work shared by replicas: a row per (org, project, query) group, held
-- by one replica until it expires; and per-alert delivery claims so only one
-- replica posts a given alert.
CREATE TABLE poll_leases (
    group_key TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);

ALTER TABLE alerts ADD COLUMN claimed_by TEXT;
ALTER TABLE alerts ADD COLUMN claimed_until_ms BIGINT;
