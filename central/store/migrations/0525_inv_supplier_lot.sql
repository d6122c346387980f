-- Materials (issue #12): the recall question "which customer orders hold
-- supplier lot X" starts from the lots received under that supplier lot.
CREATE INDEX inv_lots_supplier_lot ON inv_lots (supplier_lot);
