package oee

import "time"

// Interval classes: what a state interval counts as in the OEE.
const (
	ClassRun         = "run"
	ClassBreakdown   = "breakdown"
	ClassSmallStop   = "small_stop"
	ClassIdle        = "idle"
	ClassSetup       = "setup"
	ClassPlannedStop = "planned_stop"
	ClassNoData      = "no_data"
)

// Interval is one state interval of the line, cut to the observed period.
type Interval struct {
	State    string    `json:"state"`
	Class    string    `json:"class"`
	Code     string    `json:"code"`
	Label    string    `json:"label"`
	Category string    `json:"category"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Time     Dur       `json:"time_s"`
	// Whole is the interval's whole length, also beyond the period (what
	// decides breakdown or small stop); an interval still going on at
	// the period's end lasts until then.
	Whole Dur `json:"whole_s"`
	// PlannedBusy is the part of Time inside planned busy time (shift
	// time outside planned stops): the part that is a loss.
	PlannedBusy Dur    `json:"planned_busy_s"`
	WorkOrder   string `json:"work_order"` // running when the interval began in the period
}

// Intervals lists the line's state intervals over in's period, in time
// order, classified as Compute counts them.
func Intervals(in Input) []Interval {
	if in.SmallStop <= 0 {
		in.SmallStop = DefaultSmallStop
	}
	end := in.To
	if !in.Now.IsZero() && in.Now.Before(end) {
		end = in.Now
	}
	out := []Interval{}
	if !end.After(in.From) {
		return out
	}
	shifts, stops := merge(in.Shifts), merge(in.PlannedStops)
	stints := buildStints(in, end)
	runs := append([]Run(nil), in.Runs...)
	for _, s := range stints {
		a, b := s.Start, s.End
		if a.Before(in.From) {
			a = in.From
		}
		if !b.After(a) {
			continue
		}
		iv := Interval{State: s.state, Code: s.reason.Code, Label: s.reason.Label, Category: s.reason.Category,
			Start: a, End: b, Time: Dur(b.Sub(a)), Whole: Dur(s.End.Sub(s.Start)), WorkOrder: runAt(runs, a).WorkOrder}
		if s.state == StateRunning || (s.state == StateNoData && iv.Label == NoReason) {
			iv.Label = "" // a reason names why a line stopped
		}
		switch s.class() {
		case StateRunning:
			iv.Class = ClassRun
		case StateDown:
			iv.Class = ClassSmallStop
			if s.long {
				iv.Class = ClassBreakdown
			}
		case StateIdle:
			iv.Class = ClassIdle
		case StateSetup:
			iv.Class = ClassSetup
		case StatePlannedStop:
			iv.Class = ClassPlannedStop
		default:
			iv.Class = ClassNoData
		}
		if iv.Class != ClassPlannedStop && iv.Class != ClassNoData {
			for _, seg := range segments(a, b, nil, shifts, stops, nil) {
				if (in.AroundTheClock || covering(shifts, seg.Start) >= 0) && covering(stops, seg.Start) < 0 {
					iv.PlannedBusy += Dur(seg.End.Sub(seg.Start))
				}
			}
		}
		out = append(out, iv)
	}
	return out
}
