package planning

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/schedule"
)

// noDue stands in for a missing due date: far enough that it never counts.
const noDue = 365 * 24 * time.Hour

// rushSpec overrides one order's priority and due date in a problem.
type rushSpec struct {
	Order    string
	Priority *int
	Due      *time.Time
	// Line, if set, is where the order's operations run wherever it is
	// eligible (a scenario: "insert the rush on L1").
	Line string
}

// orderInfo is what a plan document keeps about an order.
type orderInfo struct {
	Number   string
	Product  string
	Priority int
	Due      *time.Time
}

// built is a scheduling problem with the way back from its steps (1-based
// indexes into the open work orders of an order) to work orders.
type built struct {
	p     *schedule.Problem
	steps map[string][]domain.PlanWork // by order, in step order
	// rushOnLine counts the rush order's operations held to rush.Line
	rushOnLine int
	orders     map[string]orderInfo
	names      map[string]string // line id → name
}

// work returns the work order of order's 1-based step, or nil.
func (b *built) work(order string, step int) *domain.PlanWork {
	ws := b.steps[order]
	if step < 1 || step > len(ws) {
		return nil
	}
	return &ws[step-1]
}

func (s *Service) calendar(line string, now time.Time, mc masterCalendars) []schedule.Window {
	shifts := s.cfg.Shifts
	if ls, ok := s.cfg.LineShifts[line]; ok {
		shifts = ls
	}
	loc := s.loc
	if c, ok := mc[line]; ok && len(c.shifts) > 0 {
		// Master data wins over the configuration: the line's own shifts,
		// in its site's time zone (else the configured one).
		shifts = c.shifts
		if c.loc != nil {
			loc = c.loc
		}
	}
	if len(shifts) == 0 {
		return nil // around the clock
	}
	day := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -1)
	var out []schedule.Window
	for d := 0; d <= s.cfg.CalendarDays+1; d++ {
		base := day.AddDate(0, 0, d)
		for _, sh := range shifts {
			// A shift belongs to the day it starts on, in the calendar's zone.
			if days, _ := domain.ParseWeekdays(sh.Days); !days.Has(base.Weekday()) {
				continue
			}
			a, _ := clock(sh.Start) // validated in New
			b, _ := clock(sh.End)
			start := base.Add(a)
			end := base.Add(b)
			if b <= a {
				end = end.Add(24 * time.Hour)
			}
			out = append(out, schedule.Window{Start: start.UTC(), End: end.UTC()})
		}
	}
	if len(out) == 0 {
		// Shifts whose days fall outside a short calendar: no working time
		// at all, which an empty calendar (around the clock) would not say.
		return []schedule.Window{{Start: day.Add(-time.Minute).UTC(), End: day.UTC()}}
	}
	return out
}

// build turns the open work, the lines and the current plan into a problem.
func (s *Service) build(now time.Time, work []domain.PlanWork, lines []domain.LineView, mc masterCalendars, current *schedule.Plan, rush *rushSpec) *built {
	b := &built{steps: map[string][]domain.PlanWork{}, orders: map[string]orderInfo{}, names: map[string]string{}}
	p := &schedule.Problem{Now: now, Horizon: now.Add(7 * 24 * time.Hour)}
	if days := time.Duration(s.cfg.CalendarDays) * 24 * time.Hour; days < 7*24*time.Hour {
		p.Horizon = now.Add(days)
	}
	down := map[string]bool{}
	active := map[string]string{} // line → family of the work in progress
	famOf := map[string]string{}  // product → family
	for _, w := range work {
		famOf[w.ProductCode] = family(w)
		if w.Status == domain.StatusInProgress {
			active[w.LineID] = family(w)
		}
	}
	for _, l := range lines {
		b.names[l.ID] = l.Name
		sl := schedule.Line{ID: l.ID, Calendar: s.calendar(l.ID, now, mc), InitialFamily: active[l.ID]}
		if l.Active != nil && sl.InitialFamily == "" {
			sl.InitialFamily = l.Active.ProductCode
			if f, ok := famOf[l.Active.ProductCode]; ok {
				sl.InitialFamily = f
			}
		}
		for _, st := range s.cfg.PlannedStops {
			if st.Line == l.ID {
				sl.Unavailable = append(sl.Unavailable, schedule.Window{Start: st.Start.UTC(), End: st.End.UTC()})
			}
		}
		for _, st := range mc[l.ID].stops {
			if st.End.After(now) {
				sl.Unavailable = append(sl.Unavailable, schedule.Window{Start: st.Start.UTC(), End: st.End.UTC()})
			}
		}
		if l.State == "down" {
			down[l.ID] = true
			sl.Unavailable = append(sl.Unavailable, schedule.Window{Start: now, End: now.Add(s.cfg.RepairTime)})
		}
		if s.cfg.Changeover > 0 || mc[l.ID].changeovers != nil {
			sl.Changeover = map[schedule.FamilyPair]time.Duration{}
		}
		p.Lines = append(p.Lines, sl)
	}
	// Changeovers between every pair of families present: the line's
	// master-data matrix where it lists the pair, else the configured one.
	fams := map[string]bool{}
	for _, w := range work {
		fams[family(w)] = true
	}
	for i := range p.Lines {
		if p.Lines[i].Changeover == nil {
			continue
		}
		matrix := mc[p.Lines[i].ID].changeovers
		for a := range fams {
			for c := range fams {
				if a == c {
					continue
				}
				pair := schedule.FamilyPair{From: a, To: c}
				d, ok := matrix[pair]
				if !ok {
					d = s.cfg.Changeover
				}
				if d > 0 {
					p.Lines[i].Changeover[pair] = d
				}
			}
		}
	}

	for _, w := range work {
		b.steps[w.OrderNumber] = append(b.steps[w.OrderNumber], w)
	}
	numbers := make([]string, 0, len(b.steps))
	for n := range b.steps {
		numbers = append(numbers, n)
	}
	sort.Strings(numbers)
	for _, n := range numbers {
		ws := b.steps[n]
		sort.SliceStable(ws, func(i, j int) bool { return ws[i].OperationSeq < ws[j].OperationSeq })
		info := orderInfo{Number: n, Product: ws[0].ProductCode, Priority: ws[0].Priority, Due: ws[0].Due}
		if rush != nil && rush.Order == n {
			if rush.Priority != nil {
				info.Priority = *rush.Priority
			}
			if rush.Due != nil {
				d := *rush.Due
				info.Due = &d
			}
		}
		b.orders[n] = info
		o := schedule.Order{ID: n, Weight: float64(1 + max(info.Priority, 0)), Due: now.Add(noDue)}
		if info.Due != nil {
			o.Due = *info.Due
		}
		for _, w := range ws {
			d := duration(w)
			el := []schedule.Eligible{{Line: w.LineID, Duration: d}}
			for _, alt := range s.cfg.Alternates[w.LineID] {
				if alt != w.LineID {
					el = append(el, schedule.Eligible{Line: alt, Duration: d})
				}
			}
			if rush != nil && rush.Order == n && rush.Line != "" {
				for _, e := range el {
					if e.Line == rush.Line {
						el = []schedule.Eligible{e}
						b.rushOnLine++
						break
					}
				}
			}
			o.Ops = append(o.Ops, schedule.Operation{Family: family(w), Eligible: el})
		}
		p.Orders = append(p.Orders, o)
	}
	p.Frozen = s.frozen(now, b, current, down)
	b.p = p
	return b
}

// materialBounds makes every operation whose material arrives after now
// start no earlier than its arrival.
func (b *built) materialBounds(arrivals map[string]time.Time) {
	if len(arrivals) == 0 {
		return
	}
	for i := range b.p.Orders {
		o := &b.p.Orders[i]
		for k := range o.Ops {
			if w := b.work(o.ID, k+1); w != nil {
				if at, ok := arrivals[w.WorkOrderID]; ok && at.After(b.p.Now) {
					o.Ops[k].NotBefore = at.UTC()
				}
			}
		}
	}
}

// family is the changeover family w plans as: its product's family, else
// the product code.
func family(w domain.PlanWork) string {
	if w.Family != "" {
		return w.Family
	}
	return w.ProductCode
}

// remaining is what is left to make of a work order (at least one part, so
// an open work order never plans as nothing).
func remaining(w domain.PlanWork) int64 { return max(w.Quantity-w.Good, 1) }

// duration is remaining quantity × ideal cycle + the operation's fixed setup.
func duration(w domain.PlanWork) time.Duration {
	if w.IdealCycle <= 0 {
		return 0 // Validate names it
	}
	return time.Duration(remaining(w))*w.IdealCycle + w.Setup
}

// frozen decides what does not move: work in progress keeps its line and
// start (its end is the later of the plan's and now + what remains, plus the
// repair time on a line that is down), and work the current plan starts
// within the freeze horizon keeps its line and times, unless its line is
// down or the running work now overlaps it. Frozen steps of an order must be
// a prefix of its open steps; later ones are re-planned.
func (s *Service) frozen(now time.Time, b *built, current *schedule.Plan, down map[string]bool) []schedule.Frozen {
	type cand struct {
		f   schedule.Frozen
		wip bool
	}
	planned := map[[2]any]schedule.PlannedOp{}
	if current != nil {
		for _, op := range current.Ops {
			planned[[2]any{op.Order, op.Step}] = op
		}
	}
	imminent := map[[2]any]bool{}
	if current != nil {
		for _, f := range schedule.FreezeBefore(current, now.Add(s.cfg.FreezeHorizon)) {
			if !f.SetupStart.Before(now) { // not started in the plan's sense but due to start soon
				imminent[[2]any{f.Order, f.Step}] = true
			}
		}
	}
	byLine := map[string][]*cand{}
	var all []*cand
	for order, ws := range b.steps {
		for i, w := range ws {
			k := [2]any{order, w.OperationSeq}
			op, inPlan := planned[k]
			var c *cand
			switch {
			case w.Status == domain.StatusInProgress:
				start := now
				if inPlan && !op.Start.After(now) && op.Line == w.LineID {
					start = op.Start
				} else if w.ActualStart != nil && !w.ActualStart.After(now) {
					start = *w.ActualStart
				}
				setup := start
				if inPlan && op.Line == w.LineID && op.SetupStart.Before(start) && op.Start.Equal(start) {
					setup = op.SetupStart
				}
				left := time.Duration(remaining(w)) * w.IdealCycle
				if down[w.LineID] {
					left += s.cfg.RepairTime
				}
				end := now.Add(left)
				if inPlan && op.End.After(end) && op.Line == w.LineID {
					end = op.End
				}
				if !end.After(start) {
					end = start.Add(time.Second)
				}
				c = &cand{f: schedule.Frozen{Order: order, Step: i + 1, Line: w.LineID, SetupStart: setup, Start: start, End: end}, wip: true}
			case inPlan && imminent[k] && !down[op.Line] && op.End.After(op.Start):
				c = &cand{f: schedule.Frozen{Order: order, Step: i + 1, Line: op.Line, SetupStart: op.SetupStart, Start: op.Start, End: op.End}}
			}
			if c != nil {
				byLine[c.f.Line] = append(byLine[c.f.Line], c)
				all = append(all, c)
			}
		}
	}
	// Drop frozen work that overlaps earlier frozen work on its line (the
	// running order overran, or an old plan was inconsistent).
	drop := map[*cand]bool{}
	for _, cs := range byLine {
		sort.Slice(cs, func(i, j int) bool {
			if cs[i].wip != cs[j].wip {
				return cs[i].wip
			}
			return cs[i].f.SetupStart.Before(cs[j].f.SetupStart)
		})
		var kept []*cand
		for _, c := range cs {
			ok := true
			for _, k := range kept {
				if c.f.SetupStart.Before(k.f.End) && k.f.SetupStart.Before(c.f.End) {
					ok = false
					break
				}
			}
			if ok {
				kept = append(kept, c)
			} else {
				drop[c] = true
			}
		}
	}
	steps := map[string]map[int]schedule.Frozen{}
	for _, c := range all {
		if drop[c] {
			continue
		}
		if steps[c.f.Order] == nil {
			steps[c.f.Order] = map[int]schedule.Frozen{}
		}
		steps[c.f.Order][c.f.Step] = c.f
	}
	var out []schedule.Frozen
	for _, m := range steps {
		var prev *schedule.Frozen
		for st := 1; ; st++ {
			f, ok := m[st]
			if !ok || (prev != nil && f.Start.Before(prev.End)) {
				break // not a prefix, or the step before now ends later
			}
			out = append(out, f)
			prev = &f
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].Step < out[j].Step
	})
	return out
}

var stepRE = regexp.MustCompile(`order (\S+) step (\d+)`)

// explain adds the work order and operation to every "order X step N" of a
// scheduler message, since steps count only the open work orders.
func (b *built) explain(msg string) string {
	return stepRE.ReplaceAllStringFunc(msg, func(m string) string {
		sub := stepRE.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sub[2])
		if w := b.work(sub[1], n); w != nil {
			return fmt.Sprintf("%s (work order %s, operation %d on line %s)", m, w.WorkOrderID, w.OperationSeq, w.LineID)
		}
		return m
	})
}

// problems splits a joined error into its lines.
func problems(err error) []string {
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(strings.TrimPrefix(l, "invalid problem: ")); l != "" {
			out = append(out, l)
		}
	}
	return out
}
