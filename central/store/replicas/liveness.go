package replicas

import (
	"context"
	"database/sql"

	"github.com/linewise/linewise/central/liveness"
	"github.com/linewise/linewise/central/store"
)

// RecordLiveness keeps words in edge_liveness: times only move forward,
// and a status replaces the stored one only when it was heard later.
func (s *Store) RecordLiveness(ctx context.Context, words []liveness.Word) error {
	if len(words) == 0 {
		return nil
	}
	return s.h.InTx(ctx, func(q store.Q) error {
		for _, w := range words {
			var depth sql.NullInt64
			var oldest sql.NullFloat64
			if w.OutboxDepth != nil {
				depth = sql.NullInt64{Int64: *w.OutboxDepth, Valid: true}
			}
			if w.OldestUnackedS != nil {
				oldest = sql.NullFloat64{Float64: *w.OldestUnackedS, Valid: true}
			}
			_, err := q.Exec(ctx, `INSERT INTO edge_liveness (edge_id, seen_at, commit_at, status_at, status, version, started_at, outbox_depth, oldest_unacked_s)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (edge_id) DO UPDATE SET
				  seen_at = CASE WHEN excluded.seen_at > edge_liveness.seen_at THEN excluded.seen_at ELSE edge_liveness.seen_at END,
				  commit_at = CASE WHEN excluded.commit_at > edge_liveness.commit_at THEN excluded.commit_at ELSE edge_liveness.commit_at END,
				  status = CASE WHEN excluded.status_at > edge_liveness.status_at THEN excluded.status ELSE edge_liveness.status END,
				  version = CASE WHEN excluded.status_at > edge_liveness.status_at AND excluded.version <> '' THEN excluded.version ELSE edge_liveness.version END,
				  started_at = CASE WHEN excluded.status_at > edge_liveness.status_at AND excluded.started_at <> 0 THEN excluded.started_at ELSE edge_liveness.started_at END,
				  outbox_depth = CASE WHEN excluded.status_at > edge_liveness.status_at THEN excluded.outbox_depth ELSE edge_liveness.outbox_depth END,
				  oldest_unacked_s = CASE WHEN excluded.status_at > edge_liveness.status_at THEN excluded.oldest_unacked_s ELSE edge_liveness.oldest_unacked_s END,
				  status_at = CASE WHEN excluded.status_at > edge_liveness.status_at THEN excluded.status_at ELSE edge_liveness.status_at END`,
				w.Edge, nanos(w.SeenAt), nanos(w.CommitAt), nanos(w.StatusAt), w.Status, w.Version, nanos(w.StartedAt), depth, oldest)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ReadLiveness is every edge's stored word.
func (s *Store) ReadLiveness(ctx context.Context) ([]liveness.Word, error) {
	rows, err := s.h.Read().Query(ctx, `SELECT edge_id, seen_at, commit_at, status_at, status, version, started_at, outbox_depth, oldest_unacked_s FROM edge_liveness`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []liveness.Word
	for rows.Next() {
		var w liveness.Word
		var seen, commit, statusAt, started int64
		var depth sql.NullInt64
		var oldest sql.NullFloat64
		if err := rows.Scan(&w.Edge, &seen, &commit, &statusAt, &w.Status, &w.Version, &started, &depth, &oldest); err != nil {
			return nil, err
		}
		w.SeenAt, w.CommitAt, w.StatusAt, w.StartedAt = fromNanos(seen), fromNanos(commit), fromNanos(statusAt), fromNanos(started)
		if depth.Valid {
			d := depth.Int64
			w.OutboxDepth = &d
		}
		if oldest.Valid {
			o := oldest.Float64
			w.OldestUnackedS = &o
		}
		out = append(out, w)
	}
	return out, rows.Err()
}
