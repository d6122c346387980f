package planning

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/schedule"
)

// planDoc is a plan as stored (in a proposal and as the current plan). Its
// operations are keyed by work order and operation sequence, not by the
// scheduler's step index, so plans computed when different work orders were
// open still compare.
type planDoc struct {
	Now    time.Time      `json:"now"`
	Ops    []docOp        `json:"ops"`
	Orders []docOrder     `json:"orders"`
	Score  schedule.Score `json:"score"`
	Rule   string         `json:"rule,omitempty"`
	// RushLine: a scenario held the rush order to this line.
	RushLine string `json:"rush_line,omitempty"`
	Iters    int    `json:"iterations,omitempty"`
}

type docOp struct {
	Order      string    `json:"order"`
	WorkOrder  string    `json:"work_order"`
	Seq        int       `json:"seq"`
	Line       string    `json:"line"`
	Product    string    `json:"product"`
	Family     string    `json:"family"`
	SetupStart time.Time `json:"setup_start"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Frozen     bool      `json:"frozen"`
	// Tentative: the order was scheduled, not released, when planned.
	Tentative bool `json:"tentative,omitempty"`
}

type docOrder struct {
	Order      string     `json:"order"`
	Product    string     `json:"product"`
	Priority   int        `json:"priority"`
	Due        *time.Time `json:"due"`
	Completion time.Time  `json:"completion"`
}

func decodeDoc(raw json.RawMessage) (*planDoc, error) {
	var d planDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("planning: decode plan: %w", err)
	}
	return &d, nil
}

// fromPlan turns the scheduler's plan of b into a document.
func fromPlan(b *built, pl *schedule.Plan) *planDoc {
	d := &planDoc{Now: b.p.Now, Score: pl.Score, Rule: pl.Rule, Iters: pl.Iterations}
	for _, op := range pl.Ops {
		w := b.work(op.Order, op.Step)
		d.Ops = append(d.Ops, docOp{Order: op.Order, WorkOrder: w.WorkOrderID, Seq: w.OperationSeq, Line: op.Line,
			Product: w.ProductCode, Family: family(*w), SetupStart: op.SetupStart, Start: op.Start, End: op.End, Frozen: op.Frozen,
			Tentative: w.Tentative})
	}
	for _, r := range pl.Orders {
		info := b.orders[r.Order]
		d.Orders = append(d.Orders, docOrder{Order: r.Order, Product: info.Product, Priority: info.Priority, Due: info.Due, Completion: r.Completion})
	}
	return d
}

// baseline is the plan the work orders' stored planned times describe, for
// an installation that has not approved a plan yet.
func baseline(now time.Time, work []domain.PlanWork) *planDoc {
	d := &planDoc{Now: now}
	done := map[string]*docOrder{}
	var order []string
	for _, w := range work {
		if w.PlannedStart == nil || w.PlannedEnd == nil || !w.PlannedEnd.After(*w.PlannedStart) {
			continue
		}
		d.Ops = append(d.Ops, docOp{Order: w.OrderNumber, WorkOrder: w.WorkOrderID, Seq: w.OperationSeq, Line: w.LineID,
			Product: w.ProductCode, Family: family(w), SetupStart: *w.PlannedStart, Start: *w.PlannedStart, End: *w.PlannedEnd})
		o := done[w.OrderNumber]
		if o == nil {
			o = &docOrder{Order: w.OrderNumber, Product: w.ProductCode, Priority: w.Priority, Due: w.Due}
			done[w.OrderNumber] = o
			order = append(order, w.OrderNumber)
		}
		if w.PlannedEnd.After(o.Completion) {
			o.Completion = *w.PlannedEnd
		}
	}
	sort.Strings(order)
	for _, n := range order {
		d.Orders = append(d.Orders, *done[n])
	}
	return d
}

// plan is the document as a scheduler plan keyed by (order, operation seq),
// for schedule.Compare and schedule.FreezeBefore.
func (d *planDoc) plan() *schedule.Plan {
	pl := &schedule.Plan{Score: d.Score}
	for _, op := range d.Ops {
		pl.Ops = append(pl.Ops, schedule.PlannedOp{Order: op.Order, Step: op.Seq, Line: op.Line,
			SetupStart: op.SetupStart, Start: op.Start, End: op.End, Frozen: op.Frozen})
	}
	for _, o := range d.Orders {
		r := schedule.OrderResult{Order: o.Order, Completion: o.Completion}
		if o.Due != nil {
			r.Due = *o.Due
			r.Lateness = o.Completion.Sub(*o.Due)
			r.Tardiness = max(0, r.Lateness)
		}
		pl.Orders = append(pl.Orders, r)
	}
	return pl
}

func (d *planDoc) tardiness() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, o := range d.Orders {
		if o.Due != nil && o.Completion.After(*o.Due) {
			out[o.Order] = o.Completion.Sub(*o.Due)
		}
	}
	return out
}

func secs(d time.Duration) float64 { return d.Seconds() }

// --- what the API shows ---

// OpView is one bar of the Gantt.
type OpView struct {
	Order      string    `json:"order"`
	WorkOrder  string    `json:"work_order"`
	Line       string    `json:"line"`
	Step       int       `json:"step"` // the operation sequence (10, 20, ...)
	Product    string    `json:"product"`
	Family     string    `json:"family"`
	SetupStart time.Time `json:"setup_start"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Late       bool      `json:"late"`
	Frozen     bool      `json:"frozen"`
	// Tentative: planned for an order that is scheduled but not released
	// yet (its work order does not exist); release firms it.
	Tentative bool `json:"tentative"`
}

// LineView is one line of the Gantt.
type LineView struct {
	Line  string   `json:"line"`
	Name  string   `json:"name"`
	State string   `json:"state"`
	Ops   []OpView `json:"ops"`
}

// OrderSummary is an order's completion against its due date.
type OrderSummary struct {
	Order      string     `json:"order"`
	Product    string     `json:"product"`
	Priority   int        `json:"priority"`
	Due        *time.Time `json:"due"`
	Completion time.Time  `json:"completion"`
	Tardiness  float64    `json:"tardiness_s"`
	Late       bool       `json:"late"`
}

// ScheduleView is a plan ready to draw.
type ScheduleView struct {
	Now time.Time `json:"now"`
	// Version of the current plan (0: none approved yet, the work orders'
	// own planned times are shown); ProposalID the proposal it came from.
	Version    int64          `json:"version"`
	ProposalID string         `json:"proposal,omitempty"`
	Source     string         `json:"source"` // "approved", "work_orders" or "proposal"
	Lines      []LineView     `json:"lines"`
	Orders     []OrderSummary `json:"orders"`
	Score      *ScoreView     `json:"score,omitempty"`
}

// ScoreView is a plan's objective, in seconds and counts.
type ScoreView struct {
	WeightedTardinessHours float64 `json:"weighted_tardiness_h"`
	TotalSetup             float64 `json:"total_setup_s"`
	Makespan               float64 `json:"makespan_s"`
	LateOrders             int     `json:"late_orders"`
}

// view draws d over the lines; frozen marks what a re-plan at now would
// keep, tentative what is planned for orders not released yet.
func (s *Service) view(d *planDoc, lines []domain.LineView, now time.Time, frozen, tentative func(docOp) bool) *ScheduleView {
	v := &ScheduleView{Now: now, Lines: []LineView{}, Orders: []OrderSummary{}}
	late := d.tardiness()
	idx := map[string]int{}
	for _, l := range lines {
		st := l.State
		if st == "" {
			st = "no_data"
		}
		idx[l.ID] = len(v.Lines)
		v.Lines = append(v.Lines, LineView{Line: l.ID, Name: l.Name, State: st, Ops: []OpView{}})
	}
	for _, op := range d.Ops {
		i, ok := idx[op.Line]
		if !ok {
			idx[op.Line] = len(v.Lines)
			i = len(v.Lines)
			v.Lines = append(v.Lines, LineView{Line: op.Line, Name: op.Line, State: "unknown", Ops: []OpView{}})
		}
		v.Lines[i].Ops = append(v.Lines[i].Ops, OpView{Order: op.Order, WorkOrder: op.WorkOrder, Line: op.Line, Step: op.Seq, Product: op.Product,
			Family: op.Family, SetupStart: op.SetupStart, Start: op.Start, End: op.End, Late: late[op.Order] > 0, Frozen: frozen(op),
			Tentative: tentative(op)})
	}
	for i := range v.Lines {
		ops := v.Lines[i].Ops
		sort.Slice(ops, func(a, b int) bool { return ops[a].Start.Before(ops[b].Start) })
	}
	for _, o := range d.Orders {
		v.Orders = append(v.Orders, OrderSummary{Order: o.Order, Product: o.Product, Priority: o.Priority, Due: o.Due,
			Completion: o.Completion, Tardiness: secs(late[o.Order]), Late: late[o.Order] > 0})
	}
	if d.Score != (schedule.Score{}) {
		v.Score = &ScoreView{WeightedTardinessHours: d.Score.WeightedTardiness, TotalSetup: secs(d.Score.TotalSetup),
			Makespan: secs(d.Score.Makespan), LateOrders: d.Score.LateOrders}
	}
	return v
}

// --- the diff ---

// MovedOp is an operation on another line or at another time.
type MovedOp struct {
	Order     string    `json:"order"`
	WorkOrder string    `json:"work_order"`
	Step      int       `json:"step"`
	FromLine  string    `json:"from_line"`
	ToLine    string    `json:"to_line"`
	FromStart time.Time `json:"from_start"`
	ToStart   time.Time `json:"to_start"`
	FromEnd   time.Time `json:"from_end"`
	ToEnd     time.Time `json:"to_end"`
	Shift     float64   `json:"shift_s"`
}

// OpRef names an operation.
type OpRef struct {
	Order     string `json:"order"`
	WorkOrder string `json:"work_order"`
	Step      int    `json:"step"`
}

// OrderSlip is an order that completes later (or earlier) than before.
type OrderSlip struct {
	Order          string     `json:"order"`
	Due            *time.Time `json:"due"`
	FromCompletion time.Time  `json:"from_completion"`
	ToCompletion   time.Time  `json:"to_completion"`
	Slip           float64    `json:"slip_s"` // to − from; negative when earlier
	FromTardiness  float64    `json:"from_tardiness_s"`
	ToTardiness    float64    `json:"to_tardiness_s"`
	BecameLate     bool       `json:"became_late"`
	BecameOnTime   bool       `json:"became_on_time"`
	LessLate       bool       `json:"less_late"`
}

// SetupRef is a changeover in one plan.
type SetupRef struct {
	Line       string  `json:"line"`
	Order      string  `json:"order"`
	WorkOrder  string  `json:"work_order"`
	Step       int     `json:"step"`
	FromFamily string  `json:"from_family"`
	ToFamily   string  `json:"to_family"`
	Setup      float64 `json:"setup_s"`
}

// DiffView is what a proposal changes against the plan it was computed on:
// the substance of its impact report.
type DiffView struct {
	Moved   []MovedOp `json:"moved"`
	Added   []OpRef   `json:"added"`
	Removed []OpRef   `json:"removed"`
	// Slips: orders completing later; Gains: earlier.
	Slips []OrderSlip `json:"slips"`
	Gains []OrderSlip `json:"gains"`
	// DueDatesLost: on time before, late now. DueDatesWon: the reverse.
	DueDatesLost  []string   `json:"due_dates_lost"`
	DueDatesWon   []string   `json:"due_dates_won"`
	SetupsAdded   []SetupRef `json:"setups_added"`
	SetupsRemoved []SetupRef `json:"setups_removed"`
	SetupBefore   float64    `json:"setup_before_s"`
	SetupAfter    float64    `json:"setup_after_s"`
	LateBefore    int        `json:"late_before"`
	LateAfter     int        `json:"late_after"`
	// Late lists every order late in the proposed plan (a rush order
	// itself included), with its tardiness.
	Late []LateOrder `json:"late"`
}

// LateOrder is an order that completes after its due date.
type LateOrder struct {
	Order     string  `json:"order"`
	Tardiness float64 `json:"tardiness_s"`
}

func diffDocs(old, new *planDoc) DiffView {
	d := schedule.Compare(old.plan(), new.plan())
	wo := map[[2]any]docOp{}
	for _, op := range old.Ops {
		wo[[2]any{op.Order, op.Seq}] = op
	}
	for _, op := range new.Ops {
		wo[[2]any{op.Order, op.Seq}] = op
	}
	newOp := map[[2]any]docOp{}
	for _, op := range new.Ops {
		newOp[[2]any{op.Order, op.Seq}] = op
	}
	oldOp := map[[2]any]docOp{}
	for _, op := range old.Ops {
		oldOp[[2]any{op.Order, op.Seq}] = op
	}
	v := DiffView{Moved: []MovedOp{}, Added: []OpRef{}, Removed: []OpRef{}, Slips: []OrderSlip{}, Gains: []OrderSlip{},
		DueDatesLost: []string{}, DueDatesWon: []string{}}
	for _, m := range d.Moved {
		k := [2]any{m.Order, m.Step}
		v.Moved = append(v.Moved, MovedOp{Order: m.Order, WorkOrder: wo[k].WorkOrder, Step: m.Step, FromLine: m.FromLine, ToLine: m.ToLine,
			FromStart: m.FromStart, ToStart: m.ToStart, FromEnd: oldOp[k].End, ToEnd: newOp[k].End, Shift: secs(m.Shift)})
	}
	for _, r := range d.Added {
		v.Added = append(v.Added, OpRef{Order: r.Order, WorkOrder: wo[[2]any{r.Order, r.Step}].WorkOrder, Step: r.Step})
	}
	for _, r := range d.Removed {
		v.Removed = append(v.Removed, OpRef{Order: r.Order, WorkOrder: wo[[2]any{r.Order, r.Step}].WorkOrder, Step: r.Step})
	}
	dues := map[string]*time.Time{}
	for _, o := range new.Orders {
		dues[o.Order] = o.Due
	}
	slip := func(c schedule.OrderChange) OrderSlip {
		return OrderSlip{Order: c.Order, Due: dues[c.Order], FromCompletion: c.FromCompletion, ToCompletion: c.ToCompletion,
			Slip: secs(c.ToCompletion.Sub(c.FromCompletion)), FromTardiness: secs(c.FromTardiness), ToTardiness: secs(c.ToTardiness),
			BecameLate: c.BecameLate, BecameOnTime: c.BecameOnTime, LessLate: c.ToTardiness < c.FromTardiness}
	}
	for _, c := range d.Later {
		v.Slips = append(v.Slips, slip(c))
	}
	for _, c := range d.Earlier {
		s := slip(c)
		v.Gains = append(v.Gains, s)
		if s.BecameOnTime {
			v.DueDatesWon = append(v.DueDatesWon, c.Order)
		}
	}
	v.DueDatesLost = append(v.DueDatesLost, d.NewlyLate...)
	oldSetups, newSetups := setups(old), setups(new)
	key := func(s SetupRef) string { return fmt.Sprintf("%s|%s|%d|%s", s.Line, s.Order, s.Step, s.FromFamily) }
	have := map[string]bool{}
	for _, s := range oldSetups {
		have[key(s)] = true
		v.SetupBefore += s.Setup
	}
	v.SetupsAdded, v.SetupsRemoved = []SetupRef{}, []SetupRef{}
	now := map[string]bool{}
	for _, s := range newSetups {
		now[key(s)] = true
		v.SetupAfter += s.Setup
		if !have[key(s)] {
			v.SetupsAdded = append(v.SetupsAdded, s)
		}
	}
	for _, s := range oldSetups {
		if !now[key(s)] {
			v.SetupsRemoved = append(v.SetupsRemoved, s)
		}
	}
	late := new.tardiness()
	v.LateBefore, v.LateAfter = len(old.tardiness()), len(late)
	v.Late = []LateOrder{}
	for _, o := range new.Orders {
		if late[o.Order] > 0 {
			v.Late = append(v.Late, LateOrder{Order: o.Order, Tardiness: secs(late[o.Order])})
		}
	}
	return v
}

// setups lists the changeovers of a plan: operations whose setup is not
// empty, with the family that ran before them on the line.
func setups(d *planDoc) []SetupRef {
	byLine := map[string][]docOp{}
	for _, op := range d.Ops {
		byLine[op.Line] = append(byLine[op.Line], op)
	}
	lines := make([]string, 0, len(byLine))
	for l := range byLine {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	var out []SetupRef
	for _, l := range lines {
		ops := byLine[l]
		sort.Slice(ops, func(i, j int) bool { return ops[i].Start.Before(ops[j].Start) })
		prev := ""
		for _, op := range ops {
			if op.Start.After(op.SetupStart) {
				out = append(out, SetupRef{Line: l, Order: op.Order, WorkOrder: op.WorkOrder, Step: op.Seq,
					FromFamily: prev, ToFamily: op.Family, Setup: secs(op.Start.Sub(op.SetupStart))})
			}
			prev = op.Family
		}
	}
	return out
}
