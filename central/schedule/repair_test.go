package schedule_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/linewise/linewise/central/schedule"
)

// twoLinePlant: orders A* run only on L1, orders B* on L1 or L2 (L2 faster);
// when L2 stops, moving some B work to L1 shortens the makespan, so a fresh
// plan changes L1 while a repair need not.
func twoLinePlant() *schedule.Problem {
	now := t0
	p := &schedule.Problem{Now: now, Horizon: now.Add(72 * time.Hour), Lines: []schedule.Line{{ID: "L1"}, {ID: "L2"}}}
	for i := range 4 {
		p.Orders = append(p.Orders, schedule.Order{ID: fmt.Sprintf("A%d", i), Weight: 1, Due: now.Add(48 * time.Hour),
			Ops: []schedule.Operation{{Eligible: []schedule.Eligible{{Line: "L1", Duration: time.Hour}}}}})
		p.Orders = append(p.Orders, schedule.Order{ID: fmt.Sprintf("B%d", i), Weight: 1, Due: now.Add(48 * time.Hour),
			Ops: []schedule.Operation{{Eligible: []schedule.Eligible{{Line: "L2", Duration: time.Hour}, {Line: "L1", Duration: 90 * time.Minute}}}}})
	}
	return p
}

func TestRepairKeepsUnaffectedOperations(t *testing.T) {
	p := twoLinePlant()
	before, err := schedule.Solve(context.Background(), p, schedule.Options{MaxIterations: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, p, before)
	// L2 stops for its first two hours: only what ran there must move, and
	// nothing becomes late (the due dates are far), so L1 keeps its plan.
	q := *p
	q.Lines = append([]schedule.Line(nil), p.Lines...)
	q.Lines[1].Unavailable = []schedule.Window{{Start: t0, End: t0.Add(2 * time.Hour)}}
	after, err := schedule.Solve(context.Background(), &q, schedule.Options{MaxIterations: 200, Seed: 3, Initial: before})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, &q, after)
	for _, op := range before.Ops {
		if op.Line != "L1" {
			continue
		}
		got := after.Op(op.Order, op.Step)
		if got.Line != op.Line || !got.Start.Equal(op.Start) {
			t.Errorf("%s step %d on L1 at %s moved to %s at %s", op.Order, op.Step, op.Start.Format("15:04"), got.Line, got.Start.Format("15:04"))
		}
	}
	if after.Score.LateOrders != 0 {
		t.Errorf("repair made %d orders late", after.Score.LateOrders)
	}
}

func TestRightShiftKeepsSequences(t *testing.T) {
	p := twoLinePlant()
	before, err := schedule.Solve(context.Background(), p, schedule.Options{MaxIterations: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	q := *p
	q.Lines = append([]schedule.Line(nil), p.Lines...)
	q.Lines[1].Unavailable = []schedule.Window{{Start: t0, End: t0.Add(2 * time.Hour)}}
	rs, err := schedule.Solve(context.Background(), &q, schedule.Options{Seed: 3, Initial: before, RightShift: true})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, &q, rs)
	if rs.Iterations != 0 || rs.Rule != "initial" {
		t.Fatalf("right-shift searched: rule %s, %d iterations", rs.Rule, rs.Iterations)
	}
	seq := func(pl *schedule.Plan) map[string][]string {
		ops := append([]schedule.PlannedOp(nil), pl.Ops...)
		sort.Slice(ops, func(i, j int) bool { return ops[i].Start.Before(ops[j].Start) })
		out := map[string][]string{}
		for _, op := range ops {
			out[op.Line] = append(out[op.Line], op.Order)
		}
		return out
	}
	b, a := seq(before), seq(rs)
	if fmt.Sprint(b) != fmt.Sprint(a) {
		t.Fatalf("sequences changed:\nbefore %v\nafter  %v", b, a)
	}
	for _, op := range rs.Ops {
		if op.Line == "L2" && op.Start.Before(t0.Add(2*time.Hour)) {
			t.Fatalf("%s runs on L2 while it is down", op.Order)
		}
	}
}
