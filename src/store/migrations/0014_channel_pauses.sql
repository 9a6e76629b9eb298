-- Channels Slack refuses posts to for good (the bot is not a member, the
-- channel is archived or gone, the workspace restricts posting): their
-- alerts stay pending while paused, retried with backoff from
-- `retry_at_ms` (0: at once, after a fix), and the pause goes when a post
-- lands. The first pause of a channel is the one its subscribers hear of.
CREATE TABLE channel_pauses (
    channel_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    paused_at_ms BIGINT NOT NULL,
    retry_at_ms BIGINT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0
);

-- When each subscription's group was last polled successfully, written at
-- most once a minute per replica, for `/sentry doctor`.
ALTER TABLE subscriptions ADD COLUMN last_polled_ms BIGINT;
