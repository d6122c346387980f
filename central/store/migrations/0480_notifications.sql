-- Notifications (issue #15): a notice is stored once (notice_key unique,
-- so a repeat from a rule, a restart or another replica adds nothing),
-- appears to each of its users with read/unread, and is delivered by
-- e-mail or webhook from notify_deliveries with every attempt logged.
-- Times are BIGINT unix nanoseconds like everywhere else.
CREATE TABLE notices (
    id         TEXT PRIMARY KEY,
    notice_key TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    severity   TEXT NOT NULL,
    line_id    TEXT NOT NULL DEFAULT '',
    title_key  TEXT NOT NULL DEFAULT '',
    vars_json  TEXT NOT NULL DEFAULT '{}',
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    link       TEXT NOT NULL DEFAULT '',
    roles      TEXT NOT NULL DEFAULT '',
    at         BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    notice_id  TEXT NOT NULL REFERENCES notices(id),
    username   TEXT NOT NULL REFERENCES users(username),
    read_at    BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (notice_id, username)
);
CREATE INDEX notifications_user ON notifications(username, id);
CREATE INDEX notifications_unread ON notifications(username) WHERE read_at IS NULL;

-- status: pending (next_at is the next try), sent, failed (given up).
-- lease_until: a replica claimed it for sending until then.
CREATE TABLE notify_deliveries (
    id          TEXT PRIMARY KEY,
    notice_id   TEXT NOT NULL REFERENCES notices(id),
    channel     TEXT NOT NULL,
    target      TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    sent_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX notify_deliveries_due ON notify_deliveries(status, next_at);

CREATE TABLE notify_attempts (
    delivery_id TEXT NOT NULL REFERENCES notify_deliveries(id),
    attempt     INTEGER NOT NULL,
    at          BIGINT NOT NULL,
    ok          INTEGER NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);
