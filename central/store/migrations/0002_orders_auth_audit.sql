-- Order lifecycle, routings, stations, users and audit. Same rules as 0001:
-- BIGINT unix-nano times, natural TEXT keys, SQL both SQLite and PostgreSQL run.

ALTER TABLE orders ADD COLUMN unit TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN customer_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN order_type TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE orders ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN review_round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX orders_status ON orders(status, number);
CREATE INDEX orders_due ON orders(due_at);

-- One sign-off per aspect per review round.
CREATE TABLE order_signoffs (
    order_number TEXT NOT NULL REFERENCES orders(number),
    review_round INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    signed_by    TEXT NOT NULL,
    role         TEXT NOT NULL,
    signed_at    BIGINT NOT NULL,
    comment      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (order_number, review_round, kind)
);

-- Counters handed out inside a transaction (UPDATE ... SET next_value =
-- next_value + 1 locks the row, so concurrent replicas get distinct values).
CREATE TABLE sequences (
    name       TEXT PRIMARY KEY,
    next_value BIGINT NOT NULL
);

CREATE TABLE routings (
    product_code   TEXT NOT NULL REFERENCES products(code),
    seq            INTEGER NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    line_id        TEXT NOT NULL REFERENCES lines(id),
    ideal_cycle_ns BIGINT NOT NULL DEFAULT 0,
    setup_ns       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (product_code, seq)
);

CREATE TABLE stations (
    id      TEXT PRIMARY KEY,
    line_id TEXT NOT NULL REFERENCES lines(id),
    name    TEXT NOT NULL DEFAULT ''
);

CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    badge         TEXT UNIQUE,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users(username),
    station_id TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(username);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    line_id    TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked    INTEGER NOT NULL DEFAULT 0
);

-- Append-only. ids sort by time (zero-padded nanos + random suffix).
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL DEFAULT '',
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id, occurred_at);
CREATE INDEX audit_actor ON audit_log(actor, occurred_at);
CREATE INDEX audit_time ON audit_log(occurred_at);

-- Parts an operator scrapped by hand, with why.
CREATE TABLE scrap_records (
    id            TEXT PRIMARY KEY,
    work_order_id TEXT NOT NULL REFERENCES work_orders(id),
    quantity      BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL
);
