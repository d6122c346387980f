-- Quality holds on lots (issue #15). A hold is on a work order (lot_id '')
-- or on a lot (work_order_id ''): a lot on hold is blocked in inv_lots in
-- the hold's transaction, so the station refuses to load or issue it, and
-- releasing the hold releases the lot. An inspection may name the lot it
-- inspected (a finished lot at OQC, a lot at the line side at IPQC).
ALTER TABLE quality_holds ADD COLUMN lot_id TEXT NOT NULL DEFAULT '';
DROP INDEX quality_holds_open;
CREATE UNIQUE INDEX quality_holds_open ON quality_holds(work_order_id, lot_id) WHERE released_at IS NULL;
ALTER TABLE qc_inspections ADD COLUMN lot_id TEXT NOT NULL DEFAULT '';
