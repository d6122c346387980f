-- Master data (sites, line calendars, bills of materials) and order
-- settlement. Same rules as 0001: BIGINT unix-nano times, natural TEXT keys,
-- SQL both SQLite and PostgreSQL run.

CREATE TABLE sites (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT ''
);

-- A line's site is optional ('' = none) so lines made before sites existed
-- stay valid; the store checks the reference on every write.
ALTER TABLE lines ADD COLUMN site_id TEXT NOT NULL DEFAULT '';

-- Daily working windows of a line ("06:00"-"14:00"; an end not after the
-- start crosses midnight). A line without shifts follows the planning
-- configuration.
CREATE TABLE line_shifts (
    line_id  TEXT NOT NULL REFERENCES lines(id),
    name     TEXT NOT NULL,
    start_hm TEXT NOT NULL,
    end_hm   TEXT NOT NULL,
    PRIMARY KEY (line_id, name)
);

CREATE TABLE planned_stops (
    id       TEXT PRIMARY KEY,
    line_id  TEXT NOT NULL REFERENCES lines(id),
    start_at BIGINT NOT NULL,
    end_at   BIGINT NOT NULL,
    reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX planned_stops_line ON planned_stops(line_id, start_at);

-- Components are products too (materials); quantity is per one unit of
-- the parent, in the component's unit unless unit says otherwise.
CREATE TABLE bom_items (
    product_code   TEXT NOT NULL REFERENCES products(code),
    component_code TEXT NOT NULL REFERENCES products(code),
    quantity       DOUBLE PRECISION NOT NULL,
    unit           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (product_code, component_code)
);

-- Who opened and closed each run, for labour time per operator.
ALTER TABLE wo_runs ADD COLUMN started_by TEXT NOT NULL DEFAULT '';

-- An order's settlement, frozen when the order is closed: later events and
-- edits change the work orders, never this row.
CREATE TABLE order_settlements (
    order_number TEXT PRIMARY KEY REFERENCES orders(number),
    closed_at    BIGINT NOT NULL,
    settlement   TEXT NOT NULL
);
