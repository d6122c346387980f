-- Stock levels per material (issue #12): safety stock, reorder point and
-- maximum, over all its usable stock (location_id '') or at one location.
-- Quantities in thousandths of the base unit; maximum 0 means none.
CREATE TABLE inv_stock_levels (
    material      TEXT NOT NULL REFERENCES products(code),
    location_id   TEXT NOT NULL DEFAULT '',
    safety_stock  BIGINT NOT NULL DEFAULT 0,
    reorder_point BIGINT NOT NULL DEFAULT 0,
    maximum       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (material, location_id)
);
