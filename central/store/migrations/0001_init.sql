-- Timestamps are UTC unix nanoseconds (BIGINT) so they compare and sort the
-- same on SQLite and PostgreSQL. Keys are natural (no autoincrement) so this
-- file runs unchanged on both.

CREATE TABLE lines (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE products (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    unit           TEXT NOT NULL DEFAULT 'pcs',
    ideal_cycle_ns BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE orders (
    number       TEXT PRIMARY KEY,
    product_code TEXT NOT NULL REFERENCES products(code),
    quantity     BIGINT NOT NULL,
    due_at       BIGINT,
    priority     INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE work_orders (
    id            TEXT PRIMARY KEY,
    order_number  TEXT NOT NULL REFERENCES orders(number),
    operation_seq INTEGER NOT NULL,
    line_id       TEXT NOT NULL REFERENCES lines(id),
    barcode       TEXT NOT NULL UNIQUE,
    quantity      BIGINT NOT NULL,
    planned_start BIGINT,
    planned_end   BIGINT,
    actual_start  BIGINT,
    actual_end    BIGINT,
    status        TEXT NOT NULL,
    good          BIGINT NOT NULL DEFAULT 0,
    reject        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX work_orders_line ON work_orders(line_id, status);
CREATE INDEX work_orders_order ON work_orders(order_number, operation_seq);

-- Intervals when a work order ran on a line; counts are attributed by the
-- event's source time falling in [started_at, ended_at).
CREATE TABLE wo_runs (
    work_order_id TEXT NOT NULL REFERENCES work_orders(id),
    line_id       TEXT NOT NULL REFERENCES lines(id),
    started_at    BIGINT NOT NULL,
    ended_at      BIGINT,
    PRIMARY KEY (work_order_id, started_at)
);
CREATE INDEX wo_runs_line ON wo_runs(line_id, started_at);

-- Raw events, append-only. No foreign key on line_id: an edge may report a
-- line central does not know yet, and its events must still be kept.
CREATE TABLE events (
    edge_id       TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    line_id       TEXT NOT NULL,
    type          TEXT NOT NULL,
    source_time   BIGINT NOT NULL,
    received_at   BIGINT NOT NULL,
    payload       TEXT NOT NULL,
    work_order_id TEXT,
    PRIMARY KEY (edge_id, seq)
);
CREATE INDEX events_line_time ON events(line_id, source_time);

CREATE TABLE line_status (
    line_id       TEXT PRIMARY KEY,
    state         TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    since         BIGINT NOT NULL,
    last_event_at BIGINT NOT NULL
);

-- Parts counted on a line while no work order ran there.
CREATE TABLE unattributed_counts (
    line_id TEXT PRIMARY KEY,
    good    BIGINT NOT NULL DEFAULT 0,
    reject  BIGINT NOT NULL DEFAULT 0
);
