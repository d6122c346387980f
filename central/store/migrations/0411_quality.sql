-- Quality at the station (issue #15). Same rules as 0001: BIGINT unix-nano
-- times, TEXT keys, SQL both databases run.
--
-- qc_plans: per product and kind (ipqc, oqc), the characteristics
-- (JSON: name, unit, lower, upper), the sample size and whether a failure
-- puts the work order on hold. Master data, set by quality.
CREATE TABLE qc_plans (
    product_code    TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sample_size     INTEGER NOT NULL,
    characteristics TEXT NOT NULL,
    hold_on_fail    INTEGER NOT NULL DEFAULT 1,
    updated_by      TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (product_code, kind)
);

-- qc_inspections: what was measured (JSON), and the pass/fail central computed.
CREATE TABLE qc_inspections (
    id            TEXT PRIMARY KEY,
    work_order_id TEXT NOT NULL,
    line_id       TEXT NOT NULL,
    station_id    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    pass          INTEGER NOT NULL,
    measurements  TEXT NOT NULL,
    inspector     TEXT NOT NULL,
    at            BIGINT NOT NULL,
    hold_id       TEXT NOT NULL DEFAULT '',
    nc_id         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX qc_inspections_wo ON qc_inspections(work_order_id, at);
CREATE INDEX qc_inspections_at ON qc_inspections(at);

-- quality_holds: at most one open hold per work order; while it is open
-- the station refuses scans and reports of the work order.
CREATE TABLE quality_holds (
    id            TEXT PRIMARY KEY,
    work_order_id TEXT NOT NULL,
    line_id       TEXT NOT NULL,
    reason        TEXT NOT NULL,
    inspection_id TEXT NOT NULL DEFAULT '',
    opened_by     TEXT NOT NULL,
    opened_at     BIGINT NOT NULL,
    released_by   TEXT NOT NULL DEFAULT '',
    released_at   BIGINT,
    release_note  TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX quality_holds_open ON quality_holds(work_order_id) WHERE released_at IS NULL;

-- nonconformances: a finding, its quantity, and the disposition (rework,
-- scrap, use_as_is) with who decided and when.
CREATE TABLE nonconformances (
    id            TEXT PRIMARY KEY,
    work_order_id TEXT NOT NULL,
    line_id       TEXT NOT NULL,
    inspection_id TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL,
    quantity      BIGINT NOT NULL DEFAULT 0,
    opened_by     TEXT NOT NULL,
    opened_at     BIGINT NOT NULL,
    disposition   TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    decided_by    TEXT NOT NULL DEFAULT '',
    decided_at    BIGINT
);
CREATE INDEX nonconformances_open ON nonconformances(decided_at, opened_at);
