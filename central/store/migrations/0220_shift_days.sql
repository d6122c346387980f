-- The days of the week a line's shift runs on, canonical as the store
-- writes it ("Mon-Fri", "Mon,Wed,Fri"); '' is every day, so the shifts
-- written before this column keep working every day. Portable SQL.
ALTER TABLE line_shifts ADD COLUMN days TEXT NOT NULL DEFAULT '';
