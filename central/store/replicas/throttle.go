// Package replicas keeps in the database what several central replicas on
// one PostgreSQL must share and a single central kept in memory: sign-in
// throttling counts (throttle.Backend) and the edges' latest word
// (liveness). It works through the store's shared handle and must never
// hold state of its own that another replica would need.
package replicas

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/throttle"
)

var _ throttle.Backend = (*Store)(nil)

// Store is the shared state over one database handle.
type Store struct{ h store.Handle }

// New works through h.
func New(h store.Handle) *Store { return &Store{h: h} }

// lockKey serialises one throttle key's transactions across replicas on
// PostgreSQL (SQLite has one writer anyway), so two replicas counting the
// fifth failure at once start one lockout, not two.
func (s *Store) lockKey(ctx context.Context, q store.Q, kind, id string) error {
	if !s.h.Postgres() {
		return nil
	}
	_, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext(? || ':' || ?))`, kind, id)
	return err
}

// ThrottleLockedUntil implements throttle.Backend.
func (s *Store) ThrottleLockedUntil(ctx context.Context, kind, id string) (time.Time, error) {
	var until int64
	err := s.h.Read().QueryRow(ctx, `SELECT until FROM throttle_lockouts WHERE kind = ? AND id = ?`, kind, id).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return store.FromNanos(until), nil
}

// ThrottleFail implements throttle.Backend.
func (s *Store) ThrottleFail(ctx context.Context, kind, id string, now, since time.Time, max int, until time.Time) (failures int, locked bool, err error) {
	err = s.h.InTx(ctx, func(q store.Q) error {
		failures, locked = 0, false
		if err := s.lockKey(ctx, q, kind, id); err != nil {
			return err
		}
		var lockedUntil int64
		err := q.QueryRow(ctx, `SELECT until FROM throttle_lockouts WHERE kind = ? AND id = ?`, kind, id).Scan(&lockedUntil)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && store.Nanos(now) < lockedUntil {
			return nil // already locked out: not counted again
		}
		if _, err := q.Exec(ctx, `DELETE FROM throttle_failures WHERE kind = ? AND id = ? AND at <= ?`, kind, id, store.Nanos(since)); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `INSERT INTO throttle_failures (kind, id, at) VALUES (?, ?, ?)`, kind, id, store.Nanos(now)); err != nil {
			return err
		}
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM throttle_failures WHERE kind = ? AND id = ?`, kind, id).Scan(&failures); err != nil {
			return err
		}
		if failures < max {
			return nil
		}
		locked = true
		if _, err := q.Exec(ctx, `DELETE FROM throttle_failures WHERE kind = ? AND id = ?`, kind, id); err != nil {
			return err
		}
		_, err = q.Exec(ctx, `INSERT INTO throttle_lockouts (kind, id, until) VALUES (?, ?, ?)
			ON CONFLICT (kind, id) DO UPDATE SET until = excluded.until`, kind, id, store.Nanos(until))
		return err
	})
	return failures, locked, err
}

// ThrottleForget implements throttle.Backend.
func (s *Store) ThrottleForget(ctx context.Context, kind, id string, now time.Time) error {
	return s.h.InTx(ctx, func(q store.Q) error {
		if err := s.lockKey(ctx, q, kind, id); err != nil {
			return err
		}
		var lockedUntil int64
		err := q.QueryRow(ctx, `SELECT until FROM throttle_lockouts WHERE kind = ? AND id = ?`, kind, id).Scan(&lockedUntil)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && store.Nanos(now) < lockedUntil {
			return nil // a lockout in force stays
		}
		if _, err := q.Exec(ctx, `DELETE FROM throttle_lockouts WHERE kind = ? AND id = ?`, kind, id); err != nil {
			return err
		}
		_, err = q.Exec(ctx, `DELETE FROM throttle_failures WHERE kind = ? AND id = ?`, kind, id)
		return err
	})
}

// nanos stores a time; the zero time is 0 (never).
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return store.Nanos(t)
}

// fromNanos reads a stored time; 0 is the zero time.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return store.FromNanos(n)
}
