-- Goods receipt and incoming inspection (issue #13). Quantities BIGINT
-- thousandths of the base unit; money BIGINT ten-thousandths; times unix
-- nanos; dates TEXT.

-- A material's incoming inspection plan; characteristics: a JSON list of
-- {name, unit, lower, upper, physical_min, physical_max}.
CREATE TABLE inspection_plans (
    material        TEXT PRIMARY KEY REFERENCES products(code),
    required        INTEGER NOT NULL DEFAULT 0,
    sample_size     INTEGER NOT NULL DEFAULT 0,
    characteristics TEXT NOT NULL DEFAULT '[]',
    updated_at      BIGINT NOT NULL
);

-- One receipt against a purchase order line; the stock itself is the
-- inventory ledger's movement. on_time: received on or before promised_by
-- (the line's confirmed date, else its due date). inspection: none,
-- pending, accept, accept_with_deviation, reject.
CREATE TABLE po_receipts (
    id           TEXT PRIMARY KEY,
    po_number    TEXT NOT NULL REFERENCES purchase_orders(number),
    line         INTEGER NOT NULL,
    supplier     TEXT NOT NULL REFERENCES suppliers(code),
    material     TEXT NOT NULL REFERENCES products(code),
    lot_id       TEXT NOT NULL REFERENCES inv_lots(id),
    supplier_lot TEXT NOT NULL DEFAULT '',
    quantity     BIGINT NOT NULL,
    location_id  TEXT NOT NULL REFERENCES inv_locations(id),
    movement_id  TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    on_time      INTEGER NOT NULL,
    promised_by  TEXT NOT NULL,
    price        BIGINT NOT NULL,
    inspection   TEXT NOT NULL,
    inspected_at BIGINT
);
CREATE INDEX po_receipts_po ON po_receipts(po_number, line);
CREATE INDEX po_receipts_supplier ON po_receipts(supplier, received_at);
CREATE INDEX po_receipts_inspection ON po_receipts(inspection);
CREATE INDEX po_receipts_lot ON po_receipts(lot_id);

-- Quality's record of a received lot; results: a JSON list of
-- {characteristic, values, out}.
CREATE TABLE inspections (
    id          TEXT PRIMARY KEY,
    receipt_id  TEXT NOT NULL UNIQUE REFERENCES po_receipts(id),
    lot_id      TEXT NOT NULL REFERENCES inv_lots(id),
    material    TEXT NOT NULL,
    supplier    TEXT NOT NULL,
    sample_size INTEGER NOT NULL,
    results     TEXT NOT NULL,
    decision    TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    inspector   TEXT NOT NULL,
    inspected_at BIGINT NOT NULL
);
CREATE INDEX inspections_supplier ON inspections(supplier, inspected_at);

-- Rejected material going back to the supplier. status: open, shipped.
CREATE TABLE supplier_returns (
    id         TEXT PRIMARY KEY,
    receipt_id TEXT NOT NULL REFERENCES po_receipts(id),
    po_number  TEXT NOT NULL,
    supplier   TEXT NOT NULL REFERENCES suppliers(code),
    lot_id     TEXT NOT NULL REFERENCES inv_lots(id),
    material   TEXT NOT NULL,
    quantity   BIGINT NOT NULL,
    reason     TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX supplier_returns_supplier ON supplier_returns(supplier, status);
