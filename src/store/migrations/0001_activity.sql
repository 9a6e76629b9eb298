-- Portable SQL: the same statements run on SQLite and PostgreSQL.
-- Timestamps are Unix milliseconds in BIGINT columns.

-- What people asked the bot and how it went, for operators and audits.
CREATE TABLE activity (
    at_ms BIGINT NOT NULL,
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    outcome TEXT NOT NULL
);

CREATE INDEX activity_at ON activity (at_ms);
CREATE INDEX activity_team_user ON activity (team_id, user_id);
