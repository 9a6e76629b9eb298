-- Sentry webhooks: each Request-ID acted on once, and per org the stored
-- client secret (sealed) and when a webhook last arrived.
CREATE TABLE webhook_requests (
    request_id TEXT PRIMARY KEY,
    org_slug TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL
);
CREATE INDEX webhook_requests_at ON webhook_requests (received_at_ms);

CREATE TABLE webhook_orgs (
    org_slug TEXT PRIMARY KEY,
    sealed_secret TEXT,
    set_by TEXT,
    set_at_ms BIGINT,
    last_received_ms BIGINT
);
