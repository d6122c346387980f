-- Filtered order lists over 100,000 orders (issue #5, TestBenchOrderQueries
-- in central/httpapi). Same rules as 0001: SQL both databases run, except
-- the line marked for one of them.

-- Product (and status) filters, already in page order.
CREATE INDEX orders_product_status ON orders(product_code, status, number);

-- The text search scans every order when little matches; PostgreSQL's ILIKE
-- and LOWER per row cost several times a plain LIKE on a lowercase copy.
-- chr(31) keeps a pattern from matching across the two columns. SQLite's
-- LIKE ignores ASCII case already and needs no copy.
ALTER TABLE orders ADD COLUMN search_text TEXT GENERATED ALWAYS AS (LOWER(number || chr(31) || customer_ref)) STORED; -- only:postgres
