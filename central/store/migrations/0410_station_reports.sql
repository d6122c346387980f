-- Shop-floor reporting without a PLC (issue #15). Same rules as 0001:
-- BIGINT unix-nano times, TEXT keys, SQL both databases run.
--
-- station_reports: every report an operator makes by hand at a station
-- (output: good and scrap; a stop with its reason; the end of a stop).
-- Each becomes one event of the station's own event source
-- ("station.<id>") and goes through ingest like an edge's, so counts,
-- downtime, OEE, settlement and exceptions see it as they see a machine's.
-- The (edge_id, client_id) key gives a retried report its first sequence
-- number, and ingest's dedupe on (edge_id, seq) makes it one event even
-- when the first attempt died between this row and the event.
-- Scrap reasons live here, not in scrap_records (whose rows add to reject
-- without an event, see 0260).
CREATE TABLE station_reports (
    edge_id       TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    client_id     TEXT NOT NULL,
    station_id    TEXT NOT NULL,
    line_id       TEXT NOT NULL,
    work_order_id TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL,
    good          BIGINT NOT NULL DEFAULT 0,
    reject        BIGINT NOT NULL DEFAULT 0,
    state         TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    actor         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (edge_id, client_id),
    UNIQUE (edge_id, seq)
);
CREATE INDEX station_reports_wo ON station_reports(work_order_id, created_at);
