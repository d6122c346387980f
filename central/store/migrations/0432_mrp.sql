-- Requirements planning (issue #13): what the last MRP run proposed.
-- kind: purchase (a requisition for a bought material) or production (an
-- in-house semi-finished product to make). status: open, converted (to a
-- purchase order: po_number, po_line), dismissed. A run replaces the open
-- ones. orders: a JSON list of the customer orders the need comes from.
CREATE TABLE mrp_proposals (
    id          TEXT PRIMARY KEY,
    run_at      BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    material    TEXT NOT NULL REFERENCES products(code),
    quantity    BIGINT NOT NULL,
    need_date   TEXT NOT NULL,
    order_by    TEXT NOT NULL,
    supplier    TEXT NOT NULL DEFAULT '',
    price       BIGINT NOT NULL DEFAULT 0,
    currency    TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    orders      TEXT NOT NULL DEFAULT '[]',
    status      TEXT NOT NULL,
    po_number   TEXT NOT NULL DEFAULT '',
    po_line     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mrp_proposals_status ON mrp_proposals(status, kind);
