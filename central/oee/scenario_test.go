package oee

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// at is 2026-03-02 (a Monday) hh:mm UTC.
func at(hh, mm int) time.Time { return time.Date(2026, 3, 2, hh, mm, 0, 0, time.UTC) }

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil, want %.6f", what, want)
		return
	}
	if math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s = %.9f, want %.9f", what, *got, want)
	}
}

func secs(t *testing.T, what string, got Dur, want float64) {
	t.Helper()
	if got.Seconds() != want {
		t.Errorf("%s = %g s, want %g s", what, got.Seconds(), want)
	}
}

// TestScenarioShift checks the scripted shift against this hand computation.
//
// Time (minutes):
//
//	calendar = shift time        = 06:00-14:00                    = 480
//	planned stop                 = 10:00-10:30                    =  30
//	no data                      = 12:00-12:40                    =  40
//	planned busy time PBT        = 480 - 30 - 40                  = 410 (24600 s)
//	down  = 20 + 3 + 6 = 29;  idle = 4;  setup = 25
//	run   = 410 - 29 - 4 - 25                                     = 352 (21120 s)
//	      (check: 60 + 40 + 27 + 56 + 5 + 90 + 50 + 24            = 352)
//
// Quantities: good 330 + 440 = 770, reject 10 + 9 = 19, produced 789.
//
//	net run time     = 30 s × 340 + 20 s × 449 = 10200 + 8980     = 19180 s
//	fully productive = 30 s × 330 + 20 s × 440 =  9900 + 8800     = 18700 s
//
//	A    = 21120 / 24600                    = 0.858536585
//	P    = 19180 / 21120                    = 0.908143939
//	Q    = 770 / 789                        = 0.975918885
//	OEE  = A × P × Q                        = 0.760899358
//	TEEP = OEE × 410 / 480                  = 0.649934868
//
// Six big losses (s):
//
//	breakdowns         = (20 + 6) min (2 stops ≥ 5 min)           = 1560
//	setup/changeover   = 25 min                                   = 1500
//	small stops        = 3 min down + 4 min idle (2 stops)        =  420
//	reduced speed      = 21120 - 19180                            = 1940
//	startup rejects    = 4 parts of B (10:04, within 09:55-10:05) × 20 s = 80
//	production rejects = 10 × 30 s + 5 × 20 s                     =  400
//	sum                = 5900 = PBT - fully productive = 24600 - 18700
//
// Per work order: WO-A holds 06:00-09:30 (PBT 210 min, run 183 min,
// 330/340 parts): A = 183/210, P = 30×340/(183×60), Q = 330/340. WO-B holds
// 09:30-14:00 (shift 270, planned 30, no data 40, PBT 200, run 169):
// A = 169/200, P = 20×449/(169×60), Q = 440/449.
func TestScenarioShift(t *testing.T) {
	r := Compute(Scenario(at(0, 0)))
	f := r.Figures
	for _, c := range []struct {
		what string
		got  Dur
		want float64
	}{
		{"calendar", f.CalendarTime, 480 * 60}, {"shift", f.ShiftTime, 480 * 60},
		{"planned stop", f.PlannedStopTime, 30 * 60}, {"no data", f.NoDataTime, 40 * 60},
		{"planned busy", f.PlannedBusyTime, 24600}, {"run", f.RunTime, 21120},
		{"down", f.DownTime, 29 * 60}, {"idle", f.IdleTime, 4 * 60}, {"setup", f.SetupTime, 25 * 60},
		{"breakdowns", f.Losses.Breakdowns, 1560}, {"setup loss", f.Losses.SetupChangeover, 1500},
		{"small stops", f.Losses.SmallStops, 420}, {"startup rejects", f.Losses.StartupRejects, 80},
		{"production rejects", f.Losses.ProductionRejects, 400},
	} {
		secs(t, c.what, c.got, c.want)
	}
	if f.Losses.ReducedSpeed == nil || f.NetRunTime == nil || f.FullyProductiveTime == nil {
		t.Fatalf("reduced speed, net run or fully productive time missing: %+v", f)
	}
	secs(t, "reduced speed", *f.Losses.ReducedSpeed, 1940)
	secs(t, "net run time", *f.NetRunTime, 19180)
	secs(t, "fully productive", *f.FullyProductiveTime, 18700)
	l := f.Losses
	sum := l.Breakdowns + l.SetupChangeover + l.SmallStops + *l.ReducedSpeed + l.StartupRejects + l.ProductionRejects
	secs(t, "six losses", sum, 24600-18700)
	if f.Good != 770 || f.Reject != 19 || f.Produced != 789 {
		t.Errorf("good/reject/produced = %d/%d/%d, want 770/19/789", f.Good, f.Reject, f.Produced)
	}
	if l.BreakdownCount != 2 || l.SmallStopCount != 2 || l.StartupRejectCount != 4 || l.ProductionRejectCount != 15 {
		t.Errorf("breakdowns %d, small stops %d, startup rejects %d, production rejects %d; want 2, 2, 4, 15",
			l.BreakdownCount, l.SmallStopCount, l.StartupRejectCount, l.ProductionRejectCount)
	}
	near(t, "availability", f.Availability, 21120.0/24600)
	near(t, "performance", f.Performance, 19180.0/21120)
	near(t, "quality", f.Quality, 770.0/789)
	near(t, "OEE", f.OEE, 0.76089935804301)
	near(t, "TEEP", f.TEEP, 0.6499348683284044)

	// The downtime Pareto, longest first; the unmapped code is named.
	want := []ReasonTime{
		{State: "setup", Code: "changeover", Label: "changeover", Time: Dur(25 * time.Minute), Stops: 1},
		{State: "down", Code: "12", Label: "Jam at infeed", Category: "Mechanical", Time: Dur(20 * time.Minute), Stops: 1},
		{State: "down", Label: NoReason, Time: Dur(6 * time.Minute), Stops: 1},
		{State: "idle", Code: "starved", Label: "starved", Time: Dur(4 * time.Minute), Stops: 1},
		{State: "down", Code: "99", Label: "unmapped code 99", Time: Dur(3 * time.Minute), Stops: 1},
	}
	if len(r.Reasons) != len(want) {
		t.Fatalf("reasons %+v, want %+v", r.Reasons, want)
	}
	for i := range want {
		if r.Reasons[i] != want[i] {
			t.Errorf("reason %d = %+v, want %+v", i, r.Reasons[i], want[i])
		}
	}

	// Per work order and product.
	if len(r.WorkOrders) != 2 || r.WorkOrders[0].WorkOrder != "WO-A" || r.WorkOrders[1].WorkOrder != "WO-B" {
		t.Fatalf("work orders %+v", r.WorkOrders)
	}
	a, b := r.WorkOrders[0], r.WorkOrders[1]
	if a.Order != "PO-A" || a.Product != "A" || b.Product != "B" {
		t.Errorf("work order identities: %+v / %+v", a.id(), b.id())
	}
	secs(t, "WO-A planned busy", a.PlannedBusyTime, 210*60)
	secs(t, "WO-A run", a.RunTime, 183*60)
	near(t, "WO-A availability", a.Availability, 183.0/210)
	near(t, "WO-A performance", a.Performance, 30*340/(183*60.0))
	near(t, "WO-A quality", a.Quality, 330.0/340)
	secs(t, "WO-B planned busy", b.PlannedBusyTime, 200*60)
	secs(t, "WO-B no data", b.NoDataTime, 40*60)
	near(t, "WO-B availability", b.Availability, 169.0/200)
	near(t, "WO-B performance", b.Performance, 20*449/(169*60.0))
	near(t, "WO-B quality", b.Quality, 440.0/449)
	if b.TEEP != nil {
		t.Errorf("a work order has no calendar of its own, yet TEEP %v", *b.TEEP)
	}
	if len(r.Products) != 2 || r.Products[0].Product != "A" || r.Products[0].Good != 330 || r.Products[1].Good != 440 {
		t.Errorf("products %+v", r.Products)
	}
	// Seconds on the wire.
	js, _ := json.Marshal(r)
	var wire struct {
		PBT    float64 `json:"planned_busy_time_s"`
		Losses struct {
			Reduced float64 `json:"reduced_speed_s"`
		} `json:"losses"`
	}
	if err := json.Unmarshal(js, &wire); err != nil || wire.PBT != 24600 || wire.Losses.Reduced != 1940 {
		t.Errorf("JSON: %+v %v in %s", wire, err, js)
	}
}

// id is the identity of a group, for messages.
func (g Group) id() string { return g.WorkOrder + "/" + g.Order + "/" + g.Product }

// TestScenarioIntervals: the scripted shift's state intervals, classified
// as the OEE counts them, with the part of each inside planned busy time.
func TestScenarioIntervals(t *testing.T) {
	ivs := Intervals(Scenario(at(0, 0)))
	type row struct {
		class, label string
		start        time.Time
		mins, busy   float64
		wo           string
	}
	want := []row{
		{"run", "", at(6, 0), 60, 60, "WO-A"}, // began 05:50: cut to the period
		{"breakdown", "Jam at infeed", at(7, 0), 20, 20, "WO-A"},
		{"run", "", at(7, 20), 40, 40, "WO-A"},
		{"small_stop", "unmapped code 99", at(8, 0), 3, 3, "WO-A"},
		{"run", "", at(8, 3), 27, 27, "WO-A"},
		{"idle", "starved", at(8, 30), 4, 4, "WO-A"},
		{"run", "", at(8, 34), 56, 56, "WO-A"},
		{"setup", "changeover", at(9, 30), 25, 25, "WO-B"},
		{"run", "", at(9, 55), 5, 5, "WO-B"},
		{"planned_stop", "break", at(10, 0), 30, 0, "WO-B"},
		{"run", "", at(10, 30), 90, 90, "WO-B"},
		{"no_data", "", at(12, 0), 40, 0, "WO-B"},
		{"run", "", at(12, 40), 50, 50, "WO-B"},
		{"breakdown", NoReason, at(13, 30), 6, 6, "WO-B"},
		{"run", "", at(13, 36), 24, 24, "WO-B"},
	}
	if len(ivs) != len(want) {
		t.Fatalf("%d intervals, want %d: %+v", len(ivs), len(want), ivs)
	}
	for i, w := range want {
		iv := ivs[i]
		got := row{iv.Class, iv.Label, iv.Start, iv.Time.Seconds() / 60, iv.PlannedBusy.Seconds() / 60, iv.WorkOrder}
		if got != w {
			t.Errorf("interval %d = %+v, want %+v", i, got, w)
		}
	}
	if ivs[0].Whole.Seconds() != 70*60 {
		t.Errorf("the first interval's whole length %g s, want 70 min from 05:50", ivs[0].Whole.Seconds())
	}
}
