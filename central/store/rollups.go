package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/linewise/linewise/edge/wire"
)

// RollupBucket is the width of a rollup bucket (migration 0460): 15 minutes
// of source time from the Unix epoch. Every plant time zone's offset is a
// whole quarter hour, so shift and day edges on HH:00, :15, :30 and :45 are
// bucket edges and a shift or day reads whole buckets; a day of one line is
// 96 rows per work order, a year about 35,000, where one-minute buckets
// would make a year 525,000 and a 50-line daily report 72,000. Finer edges
// (a shift at 06:10, a changeover's startup window, "now") are read from the
// raw events of the buckets they cut (see CountsRolled).
const RollupBucket = 15 * time.Minute

const bucketNS = int64(RollupBucket)

// stateRollupLockKey is the advisory lock of the one-off rebuild.
const stateRollupLockKey = 0x5352 // "SR"

// bucketOf is the start of the bucket holding ns.
func bucketOf(ns int64) int64 {
	b := ns / bucketNS * bucketNS
	if b > ns {
		b -= bucketNS
	}
	return b
}

// countKey is a count rollup row.
type countKey struct {
	line, wo string
	bucket   int64
}

// countDelta is what a rollup row gains (or, re-attributed, loses).
type countDelta struct {
	product             string
	good, reject, count int64
}

// addCountRollups adds deltas to the count rollups in tx, rows in key order
// (so two transactions lock them alike).
func (s *Store) addCountRollups(ctx context.Context, tx *sql.Tx, deltas map[countKey]*countDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	keys := make([]countKey, 0, len(deltas))
	for k, d := range deltas {
		if d.good != 0 || d.reject != 0 || d.count != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b countKey) int {
		if c := strings.Compare(a.line, b.line); c != 0 {
			return c
		}
		if a.bucket != b.bucket {
			if a.bucket < b.bucket {
				return -1
			}
			return 1
		}
		return strings.Compare(a.wo, b.wo)
	})
	for from := 0; from < len(keys); from += 128 {
		to := min(from+128, len(keys))
		var q strings.Builder
		q.WriteString(`INSERT INTO count_rollups (line_id, bucket, work_order_id, product_code, good, reject, events) VALUES `)
		args := make([]any, 0, 7*(to-from))
		for i, k := range keys[from:to] {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			d := deltas[k]
			args = append(args, k.line, k.bucket, k.wo, d.product, d.good, d.reject, d.count)
		}
		q.WriteString(` ON CONFLICT (line_id, bucket, work_order_id) DO UPDATE SET good = count_rollups.good + excluded.good,
			reject = count_rollups.reject + excluded.reject, events = count_rollups.events + excluded.events`)
		if _, err := tx.ExecContext(ctx, s.q(q.String()), args...); err != nil {
			return fmt.Errorf("count rollups: %w", err)
		}
	}
	return nil
}

// productsOf is the product of each work order in ids ("" for none).
// A work order's product never changes, so it is cached.
func (s *Store) productsOf(ctx context.Context, tx *sql.Tx, ids map[string]bool) (map[string]string, error) {
	out := map[string]string{}
	args := make([]any, 0, len(ids))
	for id := range ids {
		if p, ok := s.woProducts.Load(id); ok {
			out[id] = p.(string)
			continue
		}
		args = append(args, id)
	}
	if len(args) == 0 {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT w.id, o.product_code FROM work_orders w JOIN orders o ON o.number = w.order_number
		WHERE w.id IN (?`+strings.Repeat(", ?", len(args)-1)+`)`), args...)
	if err != nil {
		return nil, fmt.Errorf("products of work orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, p string
		if err := rows.Scan(&id, &p); err != nil {
			return nil, err
		}
		out[id] = p
		s.woProducts.Store(id, p)
	}
	return out, rows.Err()
}

// rollCounts adds the stored count events of a batch to the count rollups.
func (s *Store) rollCounts(ctx context.Context, tx *sql.Tx, evs []wire.Event, wos []sql.NullString, stored []bool) error {
	deltas := map[countKey]*countDelta{}
	ids := map[string]bool{}
	for i := range evs {
		ev := &evs[i]
		if !stored[i] || ev.Type != wire.TypeCount || ev.Count == nil {
			continue
		}
		k := countKey{line: ev.Line, wo: wos[i].String, bucket: bucketOf(nanos(ev.SourceTime))}
		d := deltas[k]
		if d == nil {
			d = &countDelta{}
			deltas[k] = d
			if k.wo != "" {
				ids[k.wo] = true
			}
		}
		d.good += ev.Count.Good
		d.reject += ev.Count.Reject
		d.count++
	}
	products, err := s.productsOf(ctx, tx, ids)
	if err != nil {
		return err
	}
	for k, d := range deltas {
		d.product = products[k.wo]
	}
	return s.addCountRollups(ctx, tx, deltas)
}

// stateRow is a stored state event in the line's order of states.
type stateRow struct {
	edge          string
	seq           int64
	at            int64
	state, reason string
}

type stateKey struct {
	line          string
	bucket        int64
	state, reason string
}

// spread adds sign × the interval [from, to) of state to deltas, cut into
// buckets.
func spread(deltas map[stateKey]int64, line string, from, to int64, state, reason string, sign int64) {
	for b := bucketOf(from); b < to; b += bucketNS {
		lo, hi := max(from, b), min(to, b+bucketNS)
		if hi > lo {
			deltas[stateKey{line, b, state, reason}] += sign * (hi - lo)
		}
	}
}

// closed adds sign × the closed intervals of the ordered states (each to
// the next; the last is open) to deltas.
func closed(deltas map[stateKey]int64, line string, rows []stateRow, sign int64) {
	for i := 0; i+1 < len(rows); i++ {
		spread(deltas, line, rows[i].at, rows[i+1].at, rows[i].state, rows[i].reason, sign)
	}
}

// rollStates brings line's state rollups up to date with the state events
// of keys, just stored by tx: it reads the line's states from the last one
// before the earliest of them to the first one after the latest, and adds
// the closed intervals they make minus those the same states made without
// the new ones. On PostgreSQL the caller holds the line's runs lock
// alone (ingest.go), so no other replica's states are in flight. An event arriving late, between two stored states, thus
// moves the time after it from the state before to its own.
func (s *Store) rollStates(ctx context.Context, tx *sql.Tx, line string, keys map[eventKey]bool, lo, hi int64) error {
	all, err := s.statesAround(ctx, tx, line, lo, hi)
	if err != nil {
		return err
	}
	old := make([]stateRow, 0, len(all))
	for _, r := range all {
		if !keys[eventKey{r.edge, r.seq}] {
			old = append(old, r)
		}
	}
	deltas := map[stateKey]int64{}
	closed(deltas, line, all, +1)
	closed(deltas, line, old, -1)
	return s.addStateRollups(ctx, tx, deltas)
}

// statesAround reads line's state events with a source time in [lo, hi],
// with the last one before and the first one after, in order.
func (s *Store) statesAround(ctx context.Context, tx *sql.Tx, line string, lo, hi int64) ([]stateRow, error) {
	cols := `SELECT e.edge_id, e.seq, e.source_time, COALESCE(` + s.jsonField("state", "state") + `, ''), COALESCE(` +
		s.jsonField("state", "reason") + `, '') FROM events e WHERE e.line_id = ? AND e.type = 'state' AND `
	// One statement, three parts: the last before, those in, the first after.
	rows, err := tx.QueryContext(ctx, s.q(`SELECT * FROM (`+cols+`e.source_time < ? ORDER BY e.source_time DESC, e.edge_id DESC, e.seq DESC LIMIT 1) b
		UNION ALL SELECT * FROM (`+cols+`e.source_time >= ? AND e.source_time <= ?) m
		UNION ALL SELECT * FROM (`+cols+`e.source_time > ? ORDER BY e.source_time, e.edge_id, e.seq LIMIT 1) a`),
		line, lo, line, lo, hi, line, hi)
	if err != nil {
		return nil, fmt.Errorf("states of line %s: %w", line, err)
	}
	defer rows.Close()
	var out []stateRow
	for rows.Next() {
		var r stateRow
		if err := rows.Scan(&r.edge, &r.seq, &r.at, &r.state, &r.reason); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b stateRow) int {
		switch {
		case a.at != b.at:
			return cmpInt(a.at, b.at)
		case a.edge != b.edge:
			return strings.Compare(a.edge, b.edge)
		}
		return cmpInt(a.seq, b.seq)
	})
	return out, nil
}

// addStateRollups adds deltas to the state rollups, rows in key order.
func (s *Store) addStateRollups(ctx context.Context, tx *sql.Tx, deltas map[stateKey]int64) error {
	keys := make([]stateKey, 0, len(deltas))
	for k, d := range deltas {
		if d != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b stateKey) int {
		if c := strings.Compare(a.line, b.line); c != 0 {
			return c
		}
		if a.bucket != b.bucket {
			if a.bucket < b.bucket {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.state, b.state); c != 0 {
			return c
		}
		return strings.Compare(a.reason, b.reason)
	})
	for from := 0; from < len(keys); from += 128 {
		to := min(from+128, len(keys))
		var q strings.Builder
		q.WriteString(`INSERT INTO state_rollups (line_id, bucket, state, reason, duration_ns) VALUES `)
		args := make([]any, 0, 5*(to-from))
		for i, k := range keys[from:to] {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, k.line, k.bucket, k.state, k.reason, deltas[k])
		}
		q.WriteString(` ON CONFLICT (line_id, bucket, state, reason) DO UPDATE SET duration_ns = state_rollups.duration_ns + excluded.duration_ns`)
		if _, err := tx.ExecContext(ctx, s.q(q.String()), args...); err != nil {
			return fmt.Errorf("state rollups: %w", err)
		}
	}
	return nil
}

// rollBatchStates rolls up the stored state events of a batch, line by line.
func (s *Store) rollBatchStates(ctx context.Context, tx *sql.Tx, states []*wire.Event) error {
	type span struct {
		keys   map[eventKey]bool
		lo, hi int64
	}
	spans := map[string]*span{}
	var lines []string
	for _, ev := range states {
		ts := nanos(ev.SourceTime)
		sp := spans[ev.Line]
		if sp == nil {
			sp = &span{keys: map[eventKey]bool{}, lo: ts, hi: ts}
			spans[ev.Line] = sp
			lines = append(lines, ev.Line)
		}
		sp.keys[eventKey{ev.EdgeID, int64(ev.Seq)}] = true
		sp.lo, sp.hi = min(sp.lo, ts), max(sp.hi, ts)
	}
	slices.Sort(lines)
	for _, line := range lines {
		sp := spans[line]
		if err := s.rollStates(ctx, tx, line, sp.keys, sp.lo, sp.hi); err != nil {
			return err
		}
	}
	return nil
}

// rebuildStateRollups fills the state rollups from the stored events once,
// after migration 0460 (which rolled up the counts in SQL).
func (s *Store) rebuildStateRollups(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.postgres { // replicas starting together rebuild once
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, stateRollupLockKey); err != nil {
			return fmt.Errorf("store: state rollups: %w", err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rollup_rebuilds WHERE what = 'states'`).Scan(&n); err != nil {
		return fmt.Errorf("store: state rollups: %w", err)
	}
	if n > 0 {
		return nil
	}
	var lines []string
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT line_id FROM events WHERE type = 'state' ORDER BY line_id`)
	if err != nil {
		return fmt.Errorf("store: state rollups: %w", err)
	}
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			rows.Close()
			return err
		}
		lines = append(lines, l)
	}
	rows.Close()
	for _, line := range lines {
		all, err := s.statesAround(ctx, tx, line, -1<<62, 1<<62)
		if err != nil {
			return fmt.Errorf("store: state rollups: %w", err)
		}
		deltas := map[stateKey]int64{}
		closed(deltas, line, all, +1)
		if err := s.addStateRollups(ctx, tx, deltas); err != nil {
			return fmt.Errorf("store: state rollups of line %s: %w", line, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO rollup_rebuilds (what, done_at) VALUES ('states', ?) ON CONFLICT (what) DO NOTHING`),
		nanos(s.now())); err != nil {
		return fmt.Errorf("store: state rollups: %w", err)
	}
	return tx.Commit()
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
