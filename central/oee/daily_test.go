package oee

import (
	"context"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// fakeSource serves fixed facts, filtered to the asked range as the store does.
type fakeSource struct {
	shifts []domain.Shift
	facts  Facts
}

func (f fakeSource) OEEFacts(_ context.Context, _ string, from, to time.Time) (Facts, error) {
	out := Facts{States: f.facts.States, Runs: f.facts.Runs, IdealCycle: f.facts.IdealCycle}
	for _, c := range f.facts.Counts {
		if !c.At.Before(from) && c.At.Before(to) {
			out.Counts = append(out.Counts, c)
		}
	}
	return out, nil
}
func (f fakeSource) GetLine(_ context.Context, id string) (domain.Line, error) {
	return domain.Line{ID: id}, nil
}
func (f fakeSource) GetSite(context.Context, string) (domain.Site, error) {
	return domain.Site{}, domain.ErrNotFound
}
func (f fakeSource) Calendar(_ context.Context, line string) (domain.LineCalendar, error) {
	return domain.LineCalendar{Line: line, Shifts: f.shifts}, nil
}

// TestDailyNightShift: a night shift starting in the day is reported whole,
// with the parts it made after midnight, which the day itself leaves to the
// next day; plant totals are the sums.
func TestDailyNightShift(t *testing.T) {
	src := fakeSource{
		shifts: []domain.Shift{{Name: "early", Start: "06:00", End: "14:00"}, {Name: "night", Start: "22:00", End: "06:00"}},
		facts: Facts{
			States:     []StateChange{{At: at(0, 0).Add(-time.Hour), State: StateRunning}},
			Counts:     []Count{{At: at(7, 0), Good: 100, Product: "A"}, {At: at(23, 0), Good: 50, Product: "A"}, {At: at(27, 0), Good: 30, Reject: 10, Product: "A"}},
			IdealCycle: map[string]time.Duration{"A": time.Minute},
		},
	}
	cfg := DefaultConfig() // the day starts at midnight
	svc := NewService(src, cfg)
	r, err := svc.Daily(context.Background(), []string{"L1"}, "2026-03-02", at(40, 0))
	if err != nil {
		t.Fatal(err)
	}
	l := r.Lines[0]
	if len(l.Shifts) != 2 || l.Shifts[0].Name != "early" || l.Shifts[1].Name != "night" {
		t.Fatalf("shifts %+v", l.Shifts)
	}
	night := l.Shifts[1]
	if night.Good != 80 || night.Reject != 10 || night.PlannedBusyTime.Seconds() != 8*3600 || !night.To.Equal(at(30, 0)) {
		t.Errorf("night shift: good %d reject %d PBT %g s, to %v", night.Good, night.Reject, night.PlannedBusyTime.Seconds(), night.To)
	}
	// The day (midnight to midnight) holds the end of 1 March's night shift
	// (6 h), early (8 h) and this night's first 2 h; the parts of 03:00
	// belong to 3 March.
	if l.Day.Good != 150 || l.Day.PlannedBusyTime.Seconds() != 16*3600 {
		t.Errorf("day: good %d, PBT %g s", l.Day.Good, l.Day.PlannedBusyTime.Seconds())
	}
	near(t, "plant availability", r.Plant.Availability, 1)
	near(t, "plant performance", r.Plant.Performance, 150*60.0/(16*3600))
	near(t, "plant OEE", r.Plant.OEE, 150*60.0/(16*3600))
	if _, err := svc.Daily(context.Background(), []string{"L1"}, "2026-13-01", at(40, 0)); err == nil {
		t.Error("a bad date was accepted")
	}
}

// TestWeekAndMonthPeriods: a week runs from Monday's plant day, a month
// from the 1st's, each to the next one's start (wall clock, so a month
// across a daylight-saving change is an hour short).
func TestWeekAndMonthPeriods(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DayStart = "06:00"
	cfg.Timezone = "Europe/Berlin"
	svc := NewService(fakeSource{}, cfg)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		q        PeriodQuery
		from, to time.Time
		date     string
	}{
		{PeriodQuery{Kind: PeriodWeek, Date: "2026-03-05"}, time.Date(2026, 3, 2, 6, 0, 0, 0, berlin), time.Date(2026, 3, 9, 6, 0, 0, 0, berlin), "2026-03-02"},
		{PeriodQuery{Kind: PeriodWeek, Date: "2026-03-08"}, time.Date(2026, 3, 2, 6, 0, 0, 0, berlin), time.Date(2026, 3, 9, 6, 0, 0, 0, berlin), "2026-03-02"}, // a Sunday
		{PeriodQuery{Kind: PeriodMonth, Date: "2026-03-31"}, time.Date(2026, 3, 1, 6, 0, 0, 0, berlin), time.Date(2026, 4, 1, 6, 0, 0, 0, berlin), "2026-03-01"},
		{PeriodQuery{Kind: PeriodMonth, Date: "2026-12-15"}, time.Date(2026, 12, 1, 6, 0, 0, 0, berlin), time.Date(2027, 1, 1, 6, 0, 0, 0, berlin), "2026-12-01"},
		{PeriodQuery{Kind: PeriodMonth}, time.Date(2026, 3, 1, 6, 0, 0, 0, berlin), time.Date(2026, 4, 1, 6, 0, 0, 0, berlin), "2026-03-01"}, // now's month
	} {
		r, err := svc.Line(context.Background(), "L1", c.q, now)
		if err != nil {
			t.Fatalf("%+v: %v", c.q, err)
		}
		if !r.Period.From.Equal(c.from) || !r.Period.To.Equal(c.to) || r.Period.Date != c.date || r.Period.Kind != c.q.Kind {
			t.Errorf("%+v: period %+v, want %v..%v from %s", c.q, r.Period, c.from, c.to, c.date)
		}
	}
	if d := time.Date(2026, 4, 1, 6, 0, 0, 0, berlin).Sub(time.Date(2026, 3, 1, 6, 0, 0, 0, berlin)); d != 31*24*time.Hour-time.Hour {
		t.Errorf("March in Berlin is %v", d)
	}
}
