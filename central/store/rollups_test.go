package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/edge/wire"
)

// readRollups: the count rollups of L1 as "minutes from t0/work order" →
// {good, reject, events}, and the state rollups as "minutes from t0/state"
// → seconds; rows at zero are left out.
func readRollups(t *testing.T, s *Store) (map[string][3]int64, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	counts, states := map[string][3]int64{}, map[string]int64{}
	err := s.each(ctx, `SELECT bucket, work_order_id, good, reject, events FROM count_rollups WHERE line_id = 'L1'`, nil, func(r *sql.Rows) error {
		var b int64
		var wo string
		var n [3]int64
		if err := r.Scan(&b, &wo, &n[0], &n[1], &n[2]); err != nil {
			return err
		}
		if n != [3]int64{} {
			counts[fmt.Sprintf("%d/%s", (b-nanos(t0))/int64(time.Minute), wo)] = n
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.each(ctx, `SELECT bucket, state, duration_ns FROM state_rollups WHERE line_id = 'L1'`, nil, func(r *sql.Rows) error {
		var b, d int64
		var st string
		if err := r.Scan(&b, &st, &d); err != nil {
			return err
		}
		if d != 0 {
			states[fmt.Sprintf("%d/%s", (b-nanos(t0))/int64(time.Minute), st)] += d / int64(time.Second)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts, states
}

func sameMap[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestRollupsAtIngest: counts and state time roll up into 15-minute buckets
// as the events are stored; a resent batch adds nothing; a state arriving
// late, between two stored ones, moves the time after it to its own state;
// the rollups equal a rebuild from the stored events.
func TestRollupsAtIngest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		fixture(t, s) // WO-1 runs on L1 from t0 (06:00)
		ctx := context.Background()
		m := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
		apply := func(b wire.Batch, want int) {
			t.Helper()
			n, err := s.ApplyBatch(ctx, b)
			if err != nil || n != want {
				t.Fatalf("apply: %d new, %v; want %d", n, err, want)
			}
		}
		first := batch(state(1, m(0), wire.StateRunning), count(2, m(1), 5, 0), count(3, m(20), 3, 1),
			state(4, m(30), wire.StateDown), count(5, m(31), 2, 0))
		apply(first, 5)
		apply(first, 0)
		counts, states := readRollups(t, s)
		if want := map[string][3]int64{"0/WO-1": {5, 0, 1}, "15/WO-1": {3, 1, 1}, "30/WO-1": {2, 0, 1}}; !sameMap(counts, want) {
			t.Errorf("count rollups %v, want %v", counts, want)
		}
		if want := map[string]int64{"0/running": 900, "15/running": 900}; !sameMap(states, want) {
			t.Errorf("state rollups %v, want %v (down since 06:30 is still open)", states, want)
		}

		late := batch(state(6, m(10), wire.StateIdle))
		apply(late, 1)
		apply(batch(state(7, m(45), wire.StateRunning)), 1)
		apply(late, 0)
		counts, states = readRollups(t, s)
		if want := map[string]int64{"0/running": 600, "0/idle": 300, "15/idle": 900, "30/down": 900}; !sameMap(states, want) {
			t.Errorf("state rollups after a late idle at 06:10 %v, want %v", states, want)
		}
		if len(counts) != 3 {
			t.Errorf("count rollups changed with states: %v", counts)
		}

		// A rebuild from the events gives the same.
		if _, err := s.db.ExecContext(ctx, `DELETE FROM state_rollups`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.ExecContext(ctx, `DELETE FROM rollup_rebuilds`); err != nil {
			t.Fatal(err)
		}
		if err := s.rebuildStateRollups(ctx); err != nil {
			t.Fatal(err)
		}
		if _, again := readRollups(t, s); !sameMap(again, states) {
			t.Errorf("rebuilt state rollups %v, maintained %v", again, states)
		}
	})
}

// TestRolledFactsEqualRaw: a day with a shift off the bucket grid (06:10 to
// 14:10), a changeover and its startup window, stops and rejects, seen at a
// "now" inside a bucket: OEE from the rollups equals OEE from the events,
// figure for figure, and the rollups carried most of the counts.
func TestRolledFactsEqualRaw(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		fixture(t, s)
		ctx := context.Background()
		m := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
		var evs []wire.Event
		seq := uint64(0)
		for _, st := range []struct {
			at    int
			state string
		}{{0, wire.StateRunning}, {62, "setup"}, {80, wire.StateRunning}, {185, wire.StateDown}, {220, wire.StateRunning},
			{360, wire.StateIdle}, {367, wire.StateRunning}} {
			seq++
			evs = append(evs, state(seq, m(st.at), st.state))
		}
		for at := time.Duration(0); at < 9*time.Hour; at += 37 * time.Second {
			seq++
			var reject int64
			if seq%11 == 0 {
				reject = 1
			}
			evs = append(evs, count(seq, t0.Add(at), 1, reject))
		}
		for from := 0; from < len(evs); from += 200 {
			if _, err := s.ApplyBatch(ctx, batch(evs[from:min(from+200, len(evs))]...)); err != nil {
				t.Fatal(err)
			}
		}
		in := oee.Input{From: t0, To: m(12 * 60), Now: m(7*60 + 33).Add(20 * time.Second),
			Shifts: []oee.Window{{Start: m(10), End: m(8*60 + 10)}}}
		raw, err := s.OEEFacts(ctx, "L1", in.From, in.To)
		if err != nil {
			t.Fatal(err)
		}
		rolled, err := s.OEEFactsRolled(ctx, "L1", in.From, in.To, func(st []oee.StateChange) []oee.Window {
			x := in
			x.States = st
			return oee.ExactWindows(x)
		})
		if err != nil {
			t.Fatal(err)
		}
		compute := func(f oee.Facts) string {
			x := in
			x.States, x.Counts, x.Runs, x.IdealCycle = f.States, f.Counts, f.Runs, f.IdealCycle
			b, err := json.Marshal(oee.Compute(x))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		a, b := compute(raw), compute(rolled)
		if a != b {
			t.Errorf("OEE from the events:\n%s\nfrom the rollups:\n%s", a, b)
		}
		if len(rolled.Counts)*3 > len(raw.Counts) {
			t.Errorf("the rollups carried few counts: %d rows for %d events", len(rolled.Counts), len(raw.Counts))
		}
		var r oee.Result
		if err := json.Unmarshal([]byte(b), &r); err != nil || r.Produced == 0 || r.Reject == 0 || r.OEE == nil {
			t.Errorf("no figures: %s", b)
		}
	})
}

// TestRollupsMigration: events stored before migration 0460 are rolled up
// by it (counts) and at the first open after it (states), as ingest would
// have rolled them up.
func TestRollupsMigration(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		m := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
		evs := batch(state(1, m(0), wire.StateRunning), count(2, m(1), 5, 0), count(3, m(20), 3, 1),
			state(4, m(30), wire.StateDown), count(5, m(31), 2, 0), state(6, m(10), wire.StateIdle), state(7, m(45), wire.StateRunning))
		old, err := open(ctx, db.driver, db.dsn, 324)
		if err != nil {
			t.Fatal(err)
		}
		fixture(t, old)
		if _, err := old.ApplyBatch(ctx, evs); err != nil {
			t.Fatal(err)
		}
		old.Close()
		s := db.open(t)
		counts, states := readRollups(t, s)
		if want := map[string][3]int64{"0/WO-1": {5, 0, 1}, "15/WO-1": {3, 1, 1}, "30/WO-1": {2, 0, 1}}; !sameMap(counts, want) {
			t.Errorf("count rollups %v, want %v", counts, want)
		}
		if want := map[string]int64{"0/running": 600, "0/idle": 300, "15/idle": 900, "30/down": 900}; !sameMap(states, want) {
			t.Errorf("state rollups %v, want %v", states, want)
		}
	})
}
