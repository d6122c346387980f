-- Materials (issue #12): serial-tracked products. inv_serial_products
-- marks a product tracked, with the prefix a station knows its serials by
-- and the next number to generate. inv_serials: each serial, made by a
-- work order (its lot is the one the order's finished goods went into).
CREATE TABLE inv_serial_products (
    product    TEXT PRIMARY KEY REFERENCES products(code),
    prefix     TEXT NOT NULL,
    next_seq   BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);
CREATE TABLE inv_serials (
    serial        TEXT PRIMARY KEY,
    product       TEXT NOT NULL REFERENCES products(code),
    work_order_id TEXT NOT NULL REFERENCES work_orders(id),
    source        TEXT NOT NULL,
    station       TEXT NOT NULL DEFAULT '',
    actor         TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX inv_serials_work_order ON inv_serials(work_order_id);
