-- Outsourcing (外协, issue #13). subcontract_ops marks a routing operation
-- as subcontracted: mode always or per_order, with its default supplier.
CREATE TABLE subcontract_ops (
    product_code TEXT NOT NULL REFERENCES products(code),
    seq          INTEGER NOT NULL,
    mode         TEXT NOT NULL,
    supplier     TEXT NOT NULL DEFAULT '',
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (product_code, seq)
);

-- One outsourced operation of one order. status: requested, approved,
-- rejected, at_supplier, received, closed. Quantities sent, received,
-- inspected and accepted are the order's parts; po_number is the
-- subcontract purchase order approval made, location_id the supplier's
-- stock location; expected_at when the parts are due back.
CREATE TABLE subcontracts (
    id             TEXT PRIMARY KEY,
    work_order_id  TEXT NOT NULL REFERENCES work_orders(id),
    order_number   TEXT NOT NULL,
    op_seq         INTEGER NOT NULL,
    product        TEXT NOT NULL,
    supplier       TEXT NOT NULL REFERENCES suppliers(code),
    quantity       BIGINT NOT NULL,
    status         TEXT NOT NULL,
    reason         TEXT NOT NULL DEFAULT '',
    requested_by   TEXT NOT NULL,
    requested_at   BIGINT NOT NULL,
    approved_by    TEXT NOT NULL DEFAULT '',
    approved_at    BIGINT,
    po_number      TEXT NOT NULL DEFAULT '',
    location_id    TEXT NOT NULL DEFAULT '',
    lead_time_days INTEGER NOT NULL DEFAULT 0,
    expected_at    BIGINT,
    sent           BIGINT NOT NULL DEFAULT 0,
    received       BIGINT NOT NULL DEFAULT 0,
    inspected      BIGINT NOT NULL DEFAULT 0,
    accepted       BIGINT NOT NULL DEFAULT 0,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX subcontracts_work_order ON subcontracts(work_order_id);
CREATE INDEX subcontracts_status ON subcontracts(status);

-- The lots that went out (kind sent: components) and came back (kind
-- returned: the semi-finished lot, with its inspection status).
CREATE TABLE subcontract_lots (
    subcontract_id TEXT NOT NULL REFERENCES subcontracts(id),
    kind           TEXT NOT NULL,
    lot_id         TEXT NOT NULL,
    material       TEXT NOT NULL,
    quantity       BIGINT NOT NULL,
    from_location  TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT '',
    booked_at      BIGINT NOT NULL
);
CREATE INDEX subcontract_lots_sub ON subcontract_lots(subcontract_id, kind);
