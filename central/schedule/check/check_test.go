package check_test

import (
	"testing"
	"time"

	"github.com/linewise/linewise/central/schedule"
	"github.com/linewise/linewise/central/schedule/check"
)

var day = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func h(x float64) time.Time { return day.Add(time.Duration(x * float64(time.Hour))) }

func fixture() (*schedule.Problem, *schedule.Plan) {
	p := &schedule.Problem{
		Now: h(7), Horizon: h(48),
		Lines: []schedule.Line{
			{ID: "L1", InitialFamily: "A",
				Calendar:    []schedule.Window{{Start: h(8), End: h(12)}, {Start: h(13), End: h(17)}},
				Unavailable: []schedule.Window{{Start: h(15), End: h(16)}},
				Changeover:  map[schedule.FamilyPair]time.Duration{{From: "A", To: "B"}: 30 * time.Minute}},
			{ID: "L2"},
		},
		Orders: []schedule.Order{
			{ID: "PO-1", Weight: 1, Due: h(20), Ops: []schedule.Operation{
				{Family: "A", Eligible: []schedule.Eligible{{Line: "L1", Duration: time.Hour}}},
				{Family: "A", Eligible: []schedule.Eligible{{Line: "L2", Duration: time.Hour}}},
			}},
			{ID: "PO-2", Weight: 1, Due: h(20), Ops: []schedule.Operation{
				{Family: "B", Eligible: []schedule.Eligible{{Line: "L1", Duration: time.Hour}, {Line: "L2", Duration: 2 * time.Hour}}},
			}},
			{ID: "PO-3", Weight: 1, Due: h(20), Ops: []schedule.Operation{
				{Family: "C", Eligible: []schedule.Eligible{{Line: "L2", Duration: time.Hour}}},
			}},
		},
		Frozen: []schedule.Frozen{{Order: "PO-3", Step: 1, Line: "L2", Start: h(8), End: h(9)}},
	}
	pl := &schedule.Plan{Ops: []schedule.PlannedOp{
		{Order: "PO-1", Step: 1, Line: "L1", SetupStart: h(8), Start: h(8), End: h(9)},
		{Order: "PO-1", Step: 2, Line: "L2", SetupStart: h(9), Start: h(9), End: h(10)},
		{Order: "PO-2", Step: 1, Line: "L1", SetupStart: h(9), Start: h(9.5), End: h(10.5)},
		{Order: "PO-3", Step: 1, Line: "L2", SetupStart: h(8), Start: h(8), End: h(9), Frozen: true},
	}}
	return p, pl
}

func set(pl *schedule.Plan, order string, step int, line string, ss, st, en float64) {
	op := pl.Op(order, step)
	op.Line, op.SetupStart, op.Start, op.End = line, h(ss), h(st), h(en)
}

func TestCheckerCatchesViolations(t *testing.T) {
	p, pl := fixture()
	if vs := check.Violations(p, pl); len(vs) != 0 {
		t.Fatalf("valid fixture rejected: %v", vs)
	}
	cases := []struct {
		name   string
		mutate func(p *schedule.Problem, pl *schedule.Plan)
		want   check.Kind
	}{
		{"overlap on a line, setup included", func(_ *schedule.Problem, pl *schedule.Plan) { set(pl, "PO-2", 1, "L1", 8.5, 9, 10) }, check.Overlap},
		{"routing order", func(_ *schedule.Problem, pl *schedule.Plan) { set(pl, "PO-1", 1, "L1", 10.5, 10.5, 11.5) }, check.Routing},
		{"outside calendar", func(_ *schedule.Problem, pl *schedule.Plan) { set(pl, "PO-2", 1, "L1", 11, 11.5, 12.5) }, check.Calendar},
		{"setup outside calendar", func(_ *schedule.Problem, pl *schedule.Plan) { set(pl, "PO-2", 1, "L1", 12.75, 13.25, 14.25) }, check.Calendar},
		{"inside unavailability", func(_ *schedule.Problem, pl *schedule.Plan) { set(pl, "PO-2", 1, "L1", 14.5, 15, 16) }, check.Unavailable},
		{"frozen moved", func(_ *schedule.Problem, pl *schedule.Plan) { set(pl, "PO-3", 1, "L2", 8.25, 8.25, 9.25) }, check.Frozen},
		{"frozen on another line", func(_ *schedule.Problem, pl *schedule.Plan) { set(pl, "PO-3", 1, "L1", 8, 8, 9) }, check.Frozen},
		{"wrong duration", func(_ *schedule.Problem, pl *schedule.Plan) { set(pl, "PO-2", 1, "L1", 9, 9.5, 11) }, check.Duration},
		{"ineligible line", func(_ *schedule.Problem, pl *schedule.Plan) { set(pl, "PO-1", 2, "L1", 11, 11, 12) }, check.Eligibility},
		{"missing setup", func(_ *schedule.Problem, pl *schedule.Plan) { set(pl, "PO-2", 1, "L1", 9, 9, 10) }, check.Setup},
		{"before release", func(p *schedule.Problem, _ *schedule.Plan) { p.Orders[1].Release = h(9.75) }, check.Release},
		{"before now", func(p *schedule.Problem, _ *schedule.Plan) { p.Now = h(8.5) }, check.Release},
		{"missing op", func(_ *schedule.Problem, pl *schedule.Plan) { pl.Ops = pl.Ops[:2] }, check.Missing},
		{"duplicate op", func(_ *schedule.Problem, pl *schedule.Plan) { pl.Ops = append(pl.Ops, pl.Ops[0]) }, check.Duplicate},
		{"unknown op", func(_ *schedule.Problem, pl *schedule.Plan) {
			pl.Ops = append(pl.Ops, schedule.PlannedOp{Order: "PO-9", Step: 1, Line: "L1", SetupStart: h(16), Start: h(16), End: h(17)})
		}, check.Unknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, pl := fixture()
			c.mutate(p, pl)
			vs := check.Violations(p, pl)
			for _, v := range vs {
				if v.Kind == c.want {
					return
				}
			}
			t.Fatalf("want a %s violation, got %v", c.want, vs)
		})
	}
}
