package oee

import (
	"reflect"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests run the same on any machine

	"github.com/linewise/linewise/central/domain"
)

// TestCurrentShiftStopsAtNow: halfway through the scenario shift only the
// observed time counts, and a stop still going on is classified by its
// length so far.
func TestCurrentShiftStopsAtNow(t *testing.T) {
	in := Scenario(at(0, 0))
	in.Now = at(7, 3) // 3 min into the 07:00 stop
	r := Compute(in)
	if !r.ObservedTo.Equal(at(7, 3)) {
		t.Errorf("observed to %v", r.ObservedTo)
	}
	secs(t, "planned busy", r.PlannedBusyTime, 63*60)
	secs(t, "run", r.RunTime, 60*60)
	secs(t, "small stops", r.Losses.SmallStops, 3*60) // so far shorter than 5 min
	if r.Good != 100 || r.Reject != 2 {
		t.Errorf("good/reject %d/%d, want the 06:30 count only", r.Good, r.Reject)
	}
}

// TestNoStateIsNoData: a line that never reported a state has only no-data
// time: nothing to divide, so no ratios, and no parts invented.
func TestNoStateIsNoData(t *testing.T) {
	r := Compute(Input{From: at(6, 0), To: at(14, 0), AroundTheClock: true})
	secs(t, "no data", r.NoDataTime, 8*3600)
	if r.PlannedBusyTime != 0 || r.Availability != nil || r.OEE != nil || r.TEEP != nil {
		t.Errorf("figures from nothing: %+v", r.Figures)
	}
}

// TestBreakdownAcrossPeriodStart: a stop that began before the period is
// classified by its whole length, not the part inside.
func TestBreakdownAcrossPeriodStart(t *testing.T) {
	r := Compute(Input{From: at(6, 0), To: at(7, 0), AroundTheClock: true,
		States: []StateChange{{at(5, 0), StateDown, "7"}, {at(6, 2), StateRunning, ""}}})
	secs(t, "breakdowns", r.Losses.Breakdowns, 120)
	if r.Losses.SmallStops != 0 || r.Losses.BreakdownCount != 1 {
		t.Errorf("losses %+v", r.Losses)
	}
	if len(r.Reasons) != 1 || r.Reasons[0].Label != "unmapped code 7" {
		t.Errorf("reasons %+v", r.Reasons)
	}
}

// TestOutsideShiftAndMissingIdeal: parts outside shift time are shown apart
// and left out; a product without an ideal cycle leaves performance unknown.
func TestOutsideShiftAndMissingIdeal(t *testing.T) {
	r := Compute(Input{From: at(0, 0), To: at(12, 0), Shifts: []Window{{at(6, 0), at(10, 0)}},
		States: []StateChange{{at(0, 0), StateRunning, ""}},
		Counts: []Count{{At: at(5, 0), Good: 7, Reject: 1}, {At: at(7, 0), Good: 50, Product: "X"}, {At: at(8, 0), Good: 10}},
	})
	if r.OutsideShiftGood != 7 || r.OutsideShiftReject != 1 || r.Good != 60 {
		t.Errorf("outside %d/%d, good %d", r.OutsideShiftGood, r.OutsideShiftReject, r.Good)
	}
	secs(t, "calendar", r.CalendarTime, 12*3600)
	secs(t, "planned busy", r.PlannedBusyTime, 4*3600)
	if r.Performance != nil || r.OEE != nil || r.Losses.ReducedSpeed != nil {
		t.Errorf("performance without ideal cycles: %+v", r.Figures)
	}
	if want := []string{"(parts without a work order)", "X"}; !reflect.DeepEqual(r.MissingIdealCycle, want) {
		t.Errorf("missing ideal cycle %v, want %v", r.MissingIdealCycle, want)
	}
	near(t, "availability", r.Availability, 1)
	near(t, "quality", r.Quality, 1)
}

// TestPlannedReason: a stop whose mapped reason is planned leaves planned
// busy time like a calendar stop; a run with nothing made has OEE 0.
func TestPlannedReason(t *testing.T) {
	r := Compute(Input{From: at(6, 0), To: at(8, 0), AroundTheClock: true,
		States:  []StateChange{{at(6, 0), StateDown, "CLEAN"}, {at(7, 0), StateRunning, ""}},
		Reasons: ReasonMap{"CLEAN": {Text: "Scheduled cleaning", Planned: true}}})
	secs(t, "planned stop", r.PlannedStopTime, 3600)
	secs(t, "planned busy", r.PlannedBusyTime, 3600)
	near(t, "availability", r.Availability, 1)
	near(t, "OEE", r.OEE, 0)
	if len(r.Reasons) != 0 {
		t.Errorf("a planned stop in the unplanned Pareto: %+v", r.Reasons)
	}
}

func TestResolveReason(t *testing.T) {
	m := ReasonMap{"12": {Text: "Jam", Category: "Mechanical"}, "waiting material": {Text: "Waiting for material", Category: "Logistics"}}
	for _, c := range []struct{ in, label, category string }{
		{"", NoReason, ""},
		{"12", "Jam", "Mechanical"},
		{"12 jam at infeed", "Jam", "Mechanical"}, // the central map wins over the edge's text
		{"99", "unmapped code 99", ""},
		{"E42", "unmapped code E42", ""},
		{"99 Overload", "99 Overload", ""}, // the edge's own text is shown as sent
		{"waiting material", "Waiting for material", "Logistics"},
		{"starved", "starved", ""},
		{"unmapped state 7", "unmapped state 7", ""},
	} {
		got := m.resolve(c.in)
		if got.Label != c.label || got.Category != c.category {
			t.Errorf("resolve(%q) = %+v, want %q in %q", c.in, got, c.label, c.category)
		}
	}
}

func TestShiftWindows(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	shifts := []domain.Shift{{Name: "early", Start: "06:00", End: "14:00", Days: "Mon-Fri"}, {Name: "night", Start: "22:00", End: "06:00", Days: "Sun"}}
	// Sat 2026-03-28 .. Mon 2026-03-30 in Berlin; DST starts Sun 29 March 02:00.
	from := time.Date(2026, 3, 28, 0, 0, 0, 0, berlin)
	got, err := ShiftWindows(shifts, berlin, from, from.AddDate(0, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	want := []ShiftWindow{
		// Sunday night into Monday (summer time, UTC+2): 20:00Z..04:00Z, 8 h.
		{Name: "night", Window: Window{time.Date(2026, 3, 29, 20, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 4, 0, 0, 0, time.UTC)}},
		{Name: "early", Window: Window{time.Date(2026, 3, 30, 4, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC)}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("windows\n got %+v\nwant %+v", got, want)
	}
	if _, err := ShiftWindows([]domain.Shift{{Name: "x", Start: "6", End: "14:00"}}, nil, from, from.Add(time.Hour)); err == nil {
		t.Error("a bad start time was accepted")
	}
}

func TestDay(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// The day of 28 March 2026 from 08:00 runs into summer time: 23 h.
	d, err := Day(time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC), berlin, "08:00")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Start.Equal(time.Date(2026, 3, 28, 7, 0, 0, 0, time.UTC)) || d.End.Sub(d.Start) != 23*time.Hour {
		t.Errorf("day %v..%v", d.Start, d.End)
	}
	if _, err := Day(time.Now(), nil, "8am"); err == nil {
		t.Error("a bad day start was accepted")
	}
}

// TestBreakdownAcrossPeriodEnd: a stop that goes on past To is classified
// by its whole length when the next change is known.
func TestBreakdownAcrossPeriodEnd(t *testing.T) {
	in := Input{From: at(6, 0), To: at(7, 0), AroundTheClock: true,
		States: []StateChange{{at(6, 0), StateRunning, ""}, {at(6, 58), StateDown, "7"}, {at(7, 30), StateRunning, ""}}}
	r := Compute(in)
	secs(t, "breakdowns", r.Losses.Breakdowns, 120)
	in.States = in.States[:2] // the next change unknown: 2 min so far is a small stop
	r = Compute(in)
	secs(t, "small stops", r.Losses.SmallStops, 120)
}
