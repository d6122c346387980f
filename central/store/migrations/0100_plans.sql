-- Schedule proposals and the plan in force. Same rules as 0001: BIGINT
-- unix-nano times, natural TEXT keys, SQL both SQLite and PostgreSQL run.
-- Plan and diff documents are JSON written and read by central/planning.

CREATE TABLE plan_proposals (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    line_id       TEXT NOT NULL DEFAULT '',
    rush_order    TEXT NOT NULL DEFAULT '',
    rush_priority INTEGER,
    rush_due      BIGINT,
    base_version  BIGINT NOT NULL,
    status        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    decided_at    BIGINT,
    decided_by    TEXT NOT NULL DEFAULT '',
    plan_json     TEXT NOT NULL,
    diff_json     TEXT NOT NULL
);
CREATE INDEX plan_proposals_status ON plan_proposals(status, created_at);
CREATE INDEX plan_proposals_line ON plan_proposals(line_id, status);

-- One row (id = 1): the approved plan. version grows by one per approval and
-- is compared-and-swapped, so two replicas cannot both apply a proposal
-- computed against the same plan.
CREATE TABLE plan_current (
    id          INTEGER PRIMARY KEY,
    version     BIGINT NOT NULL,
    proposal_id TEXT NOT NULL,
    applied_at  BIGINT NOT NULL,
    plan_json   TEXT NOT NULL
);
