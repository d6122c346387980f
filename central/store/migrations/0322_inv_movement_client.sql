-- A client's id for a movement (issue #12): the same id from the same
-- actor is the same movement, so a scanner's or a page's retry books once.
ALTER TABLE inv_movements ADD COLUMN client_id TEXT;
CREATE UNIQUE INDEX inv_movements_client ON inv_movements(actor, client_id);
