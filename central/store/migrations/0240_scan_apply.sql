-- Scans applied by central (central/scans): a barcode read by a fixed
-- scanner arrives as an event of type 'scan' and is applied to the work
-- orders once, in order per line. Same rules as 0001: BIGINT unix-nano
-- times, TEXT keys.
--
-- scan_inbox holds every stored scan event not yet applied. A trigger on
-- events fills it in the transaction that stores the event, so ingest's
-- code stays as it is, a resent event (ON CONFLICT DO NOTHING) is not queued
-- again, and no timing or clock assumption decides what is pending. The
-- applier deletes the row in the same transaction as the work-order change
-- the scan causes and the scan_results row that says what it did: applied
-- exactly once, whatever crashes in between. events stays append-only.
CREATE TABLE scan_inbox (
    edge_id     TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    line_id     TEXT NOT NULL,
    source_time BIGINT NOT NULL,
    PRIMARY KEY (edge_id, seq)
);
CREATE INDEX scan_inbox_line ON scan_inbox(line_id, source_time, edge_id, seq);

CREATE TRIGGER events_scan_inbox AFTER INSERT ON events FOR EACH ROW WHEN NEW.type = 'scan' -- only:sqlite
BEGIN INSERT INTO scan_inbox (edge_id, seq, line_id, source_time) VALUES (NEW.edge_id, NEW.seq, NEW.line_id, NEW.source_time); END; -- only:sqlite
CREATE FUNCTION scan_inbox_add() RETURNS trigger LANGUAGE plpgsql AS $$ -- only:postgres
BEGIN -- only:postgres
    INSERT INTO scan_inbox (edge_id, seq, line_id, source_time) VALUES (NEW.edge_id, NEW.seq, NEW.line_id, NEW.source_time); -- only:postgres
    RETURN NULL; -- only:postgres
END $$; -- only:postgres
CREATE TRIGGER events_scan_inbox AFTER INSERT ON events FOR EACH ROW WHEN (NEW.type = 'scan') EXECUTE FUNCTION scan_inbox_add(); -- only:postgres

-- What each scan did: result is applied, rejected (it could not apply; the
-- message says why and nothing changed), failed (it kept failing for a
-- reason that is not the scan's, and was given up so later scans go on) or
-- skipped (stored before this migration: never applied late).
CREATE TABLE scan_results (
    edge_id       TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    line_id       TEXT NOT NULL,
    station_id    TEXT NOT NULL DEFAULT '',
    code          TEXT NOT NULL DEFAULT '',
    operator      TEXT NOT NULL DEFAULT '',
    requested     TEXT NOT NULL DEFAULT '',
    source_time   BIGINT NOT NULL,
    result        TEXT NOT NULL,
    action        TEXT NOT NULL DEFAULT '',
    work_order_id TEXT NOT NULL DEFAULT '',
    actor         TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '',
    applied_at    BIGINT NOT NULL,
    PRIMARY KEY (edge_id, seq)
);
CREATE INDEX scan_results_station ON scan_results(station_id, source_time);

-- Who a badge scanned at a fixed scanner signed in at a station, for the
-- scans after it that name no operator. One operator per station: the
-- latest badge wins.
CREATE TABLE station_sign_ins (
    station_id   TEXT PRIMARY KEY,
    username     TEXT NOT NULL,
    signed_in_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

INSERT INTO scan_results (edge_id, seq, line_id, station_id, code, source_time, result, message, applied_at) -- only:sqlite
SELECT edge_id, seq, line_id, COALESCE(json_extract(payload, '$.scan.station'), ''), COALESCE(json_extract(payload, '$.scan.code'), ''), -- only:sqlite
    source_time, 'skipped', 'stored before central applied scans (migration 0240)', received_at FROM events WHERE type = 'scan'; -- only:sqlite
INSERT INTO scan_results (edge_id, seq, line_id, station_id, code, source_time, result, message, applied_at) -- only:postgres
SELECT edge_id, seq, line_id, COALESCE(payload::json->'scan'->>'station', ''), COALESCE(payload::json->'scan'->>'code', ''), -- only:postgres
    source_time, 'skipped', 'stored before central applied scans (migration 0240)', received_at FROM events WHERE type = 'scan'; -- only:postgres
