-- Cost settlement (issue #14). Money is BIGINT ten-thousandths (1e-4) of
-- the currency unit (central/money), never REAL. Rates are per line
-- (machine hour, and the labour grade its standard labour is costed at),
-- per labour grade (labour hour) and per material (standard cost per base
-- unit). Users get a labour grade; orders a unit price and its currency.
CREATE TABLE cost_line_rates (
    line_id      TEXT PRIMARY KEY REFERENCES lines(id),
    machine_hour BIGINT NOT NULL,
    labour_grade TEXT NOT NULL DEFAULT '',
    currency     TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    updated_by   TEXT NOT NULL
);
CREATE TABLE cost_labour_grades (
    grade       TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    labour_hour BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);
CREATE TABLE cost_materials (
    material      TEXT PRIMARY KEY REFERENCES products(code),
    standard_cost BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    updated_by    TEXT NOT NULL
);
ALTER TABLE users ADD COLUMN labour_grade TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN price BIGINT;
ALTER TABLE orders ADD COLUMN price_currency TEXT NOT NULL DEFAULT '';

-- The cost sheet frozen when the order closed (JSON of domain.CostSheet),
-- in the closing transaction like order_settlements.
CREATE TABLE cost_settlements (
    order_number TEXT PRIMARY KEY REFERENCES orders(number),
    closed_at    BIGINT NOT NULL,
    sheet        TEXT NOT NULL
);
