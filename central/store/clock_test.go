package store

import (
	"context"
	"testing"
	"time"
)

// A line's clock skew is what its latest event reports: shown while the
// edge puts an offset on the events, gone when they come without it.
func TestLineClockSkewFromLatestEvent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		fixture(t, s)
		ctx := context.Background()
		skewAt := func() int64 {
			t.Helper()
			ls, err := s.ListLines(ctx)
			if err != nil || len(ls) != 1 {
				t.Fatalf("lines %+v, %v", ls, err)
			}
			return ls[0].ClockSkewMS
		}
		if got := skewAt(); got != 0 {
			t.Fatalf("skew %d before any event", got)
		}
		a, b := count(1, t0.Add(time.Second), 1, 0), count(2, t0.Add(2*time.Second), 1, 0)
		a.ClockOffsetMS, b.ClockOffsetMS = 600_000, 600_100
		if _, err := s.ApplyBatch(ctx, batch(a, b)); err != nil {
			t.Fatal(err)
		}
		if got := skewAt(); got != 600_100 {
			t.Fatalf("skew %d, want the latest event's 600100", got)
		}
		if _, err := s.ApplyBatch(ctx, batch(count(3, t0.Add(3*time.Second), 1, 0))); err != nil {
			t.Fatal(err)
		}
		if got := skewAt(); got != 0 {
			t.Fatalf("skew %d after an event without an offset", got)
		}
	})
}
