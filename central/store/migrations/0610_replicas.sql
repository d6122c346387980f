-- Several central replicas on one PostgreSQL (issue #17): what one replica
-- used to hold in memory and every replica must see. Times are BIGINT unix
-- nanoseconds like everywhere else. On SQLite (one replica only) the tables
-- exist but stay empty: the in-memory counters serve there.

-- Sign-in throttling (central/throttle.Shared): failed guesses per key
-- within the window, and keys locked out until a time.
CREATE TABLE throttle_failures (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    at   BIGINT NOT NULL
);
CREATE INDEX throttle_failures_key ON throttle_failures(kind, id, at);

CREATE TABLE throttle_lockouts (
    kind  TEXT NOT NULL,
    id    TEXT NOT NULL,
    until BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);

-- Edge liveness (central/liveness): the latest word of each edge, written by
-- whichever replica heard it and read by every replica each second.
-- status_at orders statuses; seen_at and commit_at only ever move forward.
CREATE TABLE edge_liveness (
    edge_id          TEXT PRIMARY KEY,
    seen_at          BIGINT NOT NULL DEFAULT 0,
    commit_at        BIGINT NOT NULL DEFAULT 0,
    status_at        BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT '',
    version          TEXT NOT NULL DEFAULT '',
    started_at       BIGINT NOT NULL DEFAULT 0,
    outbox_depth     BIGINT,
    oldest_unacked_s DOUBLE PRECISION
);
