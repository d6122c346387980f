-- Changeover times per line in master data. A product's family groups the
-- products that run one after another without a setup ('' is the product
-- code itself, as before this column); a line's changeover matrix gives
-- the setup from one family to another. Planning uses a line's matrix when
-- it has one, else planning.changeover from the configuration. Portable SQL.
ALTER TABLE products ADD COLUMN family TEXT NOT NULL DEFAULT '';

CREATE TABLE line_changeovers (
    line_id     TEXT NOT NULL REFERENCES lines(id),
    from_family TEXT NOT NULL,
    to_family   TEXT NOT NULL,
    setup_ns    BIGINT NOT NULL,
    PRIMARY KEY (line_id, from_family, to_family)
);
