package schedule_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/schedule"
	"github.com/linewise/linewise/central/schedule/check"
)

func mustCheck(t *testing.T, p *schedule.Problem, pl *schedule.Plan) {
	t.Helper()
	if err := check.Check(p, pl); err != nil {
		t.Fatalf("plan fails the checker:\n%v", err)
	}
}

func TestFT06ReachesOptimum(t *testing.T) {
	in, err := parseJobshop(filepath.Join(jobshopDir(t), "ft06.txt"))
	if err != nil {
		t.Fatal(err)
	}
	p := in.problem()
	pl, err := schedule.Solve(context.Background(), p, schedule.Options{Objective: schedule.ObjectiveMakespan, MaxIterations: 20000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, p, pl)
	if got := int(pl.Score.Makespan / jsUnit); got != 55 {
		t.Fatalf("ft06 makespan %d, want 55 (rule %s, %d iterations)", got, pl.Rule, pl.Iterations)
	}
}

func TestDeterministicForSeed(t *testing.T) {
	p := genPlant(3, genSpec{orders: 30, opsPerOrder: 4, lines: 6, families: 3, shifts: true, flexible: 2})
	opt := schedule.Options{MaxIterations: 300, Seed: 42}
	a, err := schedule.Solve(context.Background(), p, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := schedule.Solve(context.Background(), p, opt)
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, p, a)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed and input gave different plans")
	}
}

// TestRandomPlansPassChecker is the property test: random flexible instances
// with calendars, changeovers, releases and frozen operations always give
// plans the independent checker accepts, with frozen operations unmoved.
func TestRandomPlansPassChecker(t *testing.T) {
	frozen := 0
	defer func() {
		if !t.Failed() && frozen == 0 {
			t.Error("no instance had frozen operations; the property is not exercised")
		}
	}()
	for seed := uint64(1); seed <= 80; seed++ {
		g := genSpec{orders: 5 + int(seed%7)*3, opsPerOrder: 1 + int(seed%4), lines: 2 + int(seed%5), families: 1 + int(seed%3), shifts: seed%3 != 0, flexible: 1 + int(seed%3)}
		p := genPlant(seed, g)
		obj := schedule.ObjectivePlant
		if seed%2 == 0 {
			obj = schedule.ObjectiveMakespan
		}
		first, err := schedule.Solve(context.Background(), p, schedule.Options{Objective: obj, MaxIterations: 150, Seed: seed})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		mustCheck(t, p, first)
		// Re-plan later with the near-term work frozen and a breakdown.
		q := *p
		q.Now = p.Now.Add(10 * time.Hour)
		q.Frozen = schedule.FreezeBefore(first, q.Now.Add(2*time.Hour))
		frozen += len(q.Frozen)
		q.Lines = append([]schedule.Line(nil), p.Lines...)
		q.Lines[0].Unavailable = append(q.Lines[0].Unavailable, schedule.Window{Start: q.Now, End: q.Now.Add(8 * time.Hour)})
		for _, opt := range []schedule.Options{
			{Objective: obj, MaxIterations: 150, Seed: seed},
			{Objective: obj, MaxIterations: 150, Seed: seed, Initial: first},
		} {
			second, err := schedule.Solve(context.Background(), &q, opt)
			if err != nil {
				t.Fatalf("seed %d re-plan: %v", seed, err)
			}
			mustCheck(t, &q, second)
			for _, f := range q.Frozen {
				op := second.Op(f.Order, f.Step)
				if op == nil || op.Line != f.Line || !op.Start.Equal(f.Start) || !op.End.Equal(f.End) || !op.Frozen {
					t.Fatalf("seed %d: frozen %s step %d moved: %+v", seed, f.Order, f.Step, op)
				}
			}
		}
	}
}

func TestValidationNamesOrderAndStep(t *testing.T) {
	now := t0
	base := func() *schedule.Problem {
		return &schedule.Problem{
			Now: now, Horizon: now.Add(48 * time.Hour),
			Lines: []schedule.Line{{ID: "L1"}, {ID: "L2", Calendar: []schedule.Window{{Start: now.Add(time.Hour), End: now.Add(3 * time.Hour)}}}},
			Orders: []schedule.Order{{ID: "PO-7", Weight: 1, Due: now.Add(24 * time.Hour), Ops: []schedule.Operation{
				{Eligible: []schedule.Eligible{{Line: "L1", Duration: time.Hour}}},
				{Eligible: []schedule.Eligible{{Line: "L2", Duration: time.Hour}}},
			}}},
		}
	}
	cases := []struct {
		name   string
		mutate func(p *schedule.Problem)
		want   string
	}{
		{"no eligible line", func(p *schedule.Problem) { p.Orders[0].Ops[1].Eligible = nil }, "order PO-7 step 2: no eligible line"},
		{"unknown line", func(p *schedule.Problem) { p.Orders[0].Ops[0].Eligible[0].Line = "L9" }, `order PO-7 step 1: unknown line "L9"`},
		{"zero duration", func(p *schedule.Problem) { p.Orders[0].Ops[1].Eligible[0].Duration = 0 }, "order PO-7 step 2: line L2: duration 0s is not positive"},
		{"negative duration", func(p *schedule.Problem) { p.Orders[0].Ops[0].Eligible[0].Duration = -time.Minute }, "order PO-7 step 1: line L1: duration -1m0s is not positive"},
		{"duplicate eligible", func(p *schedule.Problem) {
			p.Orders[0].Ops[0].Eligible = append(p.Orders[0].Ops[0].Eligible, p.Orders[0].Ops[0].Eligible[0])
		}, "order PO-7 step 1: line L1 listed twice"},
		{"duplicate order", func(p *schedule.Problem) { p.Orders = append(p.Orders, p.Orders[0]) }, "order PO-7: duplicate id"},
		{"too long for windows", func(p *schedule.Problem) { p.Orders[0].Ops[1].Eligible[0].Duration = 3 * time.Hour }, "order PO-7 step 2: longer than every working window"},
		{"calendar before horizon", func(p *schedule.Problem) {
			p.Lines[1].Calendar[0] = schedule.Window{Start: now.Add(50 * time.Hour), End: now.Add(52 * time.Hour)}
		}, "line L2: no working time between now and the horizon"},
		{"frozen not prefix", func(p *schedule.Problem) {
			p.Frozen = []schedule.Frozen{{Order: "PO-7", Step: 2, Line: "L2", Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)}}
		}, "frozen order PO-7 step 2: frozen steps must be a prefix"},
		{"weight", func(p *schedule.Problem) { p.Orders[0].Weight = 0 }, "order PO-7: weight 0 is below 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := base()
			if err := schedule.Validate(p); err != nil {
				t.Fatalf("base problem invalid: %v", err)
			}
			c.mutate(p)
			_, err := schedule.Solve(context.Background(), p, schedule.Options{MaxIterations: 10})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestCompareReportsMovesAndNewlyLate(t *testing.T) {
	now := t0
	p := &schedule.Problem{Now: now, Horizon: now.Add(48 * time.Hour), Lines: []schedule.Line{{ID: "L1"}}}
	for i, due := range []time.Duration{3 * time.Hour, 5 * time.Hour} {
		p.Orders = append(p.Orders, schedule.Order{ID: []string{"PO-1", "PO-2"}[i], Weight: 1, Due: now.Add(due),
			Ops: []schedule.Operation{{Eligible: []schedule.Eligible{{Line: "L1", Duration: 2 * time.Hour}}}}})
	}
	before, err := schedule.Solve(context.Background(), p, schedule.Options{MaxIterations: 50})
	if err != nil {
		t.Fatal(err)
	}
	if before.Score.LateOrders != 0 {
		t.Fatalf("expected an on-time plan, got %+v", before.Score)
	}
	// A heavy rush order due in 2 hours goes first and pushes the others.
	q := *p
	q.Orders = append(append([]schedule.Order(nil), p.Orders...), schedule.Order{ID: "RUSH", Weight: 10, Due: now.Add(2 * time.Hour),
		Ops: []schedule.Operation{{Eligible: []schedule.Eligible{{Line: "L1", Duration: 2 * time.Hour}}}}})
	after, err := schedule.Solve(context.Background(), &q, schedule.Options{MaxIterations: 200, Initial: before})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, &q, after)
	if r := after.Op("RUSH", 1); r == nil || !r.Start.Equal(now) {
		t.Fatalf("rush order not first: %+v", r)
	}
	d := schedule.Compare(before, after)
	if len(d.Added) != 1 || d.Added[0] != (schedule.OpRef{Order: "RUSH", Step: 1}) {
		t.Fatalf("added: %+v", d.Added)
	}
	// Repair puts fewer orders newly late before lower weighted tardiness:
	// PO-2 (due in 5 h) keeps its slot, only PO-1 moves and becomes late
	// (rather than both becoming an hour late).
	if len(d.Moved) != 1 || d.Moved[0].Order != "PO-1" {
		t.Fatalf("moved: %+v", d.Moved)
	}
	if len(d.Later) != 1 || len(d.NewlyLate) != 1 || d.NewlyLate[0] != "PO-1" {
		t.Fatalf("later %+v newly late %v", d.Later, d.NewlyLate)
	}
	for _, c := range d.Later {
		if !c.ToCompletion.After(c.FromCompletion) {
			t.Fatalf("not later: %+v", c)
		}
	}
	if back := schedule.Compare(after, before); len(back.Removed) != 1 || len(back.Earlier) != 1 || len(back.NewlyLate) != 0 {
		t.Fatalf("reverse diff: %+v", back)
	}
}

func TestContextCancelReturnsPlan(t *testing.T) {
	p := genPlant(5, genSpec{orders: 40, opsPerOrder: 3, lines: 5, families: 3, shifts: true, flexible: 2})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pl, err := schedule.Solve(ctx, p, schedule.Options{Budget: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, p, pl)
}

// TestOutOfCalendarIsAnError: when the calendars run out before every
// operation fits, Solve fails naming the operation instead of returning a
// partial plan.
func TestOutOfCalendarIsAnError(t *testing.T) {
	p := &schedule.Problem{Now: t0, Horizon: t0.Add(24 * time.Hour),
		Lines: []schedule.Line{{ID: "L1", Calendar: []schedule.Window{{Start: t0.Add(time.Hour), End: t0.Add(3 * time.Hour)}}}}}
	for _, id := range []string{"PO-1", "PO-2"} {
		p.Orders = append(p.Orders, schedule.Order{ID: id, Weight: 1, Due: t0.Add(5 * time.Hour),
			Ops: []schedule.Operation{{Eligible: []schedule.Eligible{{Line: "L1", Duration: 90 * time.Minute}}}}})
	}
	_, err := schedule.Solve(context.Background(), p, schedule.Options{MaxIterations: 10})
	if err == nil || !strings.Contains(err.Error(), "step 1: fits in no working window") || !strings.Contains(err.Error(), "order PO-") {
		t.Fatalf("got %v", err)
	}
}
