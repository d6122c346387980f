package store

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// ledger is what the counters say and what the stored events say: good
// and reject per work order and unattributed ("" key), on line L1.
type ledger struct {
	counters, events map[string][2]int64
	rolled           map[string][2]int64 // the count rollups per work order
	attributed       map[int64]string    // seq → work order ("" none), edge e1
}

func readLedger(t *testing.T, s *Store, wos ...string) ledger {
	t.Helper()
	ctx := context.Background()
	l := ledger{counters: map[string][2]int64{}, events: map[string][2]int64{}, rolled: map[string][2]int64{}, attributed: map[int64]string{}}
	rolled, err := s.db.QueryContext(ctx, `SELECT work_order_id, SUM(good), SUM(reject) FROM count_rollups WHERE line_id = 'L1' GROUP BY work_order_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rolled.Next() {
		var wo string
		var n [2]int64
		if err := rolled.Scan(&wo, &n[0], &n[1]); err != nil {
			t.Fatal(err)
		}
		l.rolled[wo] = n
	}
	rolled.Close()
	for _, id := range wos {
		w, err := s.GetWorkOrder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		l.counters[id] = [2]int64{w.Good, w.Reject}
	}
	v := line(t, s, "L1")
	l.counters[""] = [2]int64{v.UnattributedGood, v.UnattributedReject}
	rows, err := s.db.QueryContext(ctx, `SELECT edge_id, seq, type, payload, COALESCE(work_order_id, '') FROM events WHERE line_id = 'L1'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var edge, typ, payload, wo string
		var seq int64
		if err := rows.Scan(&edge, &seq, &typ, &payload, &wo); err != nil {
			t.Fatal(err)
		}
		if edge == "e1" {
			l.attributed[seq] = wo
		}
		var ev wire.Event
		if err := json.Unmarshal([]byte(payload), &ev); err != nil {
			t.Fatal(err)
		}
		if typ == wire.TypeCount && ev.Count != nil {
			n := l.events[wo]
			l.events[wo] = [2]int64{n[0] + ev.Count.Good, n[1] + ev.Count.Reject}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return l
}

// consistent: every counter and every work order's count rollups equal
// the sum of the counts attributed to it.
func (l ledger) consistent(t *testing.T, step string) {
	t.Helper()
	for k, n := range l.events {
		if l.rolled[k] != n {
			t.Errorf("%s: rollups of %q are %v, its events sum to %v", step, k, l.rolled[k], n)
		}
	}
	for k, n := range l.rolled {
		if _, ok := l.events[k]; !ok && n != [2]int64{} {
			t.Errorf("%s: rollups of %q are %v, no event is attributed to it", step, k, n)
		}
	}
	for k, n := range l.counters {
		if l.events[k] != n {
			t.Errorf("%s: counter %q is %v, its events sum to %v", step, k, n, l.events[k])
		}
	}
	for k, n := range l.events {
		if _, ok := l.counters[k]; !ok && n != [2]int64{} {
			t.Errorf("%s: events attributed to %q (%v) but no counter read", step, k, n)
		}
	}
}

// TestStartStopReattribute: starting and stopping a run by hand moves the
// counts already stored from then on, to the run that covers them or to
// the line's unattributed counts, and a second pass moves nothing.
func TestStartStopReattribute(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}))
		must(s.CreateProduct(ctx, domain.Product{Code: "P", Name: "Part", Unit: "pcs", IdealCycle: time.Second}))
		must(s.CreateOrder(ctx, domain.Order{Number: "PO-1", ProductCode: "P", Quantity: 100, Status: domain.StatusReleased}))
		for _, id := range []string{"WO-1", "WO-2"} {
			must(s.CreateWorkOrder(ctx, domain.WorkOrder{ID: id, OrderNumber: "PO-1", OperationSeq: 10, LineID: "L1",
				Barcode: id, Quantity: 100, Status: domain.StatusReleased}))
		}
		at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
		_, err := s.ApplyBatch(ctx, batch(count(1, at(1), 1, 0), count(2, at(2), 2, 0), count(3, at(3), 3, 1),
			count(4, at(4), 4, 0), count(5, at(5), 5, 0), state(6, at(5), wire.StateRunning), count(7, at(6), 6, 2)))
		must(err)
		all := [2]int64{21, 3}
		total := func(l ledger) [2]int64 {
			var n [2]int64
			for _, c := range l.counters {
				n[0], n[1] = n[0]+c[0], n[1]+c[1]
			}
			return n
		}
		step := func(name string, want map[string][2]int64, attributed map[int64]string) ledger {
			t.Helper()
			l := readLedger(t, s, "WO-1", "WO-2")
			l.consistent(t, name)
			if total(l) != all {
				t.Errorf("%s: total %v, want %v", name, total(l), all)
			}
			for k, n := range want {
				if l.counters[k] != n {
					t.Errorf("%s: %q has %v, want %v", name, k, l.counters[k], n)
				}
			}
			for seq, wo := range attributed {
				if l.attributed[seq] != wo {
					t.Errorf("%s: event %d is attributed to %q, want %q", name, seq, l.attributed[seq], wo)
				}
			}
			return l
		}
		step("stored", map[string][2]int64{"": all, "WO-1": {}}, map[int64]string{1: "", 7: ""})

		must(s.StartWorkOrder(ctx, "WO-1", at(2)))
		step("WO-1 started at 2s", map[string][2]int64{"": {1, 0}, "WO-1": {20, 3}},
			map[int64]string{1: "", 2: "WO-1", 6: "WO-1", 7: "WO-1"})

		_, err = s.StopWorkOrderAs(ctx, "WO-1", at(4), domain.Actor{Name: "op", Role: domain.RoleOperator}, "pause")
		must(err)
		step("WO-1 stopped at 4s", map[string][2]int64{"": {16, 2}, "WO-1": {5, 1}},
			map[int64]string{1: "", 3: "WO-1", 4: "", 7: ""})

		_, err = s.StartWorkOrderAs(ctx, "WO-2", at(5), domain.Actor{Name: "op", Role: domain.RoleOperator}, "start")
		must(err)
		want := map[string][2]int64{"": {5, 0}, "WO-1": {5, 1}, "WO-2": {11, 2}}
		before := step("WO-2 started at 5s", want, map[int64]string{4: "", 5: "WO-2", 6: "WO-2", 7: "WO-2"})

		// Again, over the whole line: nothing moves.
		tx, err := s.db.BeginTx(ctx, nil)
		must(err)
		must(s.reattribute(ctx, tx, "L1", 0))
		must(tx.Commit())
		step("again", want, before.attributed)
	})
}

var errRetry = errors.New("not tried yet")

// TestReattributeUnderConcurrentIngest: replicas ingest counts on a line
// while runs on it start and stop at times among those counts. Whatever
// the interleaving, no part is lost or counted twice, and every counter
// equals the sum of the counts attributed to it.
func TestReattributeUnderConcurrentIngest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		fixture(t, s) // WO-1 runs on L1 from t0
		ctx := context.Background()
		replicas := []*Store{s}
		if db.postgres() {
			replicas = append(replicas, db.open(t), db.open(t))
		}
		const batches, per = 30, 5
		var wg sync.WaitGroup
		errs := make(chan error, 2*batches)
		for r := range 2 {
			st := replicas[r%len(replicas)]
			edge := []string{"e1", "e2"}[r]
			wg.Go(func() {
				for i := range batches {
					var evs []wire.Event
					for j := range per {
						seq := uint64(i*per + j + 1)
						evs = append(evs, countEv(edge, seq, t0.Add(time.Duration(seq)*100*time.Millisecond), 1, int64(j%2)))
					}
					if _, err := st.ApplyBatch(ctx, batch(evs...)); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		// Meanwhile, on another replica: pause and resume WO-1, each time a
		// little later, across the span the counts cover.
		st := replicas[len(replicas)-1]
		actor := domain.Actor{Name: "op", Role: domain.RoleOperator}
		wg.Go(func() {
			for i := 1; i <= 2*batches; i++ {
				at := t0.Add(time.Duration(i) * 250 * time.Millisecond)
				err := errRetry
				for try := 0; try < 5 && err != nil && (err == errRetry || st.retryable(err)); try++ {
					if i%2 == 1 {
						_, err = st.StopWorkOrderAs(ctx, "WO-1", at, actor, "pause")
					} else {
						_, err = st.StartWorkOrderAs(ctx, "WO-1", at, actor, "resume")
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		l := readLedger(t, s, "WO-1")
		l.consistent(t, "after")
		// Where each event is, against the run that covers it: ingest takes
		// the line's run lock shared (PostgreSQL), so no batch can read
		// wo_runs before a run change and store its events after the change
		// has looked for them.
		var misplaced int
		err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events e
			WHERE COALESCE(e.work_order_id, '') <> COALESCE((SELECT r.work_order_id FROM wo_runs r
				WHERE r.line_id = e.line_id AND r.started_at <= e.source_time AND (r.ended_at IS NULL OR e.source_time < r.ended_at)
				ORDER BY r.started_at DESC LIMIT 1), '')`).Scan(&misplaced)
		switch {
		case err != nil:
			t.Fatal(err)
		case misplaced > 0:
			t.Errorf("%d events are not attributed to the run that covers them", misplaced)
		}
		var n [2]int64
		for _, c := range l.counters {
			n[0], n[1] = n[0]+c[0], n[1]+c[1]
		}
		if want := [2]int64{2 * batches * per, 2 * batches * (per / 2)}; n != want {
			t.Errorf("total %v, want %v", n, want)
		}
	})
}
