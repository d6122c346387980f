-- Rush requests (issue #15): who asked for a rush insertion (紧急插单) of
-- which order, and the management decision on it. The plan change itself
-- is the rush proposal (plan_proposals); a request belongs to one.
CREATE TABLE rush_requests (
    proposal_id    TEXT PRIMARY KEY REFERENCES plan_proposals(id),
    order_number   TEXT NOT NULL REFERENCES orders(number),
    requested_by   TEXT NOT NULL,
    requested_role TEXT NOT NULL,
    requested_at   BIGINT NOT NULL,
    reason         TEXT NOT NULL DEFAULT '',
    rush_line      TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by     TEXT NOT NULL DEFAULT '',
    decided_role   TEXT NOT NULL DEFAULT '',
    decided_at     BIGINT,
    comment        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX rush_requests_status ON rush_requests(status, requested_at);
