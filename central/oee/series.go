package oee

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// MaxSeriesDays bounds a daily series (a year and a leap day).
const MaxSeriesDays = 366

// DayFigures is one plant day of a series.
type DayFigures struct {
	Date string    `json:"date"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Figures
}

// Series is a line's OEE per plant day.
type Series struct {
	Line     string       `json:"line"`
	Timezone string       `json:"timezone"`
	Days     []DayFigures `json:"days"`
}

// DailySeries computes line's OEE for each of the plant days from first to
// last (YYYY-MM-DD, at most MaxSeriesDays), as of now, reading the whole
// range once (from the rollups where the source keeps them) and computing
// each day as Line would.
func (s *Service) DailySeries(ctx context.Context, line, first, last string, now time.Time) (Series, error) {
	cal, err := s.calendar(ctx, line)
	if err != nil {
		return Series{}, err
	}
	d0, err := time.ParseInLocation("2006-01-02", first, cal.loc)
	if err != nil {
		return Series{}, fieldErr("from", fmt.Sprintf("%q is not a date YYYY-MM-DD", first))
	}
	d1, err := time.ParseInLocation("2006-01-02", last, cal.loc)
	if err != nil {
		return Series{}, fieldErr("to", fmt.Sprintf("%q is not a date YYYY-MM-DD", last))
	}
	if d1.Before(d0) {
		return Series{}, fieldErr("to", "must not be before from")
	}
	var days []DayFigures
	for d := d0; !d.After(d1); d = d.AddDate(0, 0, 1) {
		if len(days) == MaxSeriesDays {
			return Series{}, fieldErr("to", fmt.Sprintf("a series holds at most %d days", MaxSeriesDays))
		}
		w, err := Day(d, cal.loc, s.cfg.DayStart)
		if err != nil {
			return Series{}, err
		}
		days = append(days, DayFigures{Date: d.Format("2006-01-02"), From: w.Start, To: w.End})
	}
	all := Input{From: days[0].From, To: days[len(days)-1].To, Now: now, PlannedStops: cal.stops, Reasons: s.cfg.Reasons,
		SmallStop: s.cfg.SmallStop, Startup: s.cfg.Startup, AroundTheClock: len(cal.shifts) == 0}
	if !all.AroundTheClock {
		ws, err := ShiftWindows(cal.shifts, cal.loc, all.From, all.To)
		if err != nil {
			return Series{}, err
		}
		for _, w := range ws {
			all.Shifts = append(all.Shifts, w.Window)
		}
	}
	facts, err := s.facts(ctx, line, all)
	if err != nil {
		return Series{}, err
	}
	states := append([]StateChange(nil), facts.States...)
	sort.SliceStable(states, func(i, j int) bool { return states[i].At.Before(states[j].At) })
	counts := append([]Count(nil), facts.Counts...)
	sort.SliceStable(counts, func(i, j int) bool { return counts[i].At.Before(counts[j].At) })
	for i := range days {
		d := &days[i]
		in := all
		in.From, in.To = d.From, d.To
		// The last state before the day through the first at or after its end.
		lo := sort.Search(len(states), func(k int) bool { return !states[k].At.Before(d.From) })
		hi := sort.Search(len(states), func(k int) bool { return !states[k].At.Before(d.To) })
		in.States = states[max(lo-1, 0):min(hi+1, len(states))]
		a := sort.Search(len(counts), func(k int) bool { return !counts[k].At.Before(d.From) })
		b := sort.Search(len(counts), func(k int) bool { return !counts[k].At.Before(d.To) })
		in.Counts = counts[a:b]
		in.Runs = nil
		for _, r := range facts.Runs {
			if r.Start.Before(d.To) && (r.End.IsZero() || r.End.After(d.From)) {
				in.Runs = append(in.Runs, r)
			}
		}
		in.IdealCycle = facts.IdealCycle
		d.Figures = Compute(in).Figures
	}
	return Series{Line: line, Timezone: cal.loc.String(), Days: days}, nil
}
