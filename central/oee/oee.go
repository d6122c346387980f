package oee

import (
	"sort"
	"time"
)

// Defaults of Input's thresholds.
const (
	DefaultSmallStop = 5 * time.Minute
	DefaultStartup   = 10 * time.Minute
)

// Line states, as the edge reports them (edge/wire).
const (
	StateRunning     = "running"
	StateIdle        = "idle"
	StateDown        = "down"
	StateSetup       = "setup"
	StatePlannedStop = "planned_stop"
	StateNoData      = "no_data"
)

// StateChange is a state the line entered at At.
type StateChange struct {
	At     time.Time
	State  string
	Reason string
}

// Count is one count event: parts made, by its source time, and the work
// order (with its order and product) it is attributed to; "" if none.
type Count struct {
	At        time.Time
	Good      int64
	Reject    int64
	WorkOrder string
	Order     string
	Product   string
}

// Run is a span in which a work order ran on the line; a zero End is open.
type Run struct {
	WorkOrder string
	Order     string
	Product   string
	Start     time.Time
	End       time.Time
}

// Input is everything the computation needs about one line and period.
type Input struct {
	From, To time.Time
	// Now cuts the period: later time is not observed yet. Zero: To.
	Now time.Time
	// Shifts are the line's shift windows (see ShiftWindows), unless
	// AroundTheClock says every hour is shift time.
	Shifts         []Window
	AroundTheClock bool
	// PlannedStops are the calendar's planned stops of the line.
	PlannedStops []Window
	// States in any order; include the last change before From (else the
	// line is taken to be in no_data until its first change) and the first
	// at or after To (it tells how long a stop across To lasted).
	States []StateChange
	Counts []Count
	Runs   []Run
	// IdealCycle is each product's ideal cycle time on this line.
	IdealCycle map[string]time.Duration
	Reasons    ReasonMap
	// SmallStop and Startup: see the package doc; zero takes the defaults.
	SmallStop time.Duration
	Startup   time.Duration
}

// Losses are the six big losses as time, with their stop and part counts.
type Losses struct {
	Breakdowns            Dur   `json:"breakdowns_s"`
	SetupChangeover       Dur   `json:"setup_changeover_s"`
	SmallStops            Dur   `json:"small_stops_s"`
	ReducedSpeed          *Dur  `json:"reduced_speed_s"` // nil: a product lacks its ideal cycle
	StartupRejects        Dur   `json:"startup_rejects_s"`
	ProductionRejects     Dur   `json:"production_rejects_s"`
	BreakdownCount        int   `json:"breakdown_count"`
	SmallStopCount        int   `json:"small_stop_count"`
	StartupRejectCount    int64 `json:"startup_reject_count"`
	ProductionRejectCount int64 `json:"production_reject_count"`
}

// Figures are the times, quantities and ratios of the line or of one group.
// A ratio is nil when its denominator is zero or an ideal cycle is missing.
type Figures struct {
	CalendarTime        Dur      `json:"calendar_time_s"`
	ShiftTime           Dur      `json:"shift_time_s"`
	PlannedStopTime     Dur      `json:"planned_stop_time_s"`
	NoDataTime          Dur      `json:"no_data_time_s"`
	PlannedBusyTime     Dur      `json:"planned_busy_time_s"`
	RunTime             Dur      `json:"run_time_s"`
	DownTime            Dur      `json:"down_time_s"`
	IdleTime            Dur      `json:"idle_time_s"`
	SetupTime           Dur      `json:"setup_time_s"`
	Good                int64    `json:"good"`
	Reject              int64    `json:"reject"`
	Produced            int64    `json:"produced"`
	OutsideShiftGood    int64    `json:"outside_shift_good"`
	OutsideShiftReject  int64    `json:"outside_shift_reject"`
	NetRunTime          *Dur     `json:"net_run_time_s"`          // Σ ideal cycle × produced
	FullyProductiveTime *Dur     `json:"fully_productive_time_s"` // Σ ideal cycle × good
	Availability        *float64 `json:"availability"`
	Performance         *float64 `json:"performance"`
	Quality             *float64 `json:"quality"`
	OEE                 *float64 `json:"oee"`
	TEEP                *float64 `json:"teep"`
	MissingIdealCycle   []string `json:"missing_ideal_cycle,omitempty"`
	Losses              Losses   `json:"losses"`
}

// Group is the share of one work order or product.
type Group struct {
	WorkOrder string `json:"work_order"` // "": time and parts with no work order
	Order     string `json:"order"`
	Product   string `json:"product"`
	Figures
}

// Result is a line's OEE over a period.
type Result struct {
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	ObservedTo time.Time `json:"observed_to"` // To, or Now when earlier
	Figures
	// Reasons is the unplanned stop time by state and reason, longest first.
	Reasons []ReasonTime `json:"downtime_reasons"`
	// WorkOrders and Products split the figures by the work order that ran
	// (time) or was credited (counts); "" is time and parts with none.
	WorkOrders []Group `json:"work_orders"`
	Products   []Group `json:"products"`
}

// stint is one state interval, whole (it may reach beyond the period).
type stint struct {
	Window
	state  string
	reason resolved
	long   bool
}

// class is what a state interval's time counts as.
func (s stint) class() string {
	switch s.state {
	case StateRunning:
		return StateRunning
	case StateDown, StateIdle, StateSetup:
		if s.reason.Planned {
			return StatePlannedStop
		}
		return s.state
	case StatePlannedStop:
		return StatePlannedStop
	}
	return StateNoData // no_data, and any state this package does not know
}

// Compute computes the line's OEE over in.From..in.To.
func Compute(in Input) Result {
	if in.SmallStop <= 0 {
		in.SmallStop = DefaultSmallStop
	}
	if in.Startup <= 0 {
		in.Startup = DefaultStartup
	}
	end := in.To
	if !in.Now.IsZero() && in.Now.Before(end) {
		end = in.Now
	}
	if end.Before(in.From) {
		end = in.From
	}
	res := Result{From: in.From, To: in.To, ObservedTo: end, Reasons: []ReasonTime{}, WorkOrders: []Group{}, Products: []Group{}}
	shifts, stops := merge(in.Shifts), merge(in.PlannedStops)
	stints := buildStints(in, end)
	startups := startupWindows(stints, shifts, in.AroundTheClock, in.Startup)
	runs := append([]Run(nil), in.Runs...)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Start.Before(runs[j].Start) })

	total := newAcc()
	wos, prods := map[string]*acc{}, map[string]*acc{}
	woInfo := map[string]Group{}
	group := func(m map[string]*acc, k string) *acc {
		if a, ok := m[k]; ok {
			return a
		}
		m[k] = newAcc()
		return m[k]
	}
	reasons := map[[2]string]*ReasonTime{}
	reasonStops := map[[2]string]map[int]bool{}

	for _, seg := range segments(in.From, end, stints, shifts, stops, runs) {
		d := seg.End.Sub(seg.Start)
		inShift := in.AroundTheClock || covering(shifts, seg.Start) >= 0
		inStop := covering(stops, seg.Start) >= 0
		k := stintAt(stints, seg.Start)
		r := runAt(runs, seg.Start)
		woInfo[r.WorkOrder] = Group{WorkOrder: r.WorkOrder, Order: r.Order, Product: r.Product}
		for _, a := range []*acc{total, group(wos, r.WorkOrder), group(prods, r.Product)} {
			a.time(d, inShift, inStop, k, stints)
		}
		st := stints[k]
		if c := st.class(); inShift && !inStop && (c == StateDown || c == StateIdle || c == StateSetup) {
			key := [2]string{c, st.reason.Label}
			rt, ok := reasons[key]
			if !ok {
				rt = &ReasonTime{State: c, Code: st.reason.Code, Label: st.reason.Label, Category: st.reason.Category}
				reasons[key], reasonStops[key] = rt, map[int]bool{}
			}
			rt.Time += Dur(d)
			reasonStops[key][k] = true
		}
	}
	for _, c := range in.Counts {
		if c.At.Before(in.From) || !c.At.Before(end) {
			continue
		}
		inShift := in.AroundTheClock || covering(shifts, c.At) >= 0
		startup := covering(startups, c.At) >= 0
		if _, ok := woInfo[c.WorkOrder]; !ok {
			woInfo[c.WorkOrder] = Group{WorkOrder: c.WorkOrder, Order: c.Order, Product: c.Product}
		}
		for _, a := range []*acc{total, group(wos, c.WorkOrder), group(prods, c.Product)} {
			a.count(c, inShift, startup, in.IdealCycle)
		}
	}

	res.Figures = total.finish(true)
	for key, rt := range reasons {
		rt.Stops = len(reasonStops[key])
		res.Reasons = append(res.Reasons, *rt)
	}
	sort.Slice(res.Reasons, func(i, j int) bool {
		a, b := res.Reasons[i], res.Reasons[j]
		if a.Time != b.Time {
			return a.Time > b.Time
		}
		return a.State+a.Label < b.State+b.Label
	})
	for _, k := range sortedKeys(wos) {
		g := woInfo[k]
		g.Figures = wos[k].finish(false)
		res.WorkOrders = append(res.WorkOrders, g)
	}
	for _, k := range sortedKeys(prods) {
		res.Products = append(res.Products, Group{Product: k, Figures: prods[k].finish(false)})
	}
	return res
}

func sortedKeys(m map[string]*acc) []string {
	out := make([]string, 0, len(m))
	for k, a := range m {
		if a.f.ShiftTime > 0 || a.f.Produced > 0 || a.f.OutsideShiftGood+a.f.OutsideShiftReject > 0 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// buildStints turns the state changes into whole intervals up to end; time
// before the first change is no_data.
func buildStints(in Input, end time.Time) []stint {
	var states []StateChange
	for _, s := range in.States {
		if in.Now.IsZero() || !s.At.After(in.Now) { // a change after Now is not known yet
			states = append(states, s)
		}
	}
	sort.SliceStable(states, func(i, j int) bool { return states[i].At.Before(states[j].At) })
	var out []stint
	if len(states) == 0 || states[0].At.After(in.From) {
		e := end
		if len(states) > 0 && states[0].At.Before(e) {
			e = states[0].At
		}
		out = append(out, stint{Window: Window{in.From, e}, state: StateNoData, reason: resolved{Label: "no state reported yet"}})
	}
	for i, s := range states {
		if !s.At.Before(end) {
			break
		}
		// A later change (also one after the period) ends the interval
		// and so says how long the stop was; else it lasts until end.
		whole := end
		if i+1 < len(states) {
			whole = states[i+1].At
		}
		if !whole.After(s.At) {
			continue // a change replaced at the same instant
		}
		e := whole
		if e.After(end) {
			e = end
		}
		out = append(out, stint{Window: Window{s.At, e}, state: s.State, reason: in.Reasons.resolve(s.Reason),
			long: whole.Sub(s.At) >= in.SmallStop})
	}
	return out
}

// startupWindows: Startup of wall time after the line went from setup to
// running, or first ran in a shift window without running at its start.
func startupWindows(stints []stint, shifts []Window, aroundTheClock bool, startup time.Duration) []Window {
	var out []Window
	for k, s := range stints {
		if s.state != StateRunning {
			continue
		}
		begins := k > 0 && stints[k-1].state == StateSetup
		if w := covering(shifts, s.Start); !begins && !aroundTheClock && w >= 0 && s.Start.After(shifts[w].Start) {
			begins = true
			for j := k - 1; j >= 0 && stints[j].End.After(shifts[w].Start); j-- {
				if stints[j].state == StateRunning {
					begins = false
				}
			}
		}
		if begins {
			out = append(out, Window{s.Start, s.Start.Add(startup)})
		}
	}
	return merge(out)
}

// segments cuts [from, end) at every edge of states, shifts, stops and runs.
func segments(from, end time.Time, stints []stint, shifts, stops []Window, runs []Run) []Window {
	cuts := []time.Time{from, end}
	add := func(ts ...time.Time) {
		for _, t := range ts {
			if t.After(from) && t.Before(end) {
				cuts = append(cuts, t)
			}
		}
	}
	for _, s := range stints {
		add(s.Start, s.End)
	}
	for _, ws := range [][]Window{shifts, stops} {
		for _, w := range ws {
			add(w.Start, w.End)
		}
	}
	for _, r := range runs {
		add(r.Start, r.End)
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].Before(cuts[j]) })
	var out []Window
	for i := 1; i < len(cuts); i++ {
		if cuts[i].After(cuts[i-1]) {
			out = append(out, Window{cuts[i-1], cuts[i]})
		}
	}
	return out
}

// stintAt is the index of the stint holding t (stints cover from..end).
func stintAt(stints []stint, t time.Time) int {
	i := sort.Search(len(stints), func(i int) bool { return stints[i].End.After(t) })
	if i == len(stints) {
		return len(stints) - 1
	}
	return i
}

// runAt is the run holding t; the zero Run if none.
func runAt(runs []Run, t time.Time) Run {
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if !r.Start.After(t) && (r.End.IsZero() || r.End.After(t)) {
			return r
		}
	}
	return Run{}
}
