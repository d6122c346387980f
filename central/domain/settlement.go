package domain

import (
	"sort"
	"time"
)

// Run is one interval a work order ran on its line, from a start or resume
// scan to a pause or completion; End is nil while it runs. Operator is who
// started (or resumed) it.
type Run struct {
	WorkOrder string
	Line      string
	Start     time.Time
	End       *time.Time
	Operator  string
}

// StateChange is a line entering a machine state (a wire state name).
type StateChange struct {
	At    time.Time
	State string
}

// OperatorTime is labour booked by one operator.
type OperatorTime struct {
	Operator      string  `json:"operator"`
	LabourSeconds float64 `json:"labour_s"`
}

// WorkOrderSettlement is one work order's share of a settlement.
type WorkOrderSettlement struct {
	WorkOrder      string      `json:"work_order"`
	Status         OrderStatus `json:"status"`
	Good           int64       `json:"good"`
	Scrap          int64       `json:"scrap"`
	LabourSeconds  float64     `json:"labour_s"`
	MachineSeconds float64     `json:"machine_s"`
}

// Settlement rolls an order's work orders up: good and scrap parts, labour
// time (the sum of run intervals, per operator who started or resumed the
// run) and machine time (the part of those intervals the line was running).
// While the order is open it is computed on every read; closing the order
// freezes it (Frozen, ClosedAt), and later events or edits do not change it.
type Settlement struct {
	Order          string                `json:"order"`
	Good           int64                 `json:"good"`
	Scrap          int64                 `json:"scrap"`
	LabourSeconds  float64               `json:"labour_s"`
	MachineSeconds float64               `json:"machine_s"`
	Labour         []OperatorTime        `json:"labour"`
	WorkOrders     []WorkOrderSettlement `json:"work_orders"`
	Frozen         bool                  `json:"frozen"`
	ClosedAt       *time.Time            `json:"closed_at,omitempty"`
	ComputedAt     time.Time             `json:"computed_at"`
}

// Settle computes a settlement of order from its work orders, their runs
// and the state changes of their lines (each line's changes in time order,
// starting at or before its first run, so the state at a run's start is
// known). Open runs count up to now.
func Settle(order string, wos []WorkOrder, runs []Run, states map[string][]StateChange, running string, now time.Time) Settlement {
	st := Settlement{Order: order, Labour: []OperatorTime{}, WorkOrders: []WorkOrderSettlement{}, ComputedAt: now}
	byWO := map[string]*WorkOrderSettlement{}
	for _, w := range wos {
		st.WorkOrders = append(st.WorkOrders, WorkOrderSettlement{WorkOrder: w.ID, Status: w.Status, Good: w.Good, Scrap: w.Reject})
		st.Good += w.Good
		st.Scrap += w.Reject
	}
	for i := range st.WorkOrders {
		byWO[st.WorkOrders[i].WorkOrder] = &st.WorkOrders[i]
	}
	labour := map[string]time.Duration{}
	for _, r := range runs {
		end := now
		if r.End != nil {
			end = *r.End
		}
		if !end.After(r.Start) {
			continue
		}
		l := end.Sub(r.Start)
		m := runningWithin(states[r.Line], running, r.Start, end)
		labour[r.Operator] += l
		if w := byWO[r.WorkOrder]; w != nil {
			w.LabourSeconds += l.Seconds()
			w.MachineSeconds += m.Seconds()
		}
		st.LabourSeconds += l.Seconds()
		st.MachineSeconds += m.Seconds()
	}
	for op, d := range labour {
		st.Labour = append(st.Labour, OperatorTime{Operator: op, LabourSeconds: d.Seconds()})
	}
	sort.Slice(st.Labour, func(i, j int) bool { return st.Labour[i].Operator < st.Labour[j].Operator })
	return st
}

// runningWithin is how long, within [from, to), the line was in state
// running according to its changes (sorted by time).
func runningWithin(changes []StateChange, running string, from, to time.Time) time.Duration {
	var total time.Duration
	for i, c := range changes {
		if c.State != running {
			continue
		}
		start := c.At
		end := to
		if i+1 < len(changes) {
			end = changes[i+1].At
		}
		if start.Before(from) {
			start = from
		}
		if end.After(to) {
			end = to
		}
		if end.After(start) {
			total += end.Sub(start)
		}
	}
	return total
}
