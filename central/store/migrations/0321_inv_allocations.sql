-- Materials reserved for an order (issue #12): set when the order is
-- released, lowered as material is issued to its work orders, removed when
-- it is closed or cancelled. Quantities in thousandths of the base unit.
CREATE TABLE inv_allocations (
    order_number TEXT NOT NULL REFERENCES orders(number),
    material     TEXT NOT NULL REFERENCES products(code),
    quantity     BIGINT NOT NULL,
    allocated_at BIGINT NOT NULL,
    PRIMARY KEY (order_number, material)
);
CREATE INDEX inv_allocations_material ON inv_allocations(material);
