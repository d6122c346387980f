-- Credentials at rest (issue #11). users.badge keeps only a keyed hash of a
-- badge code from now on ('h1:' + hex HMAC-SHA-256 under server_secrets'
-- badge_key); the store hashes the codes already there when it opens
-- (store.hashStoredBadges: SQL cannot compute the HMAC on both databases).
-- API tokens get a kind (api or kiosk), who made them and when they were
-- revoked. Portable SQL.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

ALTER TABLE api_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'api';
ALTER TABLE api_tokens ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT;
