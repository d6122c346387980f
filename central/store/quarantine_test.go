package store

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

func openQuarantined(t *testing.T, s *Store, line string) []domain.Exception {
	t.Helper()
	xs, err := s.ListExceptions(context.Background(), domain.ExceptionFilter{Line: line,
		Kind: []domain.ExceptionKind{domain.ExceptionQuarantinedEvent}, Status: []domain.ExceptionStatus{domain.ExceptionOpen}})
	if err != nil {
		t.Fatal(err)
	}
	return xs
}

// TestQuarantineKeepsRefusedEventsOnce: refused events are kept with their
// reason, a resend keeps nothing twice, one exception per line counts the
// occurrences, and no count moves.
func TestQuarantineKeepsRefusedEventsOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		s := db.open(t)
		fixture(t, s)
		if _, err := s.ApplyBatch(ctx, batch(count(1, t0.Add(time.Minute), 7, 1))); err != nil {
			t.Fatal(err)
		}
		ref := func(seq uint64, line, reason string) wire.Refused {
			return wire.Refused{Seq: seq, Line: line, Type: wire.TypeCount, SourceTime: t0.Add(time.Minute), Reason: reason,
				Raw: []byte(`{"seq":` + string(rune('0'+seq)) + `}`)}
		}
		first := []wire.Refused{ref(2, "L1", "count: above the ceiling"), ref(3, "L1", "ts: outside"), ref(4, "", "line: missing")}
		for i, want := range []int{3, 0} { // the second time is the edge resending
			n, err := s.Quarantine(ctx, "e1", first)
			if err != nil || n != want {
				t.Fatalf("Quarantine #%d = %d, %v; want %d new", i+1, n, err, want)
			}
		}
		xs := openQuarantined(t, s, "L1")
		if len(xs) != 1 || xs[0].Occurrences != 2 || !strings.Contains(xs[0].Detail, "ts: outside") || xs[0].Severity != domain.SeverityWarning {
			t.Fatalf("exceptions after first = %+v", xs)
		}
		if _, err := s.Quarantine(ctx, "e1", []wire.Refused{ref(5, "L1", "count: negative")}); err != nil {
			t.Fatal(err)
		}
		xs = openQuarantined(t, s, "L1")
		if len(xs) != 1 || xs[0].Occurrences != 3 || !strings.Contains(xs[0].Detail, "count: negative") {
			t.Fatalf("exceptions after second = %+v", xs)
		}
		all, err := s.ListQuarantine(ctx, domain.QuarantineFilter{})
		if err != nil || len(all) != 4 {
			t.Fatalf("ListQuarantine = %d, %v", len(all), err)
		}
		l1, err := s.ListQuarantine(ctx, domain.QuarantineFilter{Line: "L1", Edge: "e1", Limit: 2, Offset: 1})
		if err != nil || len(l1) != 2 {
			t.Fatalf("page = %+v, %v", l1, err)
		}
		if q := l1[0]; q.EdgeID != "e1" || q.Line != "L1" || q.Reason == "" || q.Raw == "" || q.SourceTime == nil || q.Origin != "ingest" {
			t.Errorf("quarantined = %+v", q)
		}
		if none, _ := s.ListQuarantine(ctx, domain.QuarantineFilter{Edge: "e2"}); len(none) != 0 {
			t.Errorf("edge filter: %+v", none)
		}
		wo, err := s.GetWorkOrder(ctx, "WO-1")
		if err != nil || wo.Good != 7 || wo.Reject != 1 {
			t.Fatalf("work order after quarantine = %+v, %v; want 7 good 1 reject", wo, err)
		}
	})
}

// TestCountsCannotTurnImpossible: even past the bounds (ApplyBatch called
// without Screen), the schema refuses a count that is not a non-negative
// integer: the batch fails whole instead of storing REAL or a wrapped value.
func TestCountsCannotTurnImpossible(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		s := db.open(t)
		fixture(t, s)
		if _, err := s.ApplyBatch(ctx, batch(count(1, t0.Add(time.Minute), 7, 0))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApplyBatch(ctx, batch(count(2, t0.Add(2*time.Minute), math.MaxInt64, 0))); err == nil {
			t.Fatal("a count overflowing the work order's good was stored")
		}
		for _, q := range []string{`UPDATE work_orders SET good = 1e19 WHERE id = 'WO-1'`, `UPDATE work_orders SET reject = -1 WHERE id = 'WO-1'`,
			`INSERT INTO unattributed_counts (line_id, good, reject) VALUES ('L7', -3, 0)`} {
			if _, err := s.db.ExecContext(ctx, q); err == nil {
				t.Errorf("%s: accepted", q)
			}
		}
		wo, err := s.GetWorkOrder(ctx, "WO-1")
		if err != nil || wo.Good != 7 {
			t.Fatalf("work order = %+v, %v; want 7 good", wo, err)
		}
		if _, err := s.ListLines(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestQuarantineMigrationRepairs builds a database the way a version
// before 0260 let it become: a count of 2^63-1 next to a small one in one
// batch wrapped the work order's good negative (both databases), and on
// SQLite a second huge count on a line's unattributed counts turned the
// column REAL, after which every read of the lines failed. The migration
// moves the impossible events into quarantine, recomputes the counts from
// the events that remain, raises one exception per line, and the reads
// behind /api/v1/lines, /api/v1/orders and the exports work again.
func TestQuarantineMigrationRepairs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		// Every migration but 0260: the columns today's code writes exist,
		// and nothing yet refuses an impossible count.
		old, err := openOpts(ctx, db.driver, db.dsn, 0, Options{skipMigration: 260})
		if err != nil {
			t.Fatal(err)
		}
		fixture(t, old)
		must := func(err error) {
			t.Helper()
			if err != nil {
				old.Close()
				t.Fatal(err)
			}
		}
		must(old.CreateLine(ctx, domain.Line{ID: "L2", Name: "Line 2"}))
		at := t0.Add(time.Minute)
		l2 := func(seq uint64, good int64) wire.Event {
			e := count(seq, at, good, 0)
			e.Line = "L2"
			return e
		}
		for _, b := range []wire.Batch{
			batch(count(1, at, 5, 1)),
			batch(count(2, at, math.MaxInt64, 0), count(3, at, 2, 0)), // wraps WO-1 negative
			batch(count(4, at, 3, 0)),
			batch(l2(5, math.MaxInt64)),
		} {
			_, err := old.ApplyBatch(ctx, b)
			must(err)
		}
		_, err = old.RecordScrap(ctx, "WO-1", 4, "dropped", domain.Actor{Name: "op", Role: domain.RoleOperator})
		must(err)
		wo, err := old.GetWorkOrder(ctx, "WO-1")
		must(err)
		if wo.Good >= 0 {
			old.Close()
			t.Fatalf("the old version did not wrap: good %d", wo.Good)
		}
		wantL2 := int64(0)
		if !db.postgres() {
			// SQLite: the sum overflows into REAL, and the lines cannot be read.
			_, err := old.ApplyBatch(ctx, batch(l2(6, 1)))
			must(err)
			wantL2 = 1
			if _, err := old.ListLines(ctx); err == nil {
				old.Close()
				t.Fatal("the old version read a REAL count; the repair would be untested")
			}
		}
		old.Close()

		s := db.open(t)
		wo, err = s.GetWorkOrder(ctx, "WO-1")
		if err != nil || wo.Good != 10 || wo.Reject != 5 {
			t.Fatalf("WO-1 after repair = %+v, %v; want 10 good (5+2+3), 5 reject (1 counted + 4 scrapped)", wo, err)
		}
		lines, err := s.ListLines(ctx)
		if err != nil {
			t.Fatalf("lines after repair: %v", err)
		}
		for _, l := range lines {
			if l.ID == "L2" && l.UnattributedGood != wantL2 {
				t.Errorf("L2 unattributed good = %d, want %d", l.UnattributedGood, wantL2)
			}
		}
		if _, err := s.ListOrders(ctx); err != nil {
			t.Fatalf("orders after repair: %v", err)
		}
		if _, err := s.SearchOrderDetails(ctx, domain.OrderFilter{}); err != nil {
			t.Fatalf("exports after repair: %v", err)
		}
		q, err := s.ListQuarantine(ctx, domain.QuarantineFilter{})
		if err != nil || len(q) != 2 {
			t.Fatalf("quarantine = %+v, %v; want seqs 2 and 5", q, err)
		}
		seqs := map[uint64]domain.QuarantinedEvent{q[0].Seq: q[0], q[1].Seq: q[1]}
		if seqs[2].WorkOrder != "WO-1" || seqs[5].Line != "L2" || seqs[5].WorkOrder != "" || seqs[2].Origin != "migration" ||
			!strings.Contains(seqs[2].Raw, "9223372036854775807") {
			t.Errorf("quarantined rows = %+v", q)
		}
		for _, line := range []string{"L1", "L2"} {
			if xs := openQuarantined(t, s, line); len(xs) != 1 || !strings.Contains(xs[0].Detail, "migration 0260") {
				t.Errorf("%s: exceptions %+v", line, xs)
			}
		}
		// Counting goes on from the repaired values.
		if _, err := s.ApplyBatch(ctx, batch(count(7, at, 2, 0))); err != nil {
			t.Fatal(err)
		}
		if wo, _ := s.GetWorkOrder(ctx, "WO-1"); wo.Good != 12 {
			t.Errorf("WO-1 after a new count = %d, want 12", wo.Good)
		}
	})
}
