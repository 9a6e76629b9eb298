-- Storms: alerts that pile up for one subscription are gathered into one
-- digest message that is updated in place while the storm goes on. The
-- digest remembers when it was last drawn; each alert counted in it is
-- marked `digested` with the digest's ts, so it is counted once and never
-- posted on its own.
ALTER TABLE alerts ADD COLUMN updated_at_ms BIGINT;
CREATE INDEX alerts_channel_pending ON alerts (state, channel_id, created_at_ms);
