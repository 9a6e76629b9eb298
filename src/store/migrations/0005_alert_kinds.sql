-- Alert kinds become one word (`new`, `regressed`, `digest`, `notice`) and
-- what makes a kind's alert unique moves to its own column: a regression's
-- lastSeen, a digest's first issue, a notice's reason and time. Rows written
-- before this migration are split the same way. Also indexes the columns
-- status sync and click redraws filter on.
CREATE TABLE alerts_v2 (
    subscription_id TEXT NOT NULL,
    issue_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    dedup_key TEXT NOT NULL DEFAULT '',
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
    claimed_by TEXT,
    claimed_until_ms BIGINT,
    PRIMARY KEY (subscription_id, issue_id, kind, dedup_key)
);

INSERT INTO alerts_v2 (
    subscription_id, issue_id, kind, dedup_key, channel_id, org_slug, payload, state,
    thread_ts, ts, status_snapshot, attempts, error, created_at_ms, posted_at_ms,
    claimed_by, claimed_until_ms
)
SELECT
    subscription_id,
    issue_id,
    CASE
        WHEN kind LIKE 'regressed:%' THEN 'regressed'
        WHEN kind LIKE 'digest:%' THEN 'digest'
        WHEN kind LIKE 'notice:%' THEN 'notice'
        ELSE kind
    END,
    CASE
        WHEN kind LIKE 'regressed:%' THEN substr(kind, 11)
        WHEN kind LIKE 'digest:%' THEN substr(kind, 8)
        WHEN kind LIKE 'notice:%' THEN substr(kind, 8)
        ELSE ''
    END,
    channel_id, org_slug, payload, state, thread_ts, ts, status_snapshot, attempts, error,
    created_at_ms, posted_at_ms, claimed_by, claimed_until_ms
FROM alerts;

DROP TABLE alerts;
ALTER TABLE alerts_v2 RENAME TO alerts;

CREATE INDEX alerts_pending ON alerts (state, created_at_ms);
CREATE INDEX alerts_posted ON alerts (kind, posted_at_ms);
CREATE INDEX alerts_message ON alerts (channel_id, ts);
