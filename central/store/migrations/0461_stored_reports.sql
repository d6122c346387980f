-- Stored shift and day reports (issue #14): generated at each period's end,
-- never rewritten. A later change of the figures adds a revision; the
-- primary key makes each revision one row however many replicas (or
-- restarts) generate it.
CREATE TABLE stored_reports (
    kind         TEXT NOT NULL,
    period_date  TEXT NOT NULL,
    shift        TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    period_from  BIGINT NOT NULL,
    period_to    BIGINT NOT NULL,
    generated_at BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    content      TEXT NOT NULL,
    PRIMARY KEY (kind, period_date, shift, revision)
);
CREATE INDEX stored_reports_date ON stored_reports(period_date, kind);
