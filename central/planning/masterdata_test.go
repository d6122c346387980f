package planning_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/planning"
)

var admin = domain.Actor{Name: "admin", Role: domain.RoleAdmin}

// TestMasterCalendarsReplaceConfiguredShifts: a line's shifts in master
// data replace the configured ones (in its site's time zone), and its
// planned stops take time out; lines without master calendars keep the
// configuration.
func TestMasterCalendarsReplaceConfiguredShifts(t *testing.T) {
	e := newEnv(t, testConfig())
	shop(t, e)
	e.must(t, e.st.SaveMaster(e.ctx, domain.Site{ID: "S1", Name: "Plant", Timezone: "Europe/Berlin"}, domain.SaveCreate, admin))
	e.must(t, e.st.SaveMaster(e.ctx, domain.Line{ID: "L2", Name: "Line L2", Site: "S1"}, domain.SaveUpdate, admin))
	// 13:00-21:00 in Berlin is 12:00-20:00 UTC on 2 March.
	e.must(t, e.st.ReplaceCalendar(e.ctx, domain.LineCalendar{Line: "L2",
		Shifts: []domain.Shift{{Name: "late", Start: "13:00", End: "21:00"}}}, admin))
	e.must(t, e.st.ReplaceCalendar(e.ctx, domain.LineCalendar{Line: "L1",
		Stops: []domain.PlannedStop{{ID: "PS-1", Start: t0, End: t0.Add(2 * time.Hour), Reason: "maintenance"}}}, admin))
	p, err := e.svc.Propose(e.ctx, planning.Request{Reason: "calendars"})
	e.must(t, err)
	ops := opsByWO(p.Schedule)
	if len(ops) != 6 {
		t.Fatalf("%d ops planned, want 6", len(ops))
	}
	for wo, op := range ops {
		switch op.Line {
		case "L2":
			if op.SetupStart.Before(t0.Add(4 * time.Hour)) {
				t.Errorf("%s on L2 starts at %s, before the master shift (12:00 UTC)", wo, op.SetupStart)
			}
			if h := op.End.UTC().Hour(); op.End.UTC().Day() == 2 && h >= 20 && op.End.UTC().Minute() > 0 {
				t.Errorf("%s on L2 ends at %s, after the master shift", wo, op.End)
			}
		case "L1":
			if op.SetupStart.Before(t0.Add(2 * time.Hour)) {
				t.Errorf("%s on L1 starts at %s, inside the planned stop", wo, op.SetupStart)
			}
		}
	}
}

// TestOrderChangedProposes: changing a planned order's due date proposes a
// reschedule the way the line triggers do (pending, plan unchanged); orders
// not in the plan, or Auto off, propose nothing.
func TestOrderChangedProposes(t *testing.T) {
	cfg := testConfig()
	cfg.Auto = true
	e := newEnv(t, cfg)
	shop(t, e)
	before := approveFirst(t, e)
	due := t0.Add(90 * time.Minute)
	_, err := e.st.ChangeOrder(e.ctx, "PO-3", admin, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
		rec.Due = &due
		return domain.OrderChange{Action: "edit", Reason: "customer"}, nil
	})
	e.must(t, err)
	p, err := e.svc.OrderChanged(e.ctx, "PO-3", "due moved earlier")
	e.must(t, err)
	if p == nil || p.Kind != domain.ProposalOrderChange || p.Status != domain.ProposalPending ||
		!strings.Contains(p.Reason, "PO-3") || !strings.Contains(p.Reason, "due moved earlier") {
		t.Fatalf("proposal %+v", p)
	}
	// PO-3 cannot meet the new date (the line is full before it): the
	// proposal, computed with it, reports the due date lost.
	if !slices.ContainsFunc(p.Diff.Late, func(l planning.LateOrder) bool { return l.Order == "PO-3" }) {
		t.Errorf("late orders %+v, want PO-3: the proposal did not see the change", p.Diff.Late)
	}
	for _, o := range before.Orders {
		if o.Order == "PO-3" && o.Late {
			t.Fatal("PO-3 was late before the change: the test proves nothing")
		}
	}
	cur, err := e.svc.Current(e.ctx)
	e.must(t, err)
	if cur.Version != before.Version {
		t.Error("an order-change proposal changed the plan before approval")
	}
	// A draft is not planned: nothing to propose.
	e.must(t, e.st.CreateOrder(e.ctx, domain.Order{Number: "PO-9", ProductCode: "A", Quantity: 1, Status: domain.StatusDraft}))
	if p, err := e.svc.OrderChanged(e.ctx, "PO-9", "quantity"); p != nil || err != nil {
		t.Errorf("draft: %+v %v", p, err)
	}
	// Auto off: no automatic proposals of any kind.
	off := newEnv(t, testConfig())
	shop(t, off)
	if p, err := off.svc.OrderChanged(off.ctx, "PO-3", "due"); p != nil || err != nil {
		t.Errorf("auto off: %+v %v", p, err)
	}
}

// TestShiftDaysLeaveWeekendsIdle: a line whose master shifts run Mon-Fri
// has no capacity on Saturday and Sunday, so work that misses Friday's
// shift waits for Monday; the same work on a line with the configured
// every-day shifts runs on Saturday.
func TestShiftDaysLeaveWeekendsIdle(t *testing.T) {
	e := newEnv(t, testConfig())
	for _, l := range []string{"L1", "L2"} {
		e.must(t, e.st.CreateLine(e.ctx, domain.Line{ID: l, Name: "Line " + l}))
	}
	e.must(t, e.st.CreateProduct(e.ctx, domain.Product{Code: "A", Name: "A", Unit: "pcs", IdealCycle: time.Second}))
	e.must(t, e.st.ReplaceCalendar(e.ctx, domain.LineCalendar{Line: "L2",
		Shifts: []domain.Shift{{Name: "day", Start: "06:00", End: "22:00", Days: "mon-fri"}}}, admin))
	cal, err := e.st.Calendar(e.ctx, "L2")
	e.must(t, err)
	if cal.Shifts[0].Days != "Mon-Fri" {
		t.Errorf("days stored as %q, want the canonical Mon-Fri", cal.Shifts[0].Days)
	}
	// Friday 6 March, 20:00 UTC: two hours of shift left, each order needs three.
	e.clock.t = time.Date(2026, 3, 6, 20, 0, 0, 0, time.UTC)
	e.order(t, "PO-1", "A", 3*3600, 10*24*time.Hour, 0, "L1")
	e.order(t, "PO-2", "A", 3*3600, 10*24*time.Hour, 0, "L2")
	p, err := e.svc.Propose(e.ctx, planning.Request{Reason: "weekend"})
	e.must(t, err)
	ops := opsByWO(p.Schedule)
	l1, l2 := ops[domain.WorkOrderID("PO-1", 10)], ops[domain.WorkOrderID("PO-2", 10)]
	if want := time.Date(2026, 3, 7, 6, 0, 0, 0, time.UTC); !l1.SetupStart.Equal(want) {
		t.Errorf("every-day line L1: starts %s, want Saturday %s", l1.SetupStart, want)
	}
	if want := time.Date(2026, 3, 9, 6, 0, 0, 0, time.UTC); !l2.SetupStart.Equal(want) {
		t.Errorf("Mon-Fri line L2: starts %s, want Monday %s", l2.SetupStart, want)
	}
	for _, op := range []planning.OpView{l1, l2} {
		if op.Line != "L2" {
			continue
		}
		for _, at := range []time.Time{op.SetupStart, op.Start, op.End} {
			if d := at.Weekday(); d == time.Saturday || d == time.Sunday {
				t.Errorf("%s is planned on L2 on a %s (%s)", op.WorkOrder, d, at)
			}
		}
	}
}

// TestMasterChangeoversReplaceConfiguredChangeover: with no configured
// changeover, a line plans its families back to back; once the line has a
// changeover matrix in master data, a setup of the matrix's length comes
// between two families (products of one family follow each other without
// one), while a line without a matrix keeps the configuration.
func TestMasterChangeoversReplaceConfiguredChangeover(t *testing.T) {
	cfg := testConfig()
	cfg.Changeover = 0
	e := newEnv(t, cfg)
	for _, l := range []string{"L1", "L2"} {
		e.must(t, e.st.CreateLine(e.ctx, domain.Line{ID: l, Name: "Line " + l}))
	}
	for _, p := range []domain.Product{{Code: "X1", Family: "FX"}, {Code: "X2", Family: "FX"}, {Code: "Y1", Family: "FY"}} {
		p.Name, p.Unit, p.IdealCycle = p.Code, "pcs", time.Second
		e.must(t, e.st.CreateProduct(e.ctx, p))
	}
	e.order(t, "PO-1", "X1", 1200, 3*time.Hour, 0, "L1")
	e.order(t, "PO-2", "Y1", 1200, 4*time.Hour, 0, "L1")
	e.order(t, "PO-3", "X2", 1200, 5*time.Hour, 0, "L1")
	e.order(t, "PO-4", "Y1", 1200, 6*time.Hour, 0, "L2")
	e.order(t, "PO-5", "X1", 1200, 7*time.Hour, 0, "L2")

	// setups lists each op's setup with the family before it on its line.
	type setup struct {
		line, from, to string
		d              time.Duration
	}
	setups := func(v *planning.ScheduleView) []setup {
		var out []setup
		for _, l := range v.Lines {
			ops := slices.Clone(l.Ops)
			slices.SortFunc(ops, func(a, b planning.OpView) int { return a.Start.Compare(b.Start) })
			prev := ""
			for _, op := range ops {
				out = append(out, setup{line: l.Line, from: prev, to: op.Family, d: op.Start.Sub(op.SetupStart)})
				prev = op.Family
			}
		}
		return out
	}
	p, err := e.svc.Propose(e.ctx, planning.Request{Reason: "no changeovers"})
	e.must(t, err)
	for _, s := range setups(p.Schedule) {
		if s.d != 0 {
			t.Errorf("without any changeover: %+v", s)
		}
		if s.to != "FX" && s.to != "FY" {
			t.Errorf("family %q planned, want the products' FX or FY", s.to)
		}
	}

	e.must(t, e.st.ReplaceChangeovers(e.ctx, "L1", []domain.Changeover{
		{From: "FX", To: "FY", Setup: 30 * time.Minute}, {From: "FY", To: "FX", Setup: 20 * time.Minute}}, admin))
	p, err = e.svc.Propose(e.ctx, planning.Request{Reason: "L1 changeovers"})
	e.must(t, err)
	switches := 0
	for _, s := range setups(p.Schedule) {
		want := time.Duration(0)
		if s.line == "L1" && s.from != "" && s.from != s.to {
			switches++
			want = map[string]time.Duration{"FY": 30 * time.Minute, "FX": 20 * time.Minute}[s.to]
		}
		if s.d != want {
			t.Errorf("%+v: setup %s, want %s", s, s.d, want)
		}
	}
	if switches == 0 {
		t.Fatal("L1 planned no switch between FX and FY: the test proves nothing")
	}
}
