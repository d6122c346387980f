-- Customer master (issue #15): who an order is made for, with a grade
-- (A, B, C) that rush insertion looks at. Orders get an optional customer;
-- orders from before keep none (and stay valid), their customer_ref text
-- is left as it was.
CREATE TABLE customers (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    grade    TEXT NOT NULL DEFAULT 'B' CHECK (grade IN ('A', 'B', 'C')),
    contacts TEXT NOT NULL DEFAULT ''
);
ALTER TABLE orders ADD COLUMN customer_code TEXT REFERENCES customers(code);
CREATE INDEX orders_customer ON orders(customer_code, number);
