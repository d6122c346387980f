package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/linewise/linewise/central/oee"
)

var _ oee.RollupSource = (*Store)(nil)

// OEEFactsRolled is OEEFacts with the counts of whole buckets read from the
// count rollups, except the buckets that a window of exact (asked with the
// period's states) touches and the partial buckets at from and to: those
// are read from the events, each count at its own time. A rolled bucket's
// counts are at the bucket's start, one per work order.
func (s *Store) OEEFactsRolled(ctx context.Context, line string, from, to time.Time, exact func([]oee.StateChange) []oee.Window) (oee.Facts, error) {
	f := oee.Facts{IdealCycle: map[string]time.Duration{}}
	fail := func(what string, err error) (oee.Facts, error) {
		return oee.Facts{}, fmt.Errorf("store: oee of line %s: %s: %w", line, what, err)
	}
	states, err := s.oeeStates(ctx, line, from, to)
	if err != nil {
		return fail("states", err)
	}
	f.States = states
	lo, hi := nanos(from), nanos(to)
	raw := rawRanges(lo, hi, exact(states))
	for _, r := range raw {
		cs, err := s.rawCounts(ctx, line, fromNanos(r[0]), fromNanos(r[1]))
		if err != nil {
			return fail("counts", err)
		}
		f.Counts = append(f.Counts, cs...)
	}
	first, last := bucketOf(lo), bucketOf(hi) // whole buckets: first (if lo is its edge) up to, not with, last
	if first < lo {
		first += bucketNS
	}
	isRaw := func(b int64) bool {
		i := sort.Search(len(raw), func(i int) bool { return raw[i][1] > b })
		return i < len(raw) && raw[i][0] < b+bucketNS
	}
	if err := s.each(ctx, `SELECT r.bucket, r.good, r.reject, r.work_order_id, COALESCE(w.order_number, ''), r.product_code
		FROM count_rollups r LEFT JOIN work_orders w ON w.id = r.work_order_id
		WHERE r.line_id = ? AND r.bucket >= ? AND r.bucket < ? AND (r.good <> 0 OR r.reject <> 0)
		ORDER BY r.bucket, r.work_order_id`, []any{line, first, last}, func(r *sql.Rows) error {
		var b int64
		var c oee.Count
		if err := r.Scan(&b, &c.Good, &c.Reject, &c.WorkOrder, &c.Order, &c.Product); err != nil {
			return err
		}
		if isRaw(b) {
			return nil
		}
		c.At = fromNanos(b)
		f.Counts = append(f.Counts, c)
		return nil
	}); err != nil {
		return fail("count rollups", err)
	}
	return s.oeeRest(ctx, line, from, to, f, map[string]bool{})
}

// rawRanges are the merged ranges of [lo, hi) to read from the events: the
// partial buckets at lo and hi and every bucket a window touches (an
// instant only if it is inside a bucket, not on its edge).
func rawRanges(lo, hi int64, ws []oee.Window) [][2]int64 {
	var rs [][2]int64
	add := func(a, b int64) {
		a, b = max(a, lo), min(b, hi)
		if b > a {
			rs = append(rs, [2]int64{a, b})
		}
	}
	for _, t := range []int64{lo, hi} {
		if b := bucketOf(t); b != t {
			add(b, b+bucketNS)
		}
	}
	for _, w := range ws {
		a, b := nanos(w.Start), nanos(w.End)
		if a == b {
			if k := bucketOf(a); k != a {
				add(k, k+bucketNS)
			}
			continue
		}
		end := bucketOf(b)
		if end < b {
			end += bucketNS
		}
		add(bucketOf(a), end)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
	var out [][2]int64
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}
