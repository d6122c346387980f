package schedule

import "time"

// OpChange is one operation that differs between two plans.
type OpChange struct {
	Order              string
	Step               int
	FromLine, ToLine   string
	FromStart, ToStart time.Time
	Shift              time.Duration // ToStart − FromStart
}

// OrderChange is an order whose completion differs between two plans.
type OrderChange struct {
	Order                        string
	Due                          time.Time
	FromCompletion, ToCompletion time.Time
	FromTardiness, ToTardiness   time.Duration
	BecameLate, BecameOnTime     bool
}

// OpRef names an operation present in only one of two plans.
type OpRef struct {
	Order string
	Step  int
}

// Diff is what changes from one plan to another: the substance of a
// reschedule proposal or a rush-order impact report.
type Diff struct {
	Moved   []OpChange    // on another line or at another start
	Added   []OpRef       // only in the new plan (a rush order)
	Removed []OpRef       // only in the old plan
	Later   []OrderChange // completes later than before
	Earlier []OrderChange // completes earlier than before
	// NewlyLate lists the orders on time before and late now.
	NewlyLate []string
}

// Compare reports the differences from old to new, in new's order.
func Compare(old, new *Plan) Diff {
	var d Diff
	type key struct {
		o string
		s int
	}
	before := make(map[key]PlannedOp, len(old.Ops))
	for _, op := range old.Ops {
		before[key{op.Order, op.Step}] = op
	}
	seen := make(map[key]bool, len(new.Ops))
	for _, op := range new.Ops {
		k := key{op.Order, op.Step}
		seen[k] = true
		b, ok := before[k]
		if !ok {
			d.Added = append(d.Added, OpRef{op.Order, op.Step})
			continue
		}
		if b.Line != op.Line || !b.Start.Equal(op.Start) {
			d.Moved = append(d.Moved, OpChange{Order: op.Order, Step: op.Step, FromLine: b.Line, ToLine: op.Line,
				FromStart: b.Start, ToStart: op.Start, Shift: op.Start.Sub(b.Start)})
		}
	}
	for _, op := range old.Ops {
		if !seen[key{op.Order, op.Step}] {
			d.Removed = append(d.Removed, OpRef{op.Order, op.Step})
		}
	}
	prev := make(map[string]OrderResult, len(old.Orders))
	for _, o := range old.Orders {
		prev[o.Order] = o
	}
	for _, o := range new.Orders {
		b, ok := prev[o.Order]
		if !ok || b.Completion.Equal(o.Completion) {
			continue
		}
		c := OrderChange{Order: o.Order, Due: o.Due, FromCompletion: b.Completion, ToCompletion: o.Completion,
			FromTardiness: b.Tardiness, ToTardiness: o.Tardiness,
			BecameLate: b.Tardiness == 0 && o.Tardiness > 0, BecameOnTime: b.Tardiness > 0 && o.Tardiness == 0}
		if o.Completion.After(b.Completion) {
			d.Later = append(d.Later, c)
		} else {
			d.Earlier = append(d.Earlier, c)
		}
		if c.BecameLate {
			d.NewlyLate = append(d.NewlyLate, o.Order)
		}
	}
	return d
}
