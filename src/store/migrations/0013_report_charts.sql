-- Report charts served from PUBLIC_URL: an unguessable token, the PNG
-- (base64, one type for both engines) and when it stops being served.
CREATE TABLE report_charts (
    token TEXT PRIMARY KEY,
    png_base64 TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX report_charts_expiry ON report_charts (expires_at_ms);
