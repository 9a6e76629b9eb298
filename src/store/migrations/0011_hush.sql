-- A subscription's quiet settings: its latest timed mute (kept after it
-- ends, until the catch-up names it), quiet hours as `HH:MM-HH:MM zone days`
-- and the query whose alerts come through quiet hours. Alerts held back
-- meanwhile wait in the outbox as state `held`.
CREATE TABLE subscription_hush (
    subscription_id TEXT PRIMARY KEY,
    muted_from_ms BIGINT,
    muted_until_ms BIGINT,
    muted_by TEXT,
    quiet TEXT,
    urgent TEXT,
    updated_at_ms BIGINT NOT NULL
);

CREATE INDEX alerts_held ON alerts (state, subscription_id);
