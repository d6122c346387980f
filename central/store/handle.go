package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// Handle is the one shared database handle a domain sub-package of store
// (store/inventory) works through, so its changes commit in the same
// transactions, with the same dialect rules and the same audit log, as the
// rest of central. Queries are written once with '?' placeholders.
type Handle struct{ s *Store }

// Handle returns the shared handle for sub-packages.
func (s *Store) Handle() Handle { return Handle{s: s} }

// Postgres reports whether the database is PostgreSQL.
func (h Handle) Postgres() bool { return h.s.postgres }

// Now is the store's clock.
func (h Handle) Now() time.Time { return h.s.now() }

// Q is a query runner bound to the database or one transaction; it adapts
// '?' placeholders to the database.
type Q struct {
	s *Store
	q dbtx
}

// Exec runs a statement.
func (q Q) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.q.ExecContext(ctx, q.s.q(query), args...)
}

// Query runs a query.
func (q Q) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.q.QueryContext(ctx, q.s.q(query), args...)
}

// QueryRow runs a query of at most one row.
func (q Q) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return q.q.QueryRowContext(ctx, q.s.q(query), args...)
}

// Audit appends an audit entry in q's transaction (see writeAudit).
func (q Q) Audit(ctx context.Context, e domain.AuditEntry) error { return q.s.writeAudit(ctx, q.q, e) }

// Read is a runner outside any transaction, for reads.
func (h Handle) Read() Q { return Q{s: h.s, q: h.s.db} }

// InTx runs fn in one transaction and commits if it returns nil. On
// PostgreSQL a serialization failure or deadlock is retried (up to three
// times) like ingest does; fn must be safe to run again.
func (h Handle) InTx(ctx context.Context, fn func(q Q) error) error {
	for attempt := 1; ; attempt++ {
		err := h.inTxOnce(ctx, fn)
		if err == nil || !h.s.retryable(err) || attempt == 3 || ctx.Err() != nil {
			return err
		}
	}
}

func (h Handle) inTxOnce(ctx context.Context, fn func(q Q) error) error {
	tx, err := h.s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(Q{s: h.s, q: tx}); err != nil {
		return err
	}
	return tx.Commit()
}

// IsUnique reports a primary key or unique violation on either database.
func IsUnique(err error) bool { return isUnique(err) }

// Nanos is how times are stored (UTC unix nanoseconds).
func Nanos(t time.Time) int64 { return nanos(t) }

// NullNanos stores an optional time.
func NullNanos(t *time.Time) sql.NullInt64 { return nullNanos(t) }

// FromNanos reads a stored time.
func FromNanos(n int64) time.Time { return fromNanos(n) }

// FromNull reads an optional stored time.
func FromNull(n sql.NullInt64) *time.Time { return fromNull(n) }

// NotFound wraps a sql.ErrNoRows as domain.ErrNotFound naming what.
func NotFound(what string, err error) error { return notFound(what, err) }

// NewID is a time-ordered unique id (zero-padded nanos + random suffix),
// the same shape as audit ids: ids sort by time.
func NewID(at time.Time) string { return fmt.Sprintf("%019d-%s", at.UnixNano(), randomSuffix()) }

// OrderStatusHook runs inside the transaction that changes an order's
// status (ChangeOrder), after the change is written: materials allocate
// on release and free what is left on close and cancel. An error rolls
// the whole change back.
type OrderStatusHook func(ctx context.Context, q Q, order string, from, to domain.OrderStatus, actor domain.Actor) error

type orderHooks struct {
	mu     sync.RWMutex
	hooks  map[string]OrderStatusHook
	counts map[string]CountHook
	done   map[string]WorkOrderDoneHook
	codes  map[string]ScanCodeHook // scanhook.go
}

// SetOrderStatusHook installs (or, with nil, removes) the hook named name;
// installing it again replaces it, so a sub-package may do it each time it
// is built.
func (h Handle) SetOrderStatusHook(name string, fn OrderStatusHook) {
	hs := h.s.hooks
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.hooks == nil {
		hs.hooks = map[string]OrderStatusHook{}
	}
	if fn == nil {
		delete(hs.hooks, name)
		return
	}
	hs.hooks[name] = fn
}

func (s *Store) runOrderHooks(ctx context.Context, tx *sql.Tx, order string, from, to domain.OrderStatus, actor domain.Actor) error {
	if s.hooks == nil {
		return nil
	}
	s.hooks.mu.RLock()
	names := make([]string, 0, len(s.hooks.hooks))
	for n := range s.hooks.hooks {
		names = append(names, n)
	}
	slices.Sort(names)
	fns := make([]OrderStatusHook, len(names))
	for i, n := range names {
		fns[i] = s.hooks.hooks[n]
	}
	s.hooks.mu.RUnlock()
	for _, fn := range fns {
		if err := fn(ctx, Q{s: s, q: tx}, order, from, to, actor); err != nil {
			return err
		}
	}
	return nil
}

// WorkOrderCount is the good and reject parts one ingest batch added to a
// work order.
type WorkOrderCount struct {
	WorkOrder    string
	Good, Reject int64
	At           time.Time // when the batch was applied
}

// CountHook runs inside the ingest transaction that books counts, after
// the work orders' counts are written: materials backflush there, so a
// redelivered event (deduplicated before) never consumes twice. It must
// not fail for a business reason (that would block the edge's outbox):
// only a database error may end the batch.
type CountHook func(ctx context.Context, q Q, counts []WorkOrderCount) error

// SetCountHook installs (or, with nil, removes) the count hook named name.
func (h Handle) SetCountHook(name string, fn CountHook) {
	hs := h.s.hooks
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.counts == nil {
		hs.counts = map[string]CountHook{}
	}
	if fn == nil {
		delete(hs.counts, name)
		return
	}
	hs.counts[name] = fn
}

func (s *Store) runCountHooks(ctx context.Context, tx *sql.Tx, counts []WorkOrderCount) error {
	if s.hooks == nil || len(counts) == 0 {
		return nil
	}
	s.hooks.mu.RLock()
	names := make([]string, 0, len(s.hooks.counts))
	for n := range s.hooks.counts {
		names = append(names, n)
	}
	slices.Sort(names)
	fns := make([]CountHook, len(names))
	for i, n := range names {
		fns[i] = s.hooks.counts[n]
	}
	s.hooks.mu.RUnlock()
	for _, fn := range fns {
		if err := fn(ctx, Q{s: s, q: tx}, counts); err != nil {
			return err
		}
	}
	return nil
}

// WorkOrderDoneHook runs inside the transaction of an order change that
// completes one of its work orders (the station's complete, a scanned
// completion), after the change is written, once per work order completed:
// materials book the finished-goods lot there. An error rolls the whole
// change back.
type WorkOrderDoneHook func(ctx context.Context, q Q, w domain.WorkOrder, actor domain.Actor) error

// SetWorkOrderDoneHook installs (or, with nil, removes) the hook named name.
func (h Handle) SetWorkOrderDoneHook(name string, fn WorkOrderDoneHook) {
	hs := h.s.hooks
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.done == nil {
		hs.done = map[string]WorkOrderDoneHook{}
	}
	if fn == nil {
		delete(hs.done, name)
		return
	}
	hs.done[name] = fn
}

func (s *Store) runWorkOrderDoneHooks(ctx context.Context, tx *sql.Tx, w domain.WorkOrder, actor domain.Actor) error {
	if s.hooks == nil {
		return nil
	}
	s.hooks.mu.RLock()
	names := make([]string, 0, len(s.hooks.done))
	for n := range s.hooks.done {
		names = append(names, n)
	}
	slices.Sort(names)
	fns := make([]WorkOrderDoneHook, len(names))
	for i, n := range names {
		fns[i] = s.hooks.done[n]
	}
	s.hooks.mu.RUnlock()
	for _, fn := range fns {
		if err := fn(ctx, Q{s: s, q: tx}, w, actor); err != nil {
			return err
		}
	}
	return nil
}

// Settlement is the order's quantity and time settlement computed in q's
// transaction at now (see domain.Settle), for sub-packages that price it.
func (q Q) Settlement(ctx context.Context, number string, now time.Time) (domain.Settlement, error) {
	return q.s.settle(ctx, q.q, number, now)
}
