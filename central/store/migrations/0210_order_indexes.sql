-- Filtered order lists over 100,000 orders (issue #5, TestBenchOrderQueries
-- in central/httpapi). Same rules as 0001: SQL both databases run, except
-- the lines marked for one of them.

-- Product (and status) filters, already in page order.
CREATE INDEX orders_product_status ON orders(product_code, status, number);

-- The text search scans every order when little matches; PostgreSQL's ILIKE
-- and LOWER per row cost several times a plain LIKE on a lowercase copy.
-- chr(31) keeps a pattern from matching across the two columns. SQLite's
-- LIKE ignores ASCII case already and needs no copy.
ALTER TABLE orders ADD COLUMN search_text TEXT GENERATED ALWAYS AS (LOWER(number || chr(31) || customer_ref)) STORED; -- only:postgres

-- On SQLite that scan walks the orders in number order; this index holds
-- every column the text search's page query reads, so the scan never
-- visits the table (a third less time for a text that matches nothing).
CREATE INDEX orders_text ON orders(number, customer_ref, product_code); -- only:sqlite
