-- Lost updates, double actions and execution rules (issue #11). Same rules
-- as 0001: BIGINT unix-nano times, TEXT keys, SQL both databases run.
--
-- station_actions: every action posted from a station page or a station's
-- API token (scan, complete, scrap) under the client id its sender made.
-- The primary key makes a repeat of the same id one action (the repeat
-- gets the first's answer); the code index finds a repeat of the same
-- code at the same station within the bounce window. status is the HTTP
-- status of the answer, 0 while the first is still being carried out.
CREATE TABLE station_actions (
    station_id TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    code       TEXT NOT NULL DEFAULT '',
    status     INTEGER NOT NULL DEFAULT 0,
    response   TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (station_id, client_id)
);
CREATE INDEX station_actions_code ON station_actions(station_id, kind, code, created_at);

-- A work order an order-level pause stopped: the order's resume starts it
-- again (and only it: one an operator paused stays paused).
ALTER TABLE work_orders ADD COLUMN paused_by_order INTEGER NOT NULL DEFAULT 0;

-- Per routing operation: how many good parts the previous operation must
-- have reported before this one may start. NULL: execution.overlap_quantity
-- (default 0: the previous operation must have started).
ALTER TABLE routings ADD COLUMN overlap_qty BIGINT;

-- A pending proposal a newer one replaced (status superseded) names it.
ALTER TABLE plan_proposals ADD COLUMN superseded_by TEXT NOT NULL DEFAULT '';
