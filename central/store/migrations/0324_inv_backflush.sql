-- Backflush (issue #12): what a work order's counts should have consumed
-- but the line side did not hold (no released lot of the component there),
-- so it could not be booked. Quantities in thousandths of the base unit.
CREATE TABLE inv_backflush_short (
    work_order_id TEXT NOT NULL REFERENCES work_orders(id),
    material      TEXT NOT NULL REFERENCES products(code),
    quantity      BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,
    PRIMARY KEY (work_order_id, material)
);
