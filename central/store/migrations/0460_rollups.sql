-- Rollups maintained at ingest (issue #14), in the transaction that stores
-- the events, by the events stored there and then (a resent event stores
-- nothing and so adds nothing). Buckets are 15 minutes of source time,
-- aligned to the Unix epoch: every plant zone's offset is a whole quarter
-- hour, so shift and day edges on HH:00/15/30/45 fall on bucket edges.
--
-- count_rollups: a line's good and reject per bucket and work order (''
-- for counts on no work order), with the work order's product; re-
-- attribution moves counts between rows, never changes a bucket's sum.
CREATE TABLE count_rollups (
    line_id       TEXT NOT NULL,
    bucket        BIGINT NOT NULL,
    work_order_id TEXT NOT NULL,
    product_code  TEXT NOT NULL,
    good          BIGINT NOT NULL,
    reject        BIGINT NOT NULL,
    events        BIGINT NOT NULL,
    PRIMARY KEY (line_id, bucket, work_order_id)
);

-- state_rollups: nanoseconds a line spent in each reported state and
-- reason per bucket, for the closed intervals (a state followed by a later
-- one); the line's current, open state is added by whoever reads them.
CREATE TABLE state_rollups (
    line_id     TEXT NOT NULL,
    bucket      BIGINT NOT NULL,
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    duration_ns BIGINT NOT NULL,
    PRIMARY KEY (line_id, bucket, state, reason)
);

-- A line's state changes in order, for the state rollups and OEE: only the
-- (rare) state events pay for it.
CREATE INDEX events_states ON events(line_id, source_time, edge_id, seq) WHERE type = 'state';

-- Existing events: the counts roll up here, the states in Go at the first
-- open after this migration (store.rebuildStateRollups).
INSERT INTO count_rollups (line_id, bucket, work_order_id, product_code, good, reject, events) -- only:sqlite
SELECT e.line_id, (e.source_time / 900000000000) * 900000000000, COALESCE(e.work_order_id, ''), -- only:sqlite
       COALESCE(MAX(o.product_code), ''), -- only:sqlite
       SUM(COALESCE(CAST(json_extract(e.payload, '$.count.good') AS BIGINT), 0)), -- only:sqlite
       SUM(COALESCE(CAST(json_extract(e.payload, '$.count.reject') AS BIGINT), 0)), COUNT(*) -- only:sqlite
FROM events e -- only:sqlite
LEFT JOIN work_orders w ON w.id = e.work_order_id -- only:sqlite
LEFT JOIN orders o ON o.number = w.order_number -- only:sqlite
WHERE e.type = 'count' AND json_extract(e.payload, '$.count') IS NOT NULL -- only:sqlite
GROUP BY e.line_id, (e.source_time / 900000000000) * 900000000000, COALESCE(e.work_order_id, ''); -- only:sqlite
INSERT INTO count_rollups (line_id, bucket, work_order_id, product_code, good, reject, events) -- only:postgres
SELECT e.line_id, (e.source_time / 900000000000) * 900000000000, COALESCE(e.work_order_id, ''), -- only:postgres
       COALESCE(MAX(o.product_code), ''), -- only:postgres
       SUM(COALESCE(CAST((e.payload::json)->'count'->>'good' AS BIGINT), 0)), -- only:postgres
       SUM(COALESCE(CAST((e.payload::json)->'count'->>'reject' AS BIGINT), 0)), COUNT(*) -- only:postgres
FROM events e -- only:postgres
LEFT JOIN work_orders w ON w.id = e.work_order_id -- only:postgres
LEFT JOIN orders o ON o.number = w.order_number -- only:postgres
WHERE e.type = 'count' AND (e.payload::json)->'count' IS NOT NULL AND json_typeof((e.payload::json)->'count') = 'object' -- only:postgres
GROUP BY e.line_id, (e.source_time / 900000000000) * 900000000000, COALESCE(e.work_order_id, ''); -- only:postgres
CREATE TABLE rollup_rebuilds (what TEXT PRIMARY KEY, done_at BIGINT NOT NULL);
