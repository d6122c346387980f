package schedule

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Window is a half-open time interval [Start, End).
type Window struct {
	Start, End time.Time
}

// FamilyPair keys a changeover matrix: the setup needed to go from a product
// family to another on one line.
type FamilyPair struct {
	From, To string
}

// Line is a production line (work center) that runs one operation at a time.
type Line struct {
	ID string
	// Calendar lists the working windows. Empty means always available.
	Calendar []Window
	// Unavailable lists windows cut out of the calendar (breakdowns,
	// planned stops).
	Unavailable []Window
	// InitialFamily is the family the line is set up for at Now; empty
	// means the first operation needs no setup.
	InitialFamily string
	// Changeover gives the setup duration between families; a missing pair
	// means no setup.
	Changeover map[FamilyPair]time.Duration
}

// Eligible is one line an operation may run on, with its processing time
// there (quantity × ideal cycle time + fixed setup, computed by the caller).
type Eligible struct {
	Line     string
	Duration time.Duration
}

// Operation is one step of an order's routing.
type Operation struct {
	Family   string
	Eligible []Eligible
	// NotBefore: the operation (not its setup) starts no earlier, e.g.
	// when the material it needs arrives. Zero means no such bound.
	NotBefore time.Time
}

// Order is a production order: operations in routing sequence.
type Order struct {
	ID      string
	Due     time.Time
	Release time.Time // zero means available at Now
	Weight  float64   // priority weight, at least 1
	Ops     []Operation
}

// Frozen pins an operation (already started, or inside the frozen horizon)
// to its line and times. Step is 1-based.
type Frozen struct {
	Order      string
	Step       int
	Line       string
	SetupStart time.Time // zero means equal to Start
	Start, End time.Time
}

// Problem is everything the scheduler needs. It is never modified.
type Problem struct {
	Now     time.Time // the plan's "now": nothing unfrozen starts earlier
	Horizon time.Time // every line must have working time in [Now, Horizon)
	Lines   []Line
	Orders  []Order
	Frozen  []Frozen
}

// Validate reports every problem of p at once, each naming its order and
// step or its line.
func Validate(p *Problem) error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if p.Now.IsZero() {
		add("now is not set")
	}
	if !p.Horizon.After(p.Now) {
		add("horizon %s is not after now %s", p.Horizon.Format(time.RFC3339), p.Now.Format(time.RFC3339))
	}
	if len(p.Lines) == 0 {
		add("no lines")
	}
	lines := make(map[string]*Line, len(p.Lines))
	longest := make(map[string]time.Duration, len(p.Lines)) // longest working window
	for i := range p.Lines {
		l := &p.Lines[i]
		if l.ID == "" {
			add("line %d: empty id", i+1)
			continue
		}
		if lines[l.ID] != nil {
			add("line %s: duplicate id", l.ID)
			continue
		}
		lines[l.ID] = l
		for j, w := range l.Calendar {
			if !w.End.After(w.Start) {
				add("line %s: calendar window %d: end is not after start", l.ID, j+1)
			}
		}
		for j, w := range l.Unavailable {
			if !w.End.After(w.Start) {
				add("line %s: unavailable window %d: end is not after start", l.ID, j+1)
			}
		}
		for k, d := range l.Changeover {
			if d < 0 {
				add("line %s: changeover %s→%s is negative", l.ID, k.From, k.To)
			}
		}
		ws := workingBefore(l, p.Now, time.Time{})
		if len(ws) == 0 || !ws[0].Start.Before(p.Horizon) {
			add("line %s: no working time between now and the horizon", l.ID)
		}
		for _, w := range ws {
			longest[l.ID] = max(longest[l.ID], w.End.Sub(w.Start))
		}
	}
	seen := make(map[string]bool, len(p.Orders))
	for i := range p.Orders {
		o := &p.Orders[i]
		name := o.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
			add("order %s: empty id", name)
		} else if seen[o.ID] {
			add("order %s: duplicate id", o.ID)
		}
		seen[o.ID] = true
		if o.Weight < 1 {
			add("order %s: weight %g is below 1", name, o.Weight)
		}
		if len(o.Ops) == 0 {
			add("order %s: no operations", name)
		}
		for s := range o.Ops {
			op := &o.Ops[s]
			if len(op.Eligible) == 0 {
				add("order %s step %d: no eligible line", name, s+1)
				continue
			}
			dup := make(map[string]bool, len(op.Eligible))
			fits := false
			for _, e := range op.Eligible {
				l := lines[e.Line]
				switch {
				case l == nil:
					add("order %s step %d: unknown line %q", name, s+1, e.Line)
					continue
				case dup[e.Line]:
					add("order %s step %d: line %s listed twice", name, s+1, e.Line)
				case e.Duration <= 0:
					add("order %s step %d: line %s: duration %s is not positive", name, s+1, e.Line, e.Duration)
				}
				dup[e.Line] = true
				if longest[e.Line] >= e.Duration {
					fits = true
				}
			}
			if !fits {
				add("order %s step %d: longer than every working window of its eligible lines", name, s+1)
			}
		}
	}
	byOrder := make(map[string]int, len(p.Orders))
	for i := range p.Orders {
		byOrder[p.Orders[i].ID] = i
	}
	frozen := make(map[[2]any]bool, len(p.Frozen))
	steps := make(map[string][]int)
	for _, f := range p.Frozen {
		oi, ok := byOrder[f.Order]
		switch {
		case !ok:
			add("frozen order %s step %d: unknown order", f.Order, f.Step)
			continue
		case f.Step < 1 || f.Step > len(p.Orders[oi].Ops):
			add("frozen order %s step %d: no such step", f.Order, f.Step)
			continue
		case frozen[[2]any{f.Order, f.Step}]:
			add("frozen order %s step %d: frozen twice", f.Order, f.Step)
			continue
		case lines[f.Line] == nil:
			add("frozen order %s step %d: unknown line %q", f.Order, f.Step, f.Line)
		case !f.End.After(f.Start):
			add("frozen order %s step %d: end is not after start", f.Order, f.Step)
		case !f.SetupStart.IsZero() && f.SetupStart.After(f.Start):
			add("frozen order %s step %d: setup starts after the operation", f.Order, f.Step)
		}
		frozen[[2]any{f.Order, f.Step}] = true
		steps[f.Order] = append(steps[f.Order], f.Step)
	}
	ids := make([]string, 0, len(steps))
	for o := range steps {
		ids = append(ids, o)
	}
	sort.Strings(ids)
	for _, o := range ids {
		ss := steps[o]
		sort.Ints(ss)
		for i, s := range ss {
			if s != i+1 {
				add("frozen order %s step %d: frozen steps must be a prefix of the routing", o, s)
				break
			}
		}
	}
	return errors.Join(errs...)
}

// workingBefore returns the line's working windows (calendar minus
// unavailability, merged) clipped to [from, to); a zero to means unbounded.
func workingBefore(l *Line, from, to time.Time) []Window {
	far := from.Add(100 * 365 * 24 * time.Hour)
	if !to.IsZero() {
		far = to
	}
	cal := l.Calendar
	if len(cal) == 0 {
		cal = []Window{{from, far}}
	}
	out := subtract(mergeWindows(cal), mergeWindows(l.Unavailable))
	var res []Window
	for _, w := range out {
		if w.Start.Before(from) {
			w.Start = from
		}
		if w.End.After(far) {
			w.End = far
		}
		if w.End.After(w.Start) {
			res = append(res, w)
		}
	}
	return res
}

func mergeWindows(ws []Window) []Window {
	s := append([]Window(nil), ws...)
	less := func(i, j int) bool { return s[i].Start.Before(s[j].Start) }
	if !sort.SliceIsSorted(s, less) {
		sort.Slice(s, less)
	}
	var out []Window
	for _, w := range s {
		if !w.End.After(w.Start) {
			continue
		}
		if n := len(out); n > 0 && !w.Start.After(out[n-1].End) {
			if w.End.After(out[n-1].End) {
				out[n-1].End = w.End
			}
			continue
		}
		out = append(out, w)
	}
	return out
}

// subtract removes the (merged, sorted) cuts from the (merged, sorted) windows.
func subtract(ws, cuts []Window) []Window {
	var out []Window
	for _, w := range ws {
		cur := w
		for _, c := range cuts {
			if !c.End.After(cur.Start) || !c.Start.Before(cur.End) {
				continue
			}
			if c.Start.After(cur.Start) {
				out = append(out, Window{cur.Start, c.Start})
			}
			cur.Start = c.End
			if !cur.End.After(cur.Start) {
				break
			}
		}
		if cur.End.After(cur.Start) {
			out = append(out, cur)
		}
	}
	return out
}
