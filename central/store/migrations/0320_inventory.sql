-- Materials (issue #12): locations, lots, the append-only movement ledger
-- and the balances kept with it. Quantities are BIGINT thousandths of the
-- material's base unit (products.unit), so sums are exact on both databases.

-- A storage place. kind: warehouse (a bin or area of a warehouse),
-- line_side (beside one line; line_id set), quarantine (held stock).
-- allow_negative lets a balance there fall below zero (flagged on the
-- movement) for places where stock is booked after it is used.
CREATE TABLE inv_locations (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    warehouse      TEXT NOT NULL DEFAULT '',
    line_id        TEXT REFERENCES lines(id),
    allow_negative INTEGER NOT NULL DEFAULT 0,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- 1 unit of a material = factor × its base unit (roll → 50 m).
CREATE TABLE inv_unit_conversions (
    material TEXT NOT NULL REFERENCES products(code),
    unit     TEXT NOT NULL,
    factor   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (material, unit)
);

-- A lot: bought (supplier_lot) or made (work_order_id). quantity is what
-- was received or produced into it; on hand is the sum of its balances.
CREATE TABLE inv_lots (
    id            TEXT PRIMARY KEY,
    material      TEXT NOT NULL REFERENCES products(code),
    supplier_lot  TEXT NOT NULL DEFAULT '',
    work_order_id TEXT REFERENCES work_orders(id),
    quantity      BIGINT NOT NULL DEFAULT 0,
    status        TEXT NOT NULL,
    received_at   BIGINT,
    produced_at   BIGINT,
    expires_at    BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX inv_lots_material ON inv_lots(material, status);
CREATE INDEX inv_lots_work_order ON inv_lots(work_order_id);

-- Stock per lot and location (the material is the lot's, repeated for
-- queries by material). Changed only together with a movement row.
CREATE TABLE inv_balances (
    lot_id      TEXT NOT NULL REFERENCES inv_lots(id),
    location_id TEXT NOT NULL REFERENCES inv_locations(id),
    material    TEXT NOT NULL,
    quantity    BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (lot_id, location_id)
);
CREATE INDEX inv_balances_material ON inv_balances(material, location_id);
CREATE INDEX inv_balances_location ON inv_balances(location_id, material);

-- The ledger, append-only. ids sort by time. quantity is positive in the
-- base unit; from/to say which balance went down/up. entered_* is what the
-- user typed. negative: the movement took a balance below zero where the
-- location allows it.
CREATE TABLE inv_movements (
    id               TEXT PRIMARY KEY,
    type             TEXT NOT NULL,
    material         TEXT NOT NULL,
    lot_id           TEXT NOT NULL REFERENCES inv_lots(id),
    from_location    TEXT REFERENCES inv_locations(id),
    to_location      TEXT REFERENCES inv_locations(id),
    quantity         BIGINT NOT NULL,
    entered_quantity BIGINT NOT NULL,
    entered_unit     TEXT NOT NULL,
    work_order_id    TEXT REFERENCES work_orders(id),
    order_number     TEXT REFERENCES orders(number),
    reason           TEXT NOT NULL DEFAULT '',
    negative         INTEGER NOT NULL DEFAULT 0,
    occurred_at      BIGINT NOT NULL,
    actor            TEXT NOT NULL,
    role             TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inv_movements_lot ON inv_movements(lot_id, id);
CREATE INDEX inv_movements_material ON inv_movements(material, id);
CREATE INDEX inv_movements_work_order ON inv_movements(work_order_id, id);
CREATE INDEX inv_movements_order ON inv_movements(order_number, id);
CREATE INDEX inv_movements_from ON inv_movements(from_location, id);
CREATE INDEX inv_movements_to ON inv_movements(to_location, id);

-- Net quantity of each lot a work order consumed (issues − returns), kept
-- with the ledger: the genealogy's edges, and later the variance.
CREATE TABLE inv_wo_lots (
    work_order_id TEXT NOT NULL REFERENCES work_orders(id),
    lot_id        TEXT NOT NULL REFERENCES inv_lots(id),
    material      TEXT NOT NULL,
    quantity      BIGINT NOT NULL,
    first_at      BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,
    PRIMARY KEY (work_order_id, lot_id)
);
CREATE INDEX inv_wo_lots_lot ON inv_wo_lots(lot_id);
