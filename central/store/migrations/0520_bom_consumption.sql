-- Materials (issue #12): how each BOM line is consumed. '' (the default):
-- backflushed from the line side with the counts; 'manual': issued by a
-- lot scan at the station (or a movement), never backflushed.
ALTER TABLE bom_items ADD COLUMN consumption TEXT NOT NULL DEFAULT '';
