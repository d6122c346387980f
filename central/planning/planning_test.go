package planning_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/planning"
	"github.com/linewise/linewise/central/store"
)

// t0 is a Monday 08:00 UTC, inside the default first shift.
var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type env struct {
	st    *store.Store
	svc   *planning.Service
	clock *clock
	ctx   context.Context
}

func testConfig() planning.Config {
	cfg := planning.DefaultConfig()
	cfg.Budget = 150 * time.Millisecond
	cfg.MaxIterations = 300
	cfg.Seed = 7
	cfg.Auto = false
	return cfg
}

func newEnv(t *testing.T, cfg planning.Config) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.DriverSQLite, store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: t0}
	svc, err := planning.New(planning.Options{Config: cfg, Store: st, Now: c.now, Log: slog.New(slog.NewTextHandler(testWriter(t), nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, svc: svc, clock: c, ctx: ctx}
}

func (e *env) must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// order adds an order with one work order per line in lines, qty parts of
// a product with the given cycle.
func (e *env) order(t *testing.T, number, product string, qty int64, due time.Duration, prio int, lines ...string) {
	t.Helper()
	d := t0.Add(due)
	e.must(t, e.st.CreateOrder(e.ctx, domain.Order{Number: number, ProductCode: product, Quantity: qty, Due: &d, Priority: prio, Status: domain.StatusScheduled}))
	for i, l := range lines {
		seq := 10 * (i + 1)
		id := domain.WorkOrderID(number, seq)
		e.must(t, e.st.CreateWorkOrder(e.ctx, domain.WorkOrder{ID: id, OrderNumber: number, OperationSeq: seq, LineID: l, Barcode: id,
			Quantity: qty, Status: domain.StatusScheduled}))
	}
}

// shop: two lines, two products, four orders on L1 and one on L2.
func shop(t *testing.T, e *env) {
	for _, l := range []string{"L1", "L2"} {
		e.must(t, e.st.CreateLine(e.ctx, domain.Line{ID: l, Name: "Line " + l}))
	}
	e.must(t, e.st.CreateProduct(e.ctx, domain.Product{Code: "A", Name: "A", Unit: "pcs", IdealCycle: time.Second}))
	e.must(t, e.st.CreateProduct(e.ctx, domain.Product{Code: "B", Name: "B", Unit: "pcs", IdealCycle: 2 * time.Second}))
	e.order(t, "PO-1", "A", 3600, 3*time.Hour, 0, "L1")       // 1 h
	e.order(t, "PO-2", "B", 1800, 4*time.Hour, 0, "L1")       // 1 h
	e.order(t, "PO-3", "A", 5400, 6*time.Hour, 0, "L1")       // 1.5 h
	e.order(t, "PO-4", "B", 900, 30*time.Hour, 0, "L1", "L2") // 0.5 h + 0.5 h
	e.order(t, "PO-5", "A", 3600, 5*time.Hour, 0, "L2")       // 1 h
}

func opsByWO(v *planning.ScheduleView) map[string]planning.OpView {
	out := map[string]planning.OpView{}
	for _, l := range v.Lines {
		for _, op := range l.Ops {
			out[op.WorkOrder] = op
		}
	}
	return out
}

func completions(v *planning.ScheduleView) map[string]time.Time {
	out := map[string]time.Time{}
	for _, o := range v.Orders {
		out[o.Order] = o.Completion
	}
	return out
}

// approveFirst makes a first plan current.
func approveFirst(t *testing.T, e *env) *planning.ScheduleView {
	t.Helper()
	p, err := e.svc.Propose(e.ctx, planning.Request{Reason: "first plan"})
	e.must(t, err)
	if len(p.Diff.Added) == 0 {
		t.Fatalf("first plan adds nothing: %+v", p.Diff)
	}
	_, err = e.svc.Approve(e.ctx, p.ID, domain.Actor{Name: "pat", Role: domain.RolePlanner})
	e.must(t, err)
	v, err := e.svc.Current(e.ctx)
	e.must(t, err)
	if v.Version != 1 || v.Source != "approved" {
		t.Fatalf("current version %d source %s, want 1 approved", v.Version, v.Source)
	}
	return v
}

func TestRushImpactMatchesAppliedPlan(t *testing.T) {
	e := newEnv(t, testConfig())
	shop(t, e)
	approveFirst(t, e)
	e.clock.t = t0.Add(5 * time.Minute)
	before, err := e.svc.Current(e.ctx)
	e.must(t, err)

	prio, due := 9, t0.Add(90*time.Minute)
	p, err := e.svc.Rush(e.ctx, "PO-4", &prio, &due)
	e.must(t, err)
	if p.Kind != domain.ProposalRush || p.Reason != "rush PO-4" || p.Status != domain.ProposalPending {
		t.Fatalf("proposal %+v", p)
	}
	if len(p.Diff.Slips) == 0 {
		t.Fatalf("a rush onto a full line slips nothing: %+v", p.Diff)
	}
	// Nothing changed yet.
	still, err := e.svc.Current(e.ctx)
	e.must(t, err)
	if still.Version != before.Version {
		t.Fatal("a rush proposal changed the plan before approval")
	}
	o, err := e.st.GetOrder(e.ctx, "PO-4")
	e.must(t, err)
	if o.Priority != 0 {
		t.Fatal("a rush proposal changed the order before approval")
	}

	_, err = e.svc.Approve(e.ctx, p.ID, domain.Actor{Name: "pat", Role: domain.RolePlanner})
	e.must(t, err)
	after, err := e.svc.Current(e.ctx)
	e.must(t, err)
	if after.Version != 2 || after.ProposalID != p.ID {
		t.Fatalf("after approval version %d proposal %s", after.Version, after.ProposalID)
	}

	// The report's slips are exactly the orders completing later, by the
	// reported amounts.
	b, a := completions(before), completions(after)
	reported := map[string]planning.OrderSlip{}
	for _, s := range p.Diff.Slips {
		reported[s.Order] = s
	}
	for order, was := range b {
		now, ok := a[order]
		if !ok {
			t.Fatalf("order %s vanished from the plan", order)
		}
		s, isSlip := reported[order]
		if now.After(was) != isSlip {
			t.Errorf("order %s: completion %s → %s, reported as slip: %v", order, was, now, isSlip)
			continue
		}
		if isSlip {
			if !s.FromCompletion.Equal(was) || !s.ToCompletion.Equal(now) || s.Slip != now.Sub(was).Seconds() {
				t.Errorf("order %s: reported %+v, plan says %s → %s", order, s, was, now)
			}
		}
	}
	// Due dates lost are orders on time before and late now.
	lateBefore, lateAfter := map[string]bool{}, map[string]bool{}
	for _, o := range before.Orders {
		lateBefore[o.Order] = o.Late
	}
	for _, o := range after.Orders {
		lateAfter[o.Order] = o.Late
	}
	lost := map[string]bool{}
	for _, n := range p.Diff.DueDatesLost {
		lost[n] = true
	}
	for n := range lateAfter {
		if want := lateAfter[n] && !lateBefore[n]; lost[n] != want {
			t.Errorf("order %s: due date lost %v, want %v", n, lost[n], want)
		}
	}
	// The order took its new priority and due date.
	o, err = e.st.GetOrder(e.ctx, "PO-4")
	e.must(t, err)
	if o.Priority != 9 || o.Due == nil || !o.Due.Equal(due) {
		t.Fatalf("rushed order %+v", o.Order)
	}
	// And its work orders carry the plan.
	ops := opsByWO(after)
	for _, w := range o.WorkOrders {
		op := ops[w.ID]
		if w.PlannedStart == nil || !w.PlannedStart.Equal(op.Start) || !w.PlannedEnd.Equal(op.End) || w.LineID == "" {
			t.Fatalf("work order %s planned %v–%v, plan says %s–%s", w.ID, w.PlannedStart, w.PlannedEnd, op.Start, op.End)
		}
	}
	if ops["WO-4-10"].Start.After(ops["WO-1-10"].Start) && ops["WO-1-10"].Start.After(t0.Add(time.Hour+5*time.Minute)) {
		t.Fatalf("rush order was not brought forward: %+v", ops)
	}
}

func TestFrozenWorkNeverMoves(t *testing.T) {
	e := newEnv(t, testConfig())
	shop(t, e)
	first := approveFirst(t, e)
	// The first op on L1 starts running; what starts within the hour is frozen.
	firstOps := opsByWO(first)
	var running string
	for _, l := range first.Lines {
		if l.Line == "L1" {
			running = l.Ops[0].WorkOrder
		}
	}
	e.must(t, e.st.StartWorkOrder(e.ctx, running, firstOps[running].Start))
	e.clock.t = t0.Add(10 * time.Minute)
	cur, err := e.svc.Current(e.ctx)
	e.must(t, err)
	frozen := map[string]planning.OpView{}
	for wo, op := range opsByWO(cur) {
		if op.Frozen {
			frozen[wo] = op
		}
	}
	if len(frozen) < 2 || !frozen[running].Frozen {
		t.Fatalf("expected the running work and L2's first op frozen, got %v", frozen)
	}
	// Rush and a breakdown of L2 must both leave frozen work where it was
	// (a breakdown unfreezes what has not started on the broken line).
	prio := 9
	due := t0.Add(time.Hour)
	p, err := e.svc.Rush(e.ctx, "PO-3", &prio, &due)
	e.must(t, err)
	for wo, f := range frozen {
		op := opsByWO(p.Schedule)[wo]
		// Running work keeps its line and start; its end follows what is left.
		if op.Line != f.Line || !op.Start.Equal(f.Start) || (wo != running && (!op.End.Equal(f.End) || !op.SetupStart.Equal(f.SetupStart))) {
			t.Errorf("frozen %s moved: %+v → %+v", wo, f, op)
		}
		if !op.Frozen {
			t.Errorf("frozen %s not marked frozen in the proposal", wo)
		}
	}
	for _, m := range p.Diff.Moved {
		if _, ok := frozen[m.WorkOrder]; ok {
			t.Errorf("diff moves frozen %s", m.WorkOrder)
		}
	}
	_, err = e.svc.Approve(e.ctx, p.ID, domain.Actor{Name: "pat", Role: domain.RolePlanner})
	e.must(t, err)

	e.must(t, e.st.SetLineState(e.ctx, "L2", "down", "F12", e.clock.t))
	e.clock.t = t0.Add(12 * time.Minute)
	p2, err := e.svc.Propose(e.ctx, planning.Request{Kind: domain.ProposalLineDown, Reason: "line L2 down", Line: "L2"})
	e.must(t, err)
	ops2 := opsByWO(p2.Schedule)
	f := frozen[running]
	if op := ops2[running]; op.Line != f.Line || !op.Start.Equal(f.Start) {
		t.Errorf("running work moved: %+v → %+v", f, op)
	}
	for _, l := range p2.Schedule.Lines {
		if l.Line != "L2" {
			continue
		}
		for _, op := range l.Ops {
			if op.Frozen {
				continue
			}
			if op.SetupStart.Before(e.clock.t.Add(30 * time.Minute)) {
				t.Errorf("%s planned on L2 at %s while it is down for repair", op.WorkOrder, op.SetupStart)
			}
		}
	}
}

func TestApproveRejectSemantics(t *testing.T) {
	e := newEnv(t, testConfig())
	shop(t, e)
	pat := domain.Actor{Name: "pat", Role: domain.RolePlanner}

	a, err := e.svc.Propose(e.ctx, planning.Request{Reason: "first"})
	e.must(t, err)
	b, err := e.svc.Propose(e.ctx, planning.Request{Reason: "second"})
	e.must(t, err)
	r, err := e.svc.Propose(e.ctx, planning.Request{Reason: "third"})
	e.must(t, err)

	// Rejecting changes nothing but the proposal.
	rej, err := e.svc.Reject(e.ctx, r.ID, pat)
	e.must(t, err)
	if rej.Status != domain.ProposalRejected || rej.DecidedBy != "pat" {
		t.Fatalf("rejected: %+v", rej)
	}
	cur, err := e.svc.Current(e.ctx)
	e.must(t, err)
	if cur.Version != 0 {
		t.Fatal("a rejection changed the plan")
	}
	w, err := e.st.GetWorkOrder(e.ctx, "WO-1-10")
	e.must(t, err)
	if w.PlannedStart != nil {
		t.Fatal("a rejection wrote planned times")
	}
	if _, err := e.svc.Approve(e.ctx, r.ID, pat); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("approving a rejected proposal: %v, want conflict", err)
	}
	if _, err := e.svc.Reject(e.ctx, r.ID, pat); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("rejecting twice: %v, want conflict", err)
	}

	// a and b were computed against the same plan: after a, b is stale.
	if _, err := e.svc.Approve(e.ctx, a.ID, pat); err != nil {
		t.Fatal(err)
	}
	bb, err := e.svc.Get(e.ctx, b.ID)
	e.must(t, err)
	if !bb.Stale {
		t.Fatal("b is not marked stale after a was approved")
	}
	if _, err := e.svc.Approve(e.ctx, b.ID, pat); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("approving a stale proposal: %v, want conflict", err)
	}
	if _, err := e.svc.Approve(e.ctx, a.ID, pat); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("approving twice: %v, want conflict", err)
	}
	w, err = e.st.GetWorkOrder(e.ctx, "WO-1-10")
	e.must(t, err)
	if w.PlannedStart == nil {
		t.Fatal("approval did not write planned times")
	}
	audit, err := e.st.ListAudit(e.ctx, domain.AuditFilter{Entity: "plan_proposal"})
	e.must(t, err)
	if len(audit) != 2 {
		t.Fatalf("audit entries %d, want 2 (reject, approve)", len(audit))
	}
	if _, err := e.svc.Get(e.ctx, "P-nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing proposal: %v", err)
	}
}

func TestUnplannableNamesOrderAndStep(t *testing.T) {
	e := newEnv(t, testConfig())
	shop(t, e)
	// 20 hours of work in one operation; shifts give 16 h windows.
	e.must(t, e.st.CreateProduct(e.ctx, domain.Product{Code: "BIG", Name: "Big", Unit: "pcs", IdealCycle: 10 * time.Second}))
	e.order(t, "PO-9", "BIG", 7200, 48*time.Hour, 0, "L1", "L2")
	_, err := e.svc.Propose(e.ctx, planning.Request{})
	var ue *planning.UnplannableError
	if !errors.As(err, &ue) || !errors.Is(err, planning.ErrUnplannable) {
		t.Fatalf("err %v, want unplannable", err)
	}
	msg := err.Error()
	for _, want := range []string{"order PO-9 step 1", "WO-9-10", "order PO-9 step 2", "WO-9-20"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not name %q", msg, want)
		}
	}
	ps, err := e.svc.List(e.ctx, "")
	e.must(t, err)
	if len(ps) != 0 {
		t.Fatal("an unplannable request stored a proposal")
	}
}

func TestTriggers(t *testing.T) {
	cfg := testConfig()
	cfg.Auto = true
	e := newEnv(t, cfg)
	shop(t, e)
	approveFirst(t, e)
	e.must(t, e.st.SetLineState(e.ctx, "L2", "down", "F7", t0))
	ps, err := e.svc.CheckTriggers(e.ctx)
	e.must(t, err)
	if len(ps) != 1 || ps[0].Kind != domain.ProposalLineDown || ps[0].Line != "L2" || !strings.HasPrefix(ps[0].Reason, "line L2 down") {
		t.Fatalf("proposals %+v", ps)
	}
	// Rate limit: one pending automatic proposal per line.
	ps, err = e.svc.CheckTriggers(e.ctx)
	e.must(t, err)
	if len(ps) != 0 {
		t.Fatalf("second check proposed again: %+v", ps)
	}

	// Behind plan: L1's work runs since t0 and has made 10 of ~600 expected.
	cur, err := e.svc.Current(e.ctx)
	e.must(t, err)
	var first planning.OpView
	for _, l := range cur.Lines {
		if l.Line == "L1" {
			first = l.Ops[0]
		}
	}
	e.must(t, e.st.StartWorkOrder(e.ctx, first.WorkOrder, first.Start))
	e.clock.t = first.Start.Add(10 * time.Minute)
	ps, err = e.svc.CheckTriggers(e.ctx)
	e.must(t, err)
	if len(ps) != 1 || ps[0].Kind != domain.ProposalBehindPlan || ps[0].Line != "L1" {
		t.Fatalf("behind plan proposals %+v", ps)
	}
}

type tw struct{ t *testing.T }

func (w tw) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

func testWriter(t *testing.T) io.Writer { return tw{t} }

// TestRescheduleUnderASecond: a plant-sized day (4 lines, 40 two-step
// orders) with the default 800 ms budget is proposed in under a second of
// search, plus the store's reads and writes.
func TestRescheduleUnderASecond(t *testing.T) {
	if testing.Short() {
		t.Skip("uses the full default budget")
	}
	cfg := testConfig()
	cfg.Budget, cfg.MaxIterations = planning.DefaultConfig().Budget, 0
	e := newEnv(t, cfg)
	lines := []string{"L1", "L2", "L3", "L4"}
	for _, l := range lines {
		e.must(t, e.st.CreateLine(e.ctx, domain.Line{ID: l, Name: l}))
	}
	for i, p := range []string{"A", "B", "C"} {
		e.must(t, e.st.CreateProduct(e.ctx, domain.Product{Code: p, Name: p, Unit: "pcs", IdealCycle: time.Duration(i+1) * time.Second}))
	}
	for i := range 40 {
		prod := []string{"A", "B", "C"}[i%3]
		e.order(t, "PO-"+strconv.Itoa(100+i), prod, int64(300+60*(i%7)), time.Duration(4+i%20)*time.Hour, i%4,
			lines[i%4], lines[(i+1)%4])
	}
	begin := time.Now()
	p, err := e.svc.Propose(e.ctx, planning.Request{Reason: "manual"})
	e.must(t, err)
	took := time.Since(begin)
	t.Logf("proposal with %d operations in %s, %d late", len(p.Diff.Added), took, p.Diff.LateAfter)
	if took > 1500*time.Millisecond { // 800 ms of search; the rest is slack for a loaded CI box
		t.Errorf("proposal took %s", took)
	}
}
