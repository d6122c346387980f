package schedule_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/schedule"
	"github.com/linewise/linewise/central/schedule/check"
)

// stopCase plans a plant-like instance, then a day later stops line L03
// for six hours starting at stop (relative to the new now), with the next
// freeze of work frozen.
func stopCase(t *testing.T, stop, freeze time.Duration) (*schedule.Problem, *schedule.Plan, *schedule.Problem, time.Time) {
	t.Helper()
	p := genPlant(5, genSpec{orders: 160, opsPerOrder: 4, lines: 10, families: 3, shifts: true, flexible: 2})
	pl, err := schedule.Solve(context.Background(), p, schedule.Options{MaxIterations: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, p, pl)
	q := *p
	q.Now = p.Now.Add(24 * time.Hour)
	q.Frozen = schedule.FreezeBefore(pl, q.Now.Add(freeze))
	from := q.Now.Add(stop)
	for _, f := range q.Frozen {
		if f.Line == "L03" && f.End.After(from) {
			from = f.End // in-progress work finishes before the stop
		}
	}
	q.Lines = append([]schedule.Line(nil), p.Lines...)
	q.Lines[3].Unavailable = []schedule.Window{{Start: from, End: from.Add(6 * time.Hour)}}
	return p, pl, &q, from
}

func TestRepairMovesOnlyWhatTheStopReaches(t *testing.T) {
	_, before, q, from := stopCase(t, 2*time.Hour, time.Hour)
	after, err := schedule.Solve(context.Background(), q, schedule.Options{MaxIterations: 30, Seed: 1, Initial: before})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, q, after)
	rs, err := schedule.Solve(context.Background(), q, schedule.Options{Seed: 1, Initial: before, RightShift: true})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, q, rs)

	type key struct {
		o string
		s int
	}
	old := map[key]schedule.PlannedOp{}
	for _, op := range before.Ops {
		old[key{op.Order, op.Step}] = op
	}
	moved := map[key]bool{}
	for _, op := range after.Ops {
		b := old[key{op.Order, op.Step}]
		if b.Line != op.Line || !b.Start.Equal(op.Start) {
			moved[key{op.Order, op.Step}] = true
		}
	}
	if len(moved) == 0 {
		t.Fatal("nothing moved although L03 stops")
	}
	// The morning's plan stands: nothing that was to start before the stop
	// moves.
	for _, op := range before.Ops {
		if op.Start.Before(from) && moved[key{op.Order, op.Step}] {
			t.Errorf("%s step %d was to start at %s, before the stop at %s, and moved", op.Order, op.Step, op.Start.Format("Mon 15:04"), from.Format("Mon 15:04"))
		}
	}
	// Every moved operation is reached by the stop: it was to run on L03
	// during or after it, its routing predecessor moved, or an operation
	// before it on its line (in the old or the new plan) moved: its line's
	// sequence changed ahead of it.
	for k := range moved {
		b, a := old[k], after.Op(k.o, k.s)
		if b.Line == "L03" && b.End.After(from) {
			continue
		}
		if k.s > 1 && moved[key{k.o, k.s - 1}] {
			continue
		}
		reached := false
		for k2 := range moved {
			b2, a2 := old[k2], after.Op(k2.o, k2.s)
			for _, l := range []string{b.Line, a.Line} {
				if k2 != k && ((b2.Line == l && !b2.Start.After(b.Start)) || (a2.Line == l && !a2.Start.After(a.Start))) {
					reached = true
				}
			}
		}
		if !reached {
			t.Errorf("%s step %d moved from %s %s to %s %s although the stop does not reach it", k.o, k.s, b.Line, b.Start.Format("Mon 15:04"), a.Line, a.Start.Format("Mon 15:04"))
		}
	}
	rsMoved := len(schedule.Compare(before, rs).Moved)
	if len(moved) >= rsMoved {
		t.Errorf("repair moved %d operations, the right-shift %d", len(moved), rsMoved)
	}
	newly := func(pl *schedule.Plan) int { return len(schedule.Compare(before, pl).NewlyLate) }
	if newly(after) > newly(rs) {
		t.Errorf("repair made %d orders newly late, the right-shift %d", newly(after), newly(rs))
	}
}

func TestRepairNeverMovesFrozenWork(t *testing.T) {
	// three hours frozen; L03 stops as soon as its frozen work is done
	_, before, q, _ := stopCase(t, 0, 3*time.Hour)
	if len(q.Frozen) == 0 {
		t.Fatal("fixture has no frozen work")
	}
	for _, opt := range []schedule.Options{
		{MaxIterations: 30, Seed: 1, Initial: before},
		{Seed: 1, Initial: before, RightShift: true},
		{MaxIterations: 30, Seed: 1}, // a full re-plan keeps it too
	} {
		after, err := schedule.Solve(context.Background(), q, opt)
		if err != nil {
			t.Fatal(err)
		}
		mustCheck(t, q, after)
		inProgress := 0
		for _, f := range q.Frozen {
			op := after.Op(f.Order, f.Step)
			if !op.Frozen || op.Line != f.Line || !op.Start.Equal(f.Start) || !op.End.Equal(f.End) || !op.SetupStart.Equal(f.SetupStart) {
				t.Errorf("frozen %s step %d on %s %s–%s is now %s %s–%s", f.Order, f.Step, f.Line, f.Start.Format("15:04"), f.End.Format("15:04"), op.Line, op.Start.Format("15:04"), op.End.Format("15:04"))
			}
			if f.Start.Before(q.Now) {
				inProgress++
			}
		}
		if inProgress == 0 {
			t.Fatal("fixture has no work in progress at now")
		}
	}
}

// A material arrival delays exactly the operations that need it: A's
// second step waits for its material; it and only it starts later, at
// the arrival, and the checker holds the arrival.
func TestMaterialArrivalDelaysOnlyWhatNeedsIt(t *testing.T) {
	op := func(line string, d time.Duration) schedule.Operation {
		return schedule.Operation{Eligible: []schedule.Eligible{{Line: line, Duration: d}}}
	}
	due := t0.Add(72 * time.Hour)
	p := &schedule.Problem{Now: t0, Horizon: t0.Add(96 * time.Hour), Lines: []schedule.Line{{ID: "L1"}, {ID: "L2"}, {ID: "L3"}},
		Orders: []schedule.Order{
			{ID: "A", Weight: 1, Due: due, Ops: []schedule.Operation{op("L1", time.Hour), op("L2", time.Hour), op("L3", time.Hour)}},
			{ID: "B", Weight: 1, Due: due, Ops: []schedule.Operation{op("L1", time.Hour), op("L2", 2*time.Hour)}},
			{ID: "C", Weight: 1, Due: due, Ops: []schedule.Operation{op("L2", time.Hour), op("L3", time.Hour)}},
		}}
	before, err := schedule.Solve(context.Background(), p, schedule.Options{MaxIterations: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, p, before)
	arrival := t0.Add(10 * time.Hour)
	q := *p
	q.Orders = append([]schedule.Order(nil), p.Orders...)
	q.Orders[0].Ops = append([]schedule.Operation(nil), p.Orders[0].Ops...)
	q.Orders[0].Ops[1].NotBefore = arrival
	after, err := schedule.Solve(context.Background(), &q, schedule.Options{MaxIterations: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, &q, after)
	if got := after.Op("A", 2); !got.Start.Equal(arrival) {
		t.Fatalf("A step 2 starts %s, its material arrives %s", got.Start.Format("15:04"), arrival.Format("15:04"))
	}
	if got := after.Op("A", 3); !got.Start.Equal(arrival.Add(time.Hour)) {
		t.Fatalf("A step 3 starts %s, right after step 2 would be %s", got.Start.Format("15:04"), arrival.Add(time.Hour).Format("15:04"))
	}
	for _, b := range before.Ops {
		if b.Order == "A" && b.Step >= 2 {
			continue
		}
		if got := after.Op(b.Order, b.Step); got.Start.After(b.Start) {
			t.Errorf("%s step %d starts %s, was %s: it does not need the material", b.Order, b.Step, got.Start.Format("15:04"), b.Start.Format("15:04"))
		}
	}
	// a plan that ignores the arrival is refused, naming it
	if err := check.Check(&q, before); err == nil || !strings.Contains(err.Error(), "material") {
		t.Fatalf("the checker accepts a start before the material arrives: %v", err)
	}
}

// repairFigures are what a planner reads beside a repair proposal.
type repairFigures struct {
	moved, lineChanges, newlyLate int
	wt                            float64
}

func figuresOf(before, pl *schedule.Plan) repairFigures {
	d := schedule.Compare(before, pl)
	f := repairFigures{moved: len(d.Moved), newlyLate: len(d.NewlyLate), wt: pl.Score.WeightedTardiness}
	for _, c := range d.Moved {
		if c.FromLine != c.ToLine {
			f.lineChanges++
		}
	}
	return f
}

// A stop on a loaded plant: the repair makes no order newly late that a
// full re-plan keeps on time and no more weighted tardiness, while it moves
// at most half the operations a re-plan moves and sends at most a tenth as
// many to another line; with more iterations it is no worse.
func TestRepairStableWithoutNewLateness(t *testing.T) {
	p := genPlant(11, genSpec{orders: 400, opsPerOrder: 5, lines: 12, families: 4, shifts: true, flexible: 2})
	before, err := schedule.Solve(context.Background(), p, schedule.Options{MaxIterations: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, p, before)
	q := *p
	q.Now = p.Now.Add(24 * time.Hour)
	q.Frozen = schedule.FreezeBefore(before, q.Now.Add(time.Hour))
	q.Lines = append([]schedule.Line(nil), p.Lines...)
	q.Lines[4].Unavailable = []schedule.Window{{Start: q.Now, End: q.Now.Add(6 * time.Hour)}}

	full, err := schedule.Solve(context.Background(), &q, schedule.Options{MaxIterations: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, &q, full)
	rs, err := schedule.Solve(context.Background(), &q, schedule.Options{Seed: 1, Initial: before, RightShift: true})
	if err != nil {
		t.Fatal(err)
	}
	ff, fr := figuresOf(before, full), figuresOf(before, rs)
	if fr.newlyLate == 0 {
		t.Fatalf("the right-shift makes no order late (%+v): the case tests nothing", fr)
	}
	var prev *repairFigures
	for _, iters := range []int{1, 20} {
		re, err := schedule.Solve(context.Background(), &q, schedule.Options{MaxIterations: iters, Seed: 1, Initial: before})
		if err != nil {
			t.Fatal(err)
		}
		mustCheck(t, &q, re)
		f := figuresOf(before, re)
		t.Logf("%d iterations: repair %+v, full re-plan %+v, right-shift %+v", iters, f, ff, fr)
		if f.newlyLate > ff.newlyLate || f.wt > ff.wt {
			t.Errorf("repair: %d newly late, weighted tardiness %.1f h; a full re-plan: %d, %.1f h", f.newlyLate, f.wt, ff.newlyLate, ff.wt)
		}
		if 2*f.moved > ff.moved || 10*f.lineChanges > ff.lineChanges {
			t.Errorf("repair moved %d operations, %d to another line; a full re-plan %d and %d", f.moved, f.lineChanges, ff.moved, ff.lineChanges)
		}
		if prev != nil && (f.newlyLate > prev.newlyLate || f.wt > prev.wt) {
			t.Errorf("more iterations made the repair worse: %+v after %+v", f, *prev)
		}
		prev = &f
	}
}
