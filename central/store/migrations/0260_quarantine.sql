-- Quarantine (issue #10): events central refused one by one (a count above
-- the ceiling, a negative one, a time outside the window, an oversized or
-- invalid string, a line the edge does not own, a delta the edge itself
-- found impossible). Each is kept with its reason and its JSON as
-- received, was acknowledged to the edge, and changed no count.
-- work_order_id is only set for rows this migration moved out of events:
-- the work order they had been counted for.
CREATE TABLE quarantine (
    edge_id       TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    line_id       TEXT NOT NULL DEFAULT '',
    type          TEXT NOT NULL DEFAULT '',
    source_time   BIGINT,
    received_at   BIGINT NOT NULL,
    reason        TEXT NOT NULL CHECK (reason <> ''),
    payload       TEXT NOT NULL,
    work_order_id TEXT,
    origin        TEXT NOT NULL DEFAULT 'ingest',
    PRIMARY KEY (edge_id, seq)
);
CREATE INDEX quarantine_received ON quarantine(received_at, edge_id, seq);
CREATE INDEX quarantine_line ON quarantine(line_id, received_at);

-- Repair what a past version let in: count events whose good or reject is
-- not an integer in 0..1,000,000 (the default ingest.max_count_delta), or
-- whose sum is above it. They move to quarantine, and the counts of the work
-- orders and lines they had been added to are recomputed from the events
-- that remain (a work order's good is the sum of its count events; its
-- reject that plus the scrap operators recorded at the station).
INSERT INTO quarantine (edge_id, seq, line_id, type, source_time, received_at, reason, payload, work_order_id, origin) -- only:sqlite
SELECT edge_id, seq, line_id, type, source_time, received_at, -- only:sqlite
    'count: good or reject is not an integer from 0 to 1000000 (moved by migration 0260)', payload, work_order_id, 'migration' -- only:sqlite
FROM events WHERE type = 'count' AND CASE WHEN json_valid(payload) THEN -- only:sqlite
    typeof(json_extract(payload, '$.count.good')) NOT IN ('integer', 'null') -- only:sqlite
    OR typeof(json_extract(payload, '$.count.reject')) NOT IN ('integer', 'null') -- only:sqlite
    OR COALESCE(json_extract(payload, '$.count.good'), 0) NOT BETWEEN 0 AND 1000000 -- only:sqlite
    OR COALESCE(json_extract(payload, '$.count.reject'), 0) NOT BETWEEN 0 AND 1000000 -- only:sqlite
    OR COALESCE(json_extract(payload, '$.count.good'), 0) + COALESCE(json_extract(payload, '$.count.reject'), 0) > 1000000 -- only:sqlite
    ELSE 1 END; -- only:sqlite
INSERT INTO quarantine (edge_id, seq, line_id, type, source_time, received_at, reason, payload, work_order_id, origin) -- only:postgres
SELECT edge_id, seq, line_id, type, source_time, received_at, -- only:postgres
    'count: good or reject is not an integer from 0 to 1000000 (moved by migration 0260)', payload, work_order_id, 'migration' -- only:postgres
FROM (SELECT e.*, COALESCE((e.payload::json->'count'->>'good')::numeric, 0) AS g, -- only:postgres
    COALESCE((e.payload::json->'count'->>'reject')::numeric, 0) AS r FROM events e WHERE e.type = 'count') c -- only:postgres
WHERE g <> trunc(g) OR r <> trunc(r) OR g < 0 OR r < 0 OR g + r > 1000000; -- only:postgres

DELETE FROM events WHERE type = 'count' AND EXISTS (
    SELECT 1 FROM quarantine q WHERE q.origin = 'migration' AND q.edge_id = events.edge_id AND q.seq = events.seq);

UPDATE work_orders SET -- only:sqlite
    good = COALESCE((SELECT SUM(json_extract(e.payload, '$.count.good')) FROM events e WHERE e.work_order_id = work_orders.id AND e.type = 'count'), 0), -- only:sqlite
    reject = COALESCE((SELECT SUM(json_extract(e.payload, '$.count.reject')) FROM events e WHERE e.work_order_id = work_orders.id AND e.type = 'count'), 0) -- only:sqlite
        + COALESCE((SELECT SUM(r.quantity) FROM scrap_records r WHERE r.work_order_id = work_orders.id), 0) -- only:sqlite
WHERE id IN (SELECT work_order_id FROM quarantine WHERE origin = 'migration' AND work_order_id IS NOT NULL) -- only:sqlite
    OR typeof(good) <> 'integer' OR typeof(reject) <> 'integer' OR good < 0 OR reject < 0; -- only:sqlite
UPDATE work_orders SET -- only:postgres
    good = COALESCE((SELECT SUM((e.payload::json->'count'->>'good')::bigint) FROM events e WHERE e.work_order_id = work_orders.id AND e.type = 'count'), 0), -- only:postgres
    reject = COALESCE((SELECT SUM((e.payload::json->'count'->>'reject')::bigint) FROM events e WHERE e.work_order_id = work_orders.id AND e.type = 'count'), 0) -- only:postgres
        + COALESCE((SELECT SUM(r.quantity) FROM scrap_records r WHERE r.work_order_id = work_orders.id), 0) -- only:postgres
WHERE id IN (SELECT work_order_id FROM quarantine WHERE origin = 'migration' AND work_order_id IS NOT NULL) -- only:postgres
    OR good < 0 OR reject < 0; -- only:postgres

UPDATE unattributed_counts SET -- only:sqlite
    good = COALESCE((SELECT SUM(json_extract(e.payload, '$.count.good')) FROM events e -- only:sqlite
        WHERE e.line_id = unattributed_counts.line_id AND e.work_order_id IS NULL AND e.type = 'count'), 0), -- only:sqlite
    reject = COALESCE((SELECT SUM(json_extract(e.payload, '$.count.reject')) FROM events e -- only:sqlite
        WHERE e.line_id = unattributed_counts.line_id AND e.work_order_id IS NULL AND e.type = 'count'), 0) -- only:sqlite
WHERE line_id IN (SELECT line_id FROM quarantine WHERE origin = 'migration' AND work_order_id IS NULL) -- only:sqlite
    OR typeof(good) <> 'integer' OR typeof(reject) <> 'integer' OR good < 0 OR reject < 0; -- only:sqlite
UPDATE unattributed_counts SET -- only:postgres
    good = COALESCE((SELECT SUM((e.payload::json->'count'->>'good')::bigint) FROM events e -- only:postgres
        WHERE e.line_id = unattributed_counts.line_id AND e.work_order_id IS NULL AND e.type = 'count'), 0), -- only:postgres
    reject = COALESCE((SELECT SUM((e.payload::json->'count'->>'reject')::bigint) FROM events e -- only:postgres
        WHERE e.line_id = unattributed_counts.line_id AND e.work_order_id IS NULL AND e.type = 'count'), 0) -- only:postgres
WHERE line_id IN (SELECT line_id FROM quarantine WHERE origin = 'migration' AND work_order_id IS NULL) -- only:postgres
    OR good < 0 OR reject < 0; -- only:postgres

-- A supervisor hears of the repair: one quarantined_event exception per line.
INSERT INTO exceptions (id, line_id, work_order_id, kind, severity, status, occurrence, opened_at, last_at, occurrences, detail, raised_by, created_at) -- only:sqlite
SELECT printf('%019d', MAX(received_at)) || '-q0260-' || line_id, line_id, '', 'quarantined_event', 'warning', 'open', 'migration 0260', -- only:sqlite
    MIN(received_at), MAX(received_at), COUNT(*), -- only:sqlite
    'migration 0260 moved ' || COUNT(*) || ' count event(s) with impossible values into quarantine and recomputed the counts', 'system', MAX(received_at) -- only:sqlite
FROM quarantine WHERE origin = 'migration' GROUP BY line_id ON CONFLICT DO NOTHING; -- only:sqlite
INSERT INTO exceptions (id, line_id, work_order_id, kind, severity, status, occurrence, opened_at, last_at, occurrences, detail, raised_by, created_at) -- only:postgres
SELECT lpad(MAX(received_at)::text, 19, '0') || '-q0260-' || line_id, line_id, '', 'quarantined_event', 'warning', 'open', 'migration 0260', -- only:postgres
    MIN(received_at), MAX(received_at), COUNT(*), -- only:postgres
    'migration 0260 moved ' || COUNT(*) || ' count event(s) with impossible values into quarantine and recomputed the counts', 'system', MAX(received_at) -- only:postgres
FROM quarantine WHERE origin = 'migration' GROUP BY line_id ON CONFLICT DO NOTHING; -- only:postgres

-- From now on the schema refuses a count that is not a non-negative
-- integer: PostgreSQL's bigint cannot hold anything else, SQLite's
-- BIGINT affinity can (an overflowing good + ? turns REAL), so triggers
-- stand in for CHECK constraints there (SQLite cannot add a CHECK to an
-- existing table without rebuilding it and every table that refers to it).
ALTER TABLE work_orders ADD CONSTRAINT work_orders_counts_valid CHECK (good >= 0 AND reject >= 0); -- only:postgres
ALTER TABLE unattributed_counts ADD CONSTRAINT unattributed_counts_valid CHECK (good >= 0 AND reject >= 0); -- only:postgres
CREATE TRIGGER work_orders_counts_insert BEFORE INSERT ON work_orders -- only:sqlite
WHEN typeof(NEW.good) <> 'integer' OR typeof(NEW.reject) <> 'integer' OR NEW.good < 0 OR NEW.reject < 0 -- only:sqlite
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: work_orders good and reject must be non-negative integers'); END; -- only:sqlite
CREATE TRIGGER work_orders_counts_update BEFORE UPDATE OF good, reject ON work_orders -- only:sqlite
WHEN typeof(NEW.good) <> 'integer' OR typeof(NEW.reject) <> 'integer' OR NEW.good < 0 OR NEW.reject < 0 -- only:sqlite
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: work_orders good and reject must be non-negative integers'); END; -- only:sqlite
CREATE TRIGGER unattributed_counts_insert BEFORE INSERT ON unattributed_counts -- only:sqlite
WHEN typeof(NEW.good) <> 'integer' OR typeof(NEW.reject) <> 'integer' OR NEW.good < 0 OR NEW.reject < 0 -- only:sqlite
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: unattributed_counts good and reject must be non-negative integers'); END; -- only:sqlite
CREATE TRIGGER unattributed_counts_update BEFORE UPDATE OF good, reject ON unattributed_counts -- only:sqlite
WHEN typeof(NEW.good) <> 'integer' OR typeof(NEW.reject) <> 'integer' OR NEW.good < 0 OR NEW.reject < 0 -- only:sqlite
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: unattributed_counts good and reject must be non-negative integers'); END; -- only:sqlite
