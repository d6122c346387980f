// Package check is an independent feasibility checker for schedule plans.
//
// It shares only the input and output types with package schedule and none
// of its code, so that a bug in the scheduler's calendar or sequencing logic
// cannot hide itself. It must never change the plan or the problem, and it
// reports every violation it finds, not only the first.
package check

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/linewise/linewise/central/schedule"
)

// Kind classifies a violation.
type Kind string

const (
	Missing     Kind = "missing"     // an operation is not in the plan
	Duplicate   Kind = "duplicate"   // an operation is in the plan twice
	Unknown     Kind = "unknown"     // the plan names an operation or line the problem lacks
	Frozen      Kind = "frozen"      // a frozen operation moved
	Eligibility Kind = "eligibility" // the line is not eligible for the operation
	Duration    Kind = "duration"    // end − start is not the duration on that line
	Routing     Kind = "routing"     // a step starts before the previous step ended
	Release     Kind = "release"     // starts before release or before now
	Material    Kind = "material"    // starts before its NotBefore (material arrival)
	Calendar    Kind = "calendar"    // setup+operation not inside one working window
	Unavailable Kind = "unavailable" // setup+operation overlaps an unavailability window
	Overlap     Kind = "overlap"     // two operations (with setups) overlap on a line
	Setup       Kind = "setup"       // the setup is not the changeover the line needs
)

// Violation is one broken rule.
type Violation struct {
	Kind  Kind
	Order string
	Step  int
	Line  string
	Msg   string
}

func (v Violation) Error() string {
	return fmt.Sprintf("%s: order %s step %d line %s: %s", v.Kind, v.Order, v.Step, v.Line, v.Msg)
}

// Check returns all violations of pl against p joined in one error, or nil.
func Check(p *schedule.Problem, pl *schedule.Plan) error {
	var errs []error
	for _, v := range Violations(p, pl) {
		errs = append(errs, v)
	}
	return errors.Join(errs...)
}

type opKey struct {
	order string
	step  int
}

// Violations lists every violation of pl against p.
func Violations(p *schedule.Problem, pl *schedule.Plan) []Violation {
	var out []Violation
	bad := func(k Kind, op schedule.PlannedOp, format string, a ...any) {
		out = append(out, Violation{Kind: k, Order: op.Order, Step: op.Step, Line: op.Line, Msg: fmt.Sprintf(format, a...)})
	}
	lines := map[string]*schedule.Line{}
	for i := range p.Lines {
		lines[p.Lines[i].ID] = &p.Lines[i]
	}
	orders := map[string]*schedule.Order{}
	for i := range p.Orders {
		orders[p.Orders[i].ID] = &p.Orders[i]
	}
	frozen := map[opKey]schedule.Frozen{}
	for _, f := range p.Frozen {
		frozen[opKey{f.Order, f.Step}] = f
	}
	got := map[opKey]schedule.PlannedOp{}
	byLine := map[string][]schedule.PlannedOp{}
	for _, op := range pl.Ops {
		k := opKey{op.Order, op.Step}
		if _, dup := got[k]; dup {
			bad(Duplicate, op, "scheduled more than once")
			continue
		}
		o := orders[op.Order]
		if o == nil || op.Step < 1 || op.Step > len(o.Ops) {
			bad(Unknown, op, "no such operation in the problem")
			continue
		}
		got[k] = op
		if lines[op.Line] == nil {
			bad(Unknown, op, "no such line")
			continue
		}
		byLine[op.Line] = append(byLine[op.Line], op)
		if f, ok := frozen[k]; ok {
			fs := f.SetupStart
			if fs.IsZero() {
				fs = f.Start
			}
			if f.Line != op.Line || !f.Start.Equal(op.Start) || !f.End.Equal(op.End) || !fs.Equal(op.SetupStart) {
				bad(Frozen, op, "frozen at %s %s–%s, planned at %s %s–%s", f.Line, f.Start.Format(time.RFC3339), f.End.Format(time.RFC3339),
					op.Line, op.Start.Format(time.RFC3339), op.End.Format(time.RFC3339))
			}
			continue
		}
		spec := o.Ops[op.Step-1]
		dur := time.Duration(-1)
		for _, e := range spec.Eligible {
			if e.Line == op.Line {
				dur = e.Duration
			}
		}
		if dur < 0 {
			bad(Eligibility, op, "line is not eligible")
		} else if op.End.Sub(op.Start) != dur {
			bad(Duration, op, "runs %s, needs %s", op.End.Sub(op.Start), dur)
		}
		if op.SetupStart.After(op.Start) {
			bad(Setup, op, "setup starts after the operation")
		}
		if op.SetupStart.Before(p.Now) {
			bad(Release, op, "starts before now")
		}
		if !o.Release.IsZero() && op.Start.Before(o.Release) {
			bad(Release, op, "starts before the order's release")
		}
		if !spec.NotBefore.IsZero() && op.Start.Before(spec.NotBefore) {
			bad(Material, op, "starts before %s, when its material arrives", spec.NotBefore.Format(time.RFC3339))
		}
		l := lines[op.Line]
		if len(l.Calendar) > 0 && !insideOne(merged(l.Calendar), op.SetupStart, op.End) {
			bad(Calendar, op, "%s–%s is not inside one working window", op.SetupStart.Format(time.RFC3339), op.End.Format(time.RFC3339))
		}
		for _, u := range l.Unavailable {
			if op.SetupStart.Before(u.End) && u.Start.Before(op.End) {
				bad(Unavailable, op, "overlaps unavailability %s–%s", u.Start.Format(time.RFC3339), u.End.Format(time.RFC3339))
			}
		}
	}
	for i := range p.Orders {
		o := &p.Orders[i]
		var prev *schedule.PlannedOp
		for s := 1; s <= len(o.Ops); s++ {
			op, ok := got[opKey{o.ID, s}]
			if !ok {
				out = append(out, Violation{Kind: Missing, Order: o.ID, Step: s, Msg: "not scheduled"})
				prev = nil
				continue
			}
			if prev != nil && op.Start.Before(prev.End) {
				bad(Routing, op, "starts %s before step %d ends", prev.End.Sub(op.Start), s-1)
			}
			prev = &op
		}
	}
	ids := make([]string, 0, len(byLine))
	for id := range byLine {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		ops := byLine[id]
		l := lines[id]
		sort.Slice(ops, func(i, j int) bool { return ops[i].Start.Before(ops[j].Start) })
		fam := l.InitialFamily
		for i, op := range ops {
			if i > 0 && op.SetupStart.Before(ops[i-1].End) {
				bad(Overlap, op, "overlaps order %s step %d", ops[i-1].Order, ops[i-1].Step)
			}
			f := orders[op.Order].Ops[op.Step-1].Family
			if _, isFrozen := frozen[opKey{op.Order, op.Step}]; !isFrozen {
				want := time.Duration(0)
				if fam != "" {
					want = l.Changeover[schedule.FamilyPair{From: fam, To: f}]
				}
				if got := op.Start.Sub(op.SetupStart); got != want {
					bad(Setup, op, "setup %s, changeover %q→%q needs %s", got, fam, f, want)
				}
			}
			fam = f
		}
	}
	return out
}

func merged(ws []schedule.Window) []schedule.Window {
	s := append([]schedule.Window(nil), ws...)
	sort.Slice(s, func(i, j int) bool { return s[i].Start.Before(s[j].Start) })
	var out []schedule.Window
	for _, w := range s {
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

func insideOne(ws []schedule.Window, a, b time.Time) bool {
	for _, w := range ws {
		if !a.Before(w.Start) && !b.After(w.End) {
			return true
		}
	}
	return false
}
