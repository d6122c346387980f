-- Exceptions: problems on a line someone must know about (behind plan,
-- machine down, no data, quality failure, material short), open →
-- acknowledged → resolved. Same rules as 0001: BIGINT unix-nano times,
-- TEXT keys, SQL both SQLite and PostgreSQL run.
--
-- occurrence identifies the occurrence of the problem an exception was
-- raised for (the down state's start, the QC event's edge/seq), so a
-- resent event or the next evaluation of a condition that still holds does
-- not raise it twice. work_order_id is '' when no work order ran, not NULL,
-- so the unique index below also holds for those.
CREATE TABLE exceptions (
    id              TEXT PRIMARY KEY,
    line_id         TEXT NOT NULL,
    work_order_id   TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    status          TEXT NOT NULL,
    occurrence      TEXT NOT NULL DEFAULT '',
    opened_at       BIGINT NOT NULL,
    last_at         BIGINT NOT NULL,
    occurrences     INTEGER NOT NULL DEFAULT 1,
    detail          TEXT NOT NULL DEFAULT '',
    raised_by       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT NOT NULL DEFAULT '',
    resolved_at     BIGINT,
    resolved_by     TEXT NOT NULL DEFAULT '',
    resolution      TEXT NOT NULL DEFAULT ''
);
-- One exception not yet resolved per (line, kind, work order): no floods,
-- and two replicas raising the same one at once insert one row.
CREATE UNIQUE INDEX exceptions_one_open ON exceptions(line_id, kind, work_order_id) WHERE status <> 'resolved';
CREATE INDEX exceptions_line ON exceptions(line_id, id);
CREATE INDEX exceptions_status ON exceptions(status, id);
CREATE INDEX exceptions_occurrence ON exceptions(line_id, kind, work_order_id, occurrence);
