-- Purchasing (issue #13): the supplier file, what each supplier may supply
-- on what terms, and purchase orders. Money is BIGINT ten-thousandths of
-- the currency unit (domain.Money); quantities BIGINT thousandths of the
-- material's base unit; dates ('2026-03-02') as TEXT; times unix nanos.

-- status: approved, probation, blocked. contacts: a JSON list.
CREATE TABLE suppliers (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    contacts   TEXT NOT NULL DEFAULT '[]',
    address    TEXT NOT NULL DEFAULT '',
    notes      TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A material (or service) a supplier may supply, price per base unit.
CREATE TABLE supplier_items (
    supplier       TEXT NOT NULL REFERENCES suppliers(code),
    material       TEXT NOT NULL REFERENCES products(code),
    lead_time_days INTEGER NOT NULL DEFAULT 0,
    price          BIGINT NOT NULL DEFAULT 0,
    currency       TEXT NOT NULL,
    valid_from     TEXT NOT NULL DEFAULT '',
    valid_to       TEXT NOT NULL DEFAULT '',
    moq            BIGINT NOT NULL DEFAULT 0,
    multiple       BIGINT NOT NULL DEFAULT 0,
    preferred      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (supplier, material)
);
CREATE INDEX supplier_items_material ON supplier_items(material);

-- status: draft, approved, sent, partially_received, received, closed,
-- cancelled. total is the sum of the lines' amounts in currency.
CREATE TABLE purchase_orders (
    number      TEXT PRIMARY KEY,
    supplier    TEXT NOT NULL REFERENCES suppliers(code),
    status      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    total       BIGINT NOT NULL DEFAULT 0,
    subcontract INTEGER NOT NULL DEFAULT 0,
    created_by  TEXT NOT NULL DEFAULT '',
    approved_by TEXT NOT NULL DEFAULT '',
    approved_at BIGINT,
    sent_at     BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX purchase_orders_supplier ON purchase_orders(supplier, status);
CREATE INDEX purchase_orders_status ON purchase_orders(status);

-- One material of a purchase order. received grows with goods receipts;
-- closed: nothing more is expected on the line.
CREATE TABLE po_lines (
    po_number      TEXT NOT NULL REFERENCES purchase_orders(number),
    line           INTEGER NOT NULL,
    material       TEXT NOT NULL REFERENCES products(code),
    quantity       BIGINT NOT NULL,
    price          BIGINT NOT NULL,
    amount         BIGINT NOT NULL,
    due_date       TEXT NOT NULL,
    confirmed_date TEXT NOT NULL DEFAULT '',
    received       BIGINT NOT NULL DEFAULT 0,
    closed         INTEGER NOT NULL DEFAULT 0,
    requisition    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (po_number, line)
);
CREATE INDEX po_lines_material ON po_lines(material, closed);
