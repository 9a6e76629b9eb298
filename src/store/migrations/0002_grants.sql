-- One grant per linked Sentry org. The secret column holds the grant secret
-- in the form written by grants::seal (encrypted when a key is configured).
CREATE TABLE grants (
    org_slug TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    grant_secret TEXT NOT NULL,
    api TEXT NOT NULL,
    scopes TEXT NOT NULL,
    health TEXT NOT NULL,
    linked_by TEXT NOT NULL,
    linked_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
