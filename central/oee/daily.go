package oee

import (
	"context"
	"fmt"
	"time"
)

// DailyReport is the plant's production and OEE of one plant day: per
// line the day and each shift that starts in it, and the plant's totals.
// It is computed from the events when asked, not stored.
type DailyReport struct {
	Date     string      `json:"date"`
	DayStart string      `json:"day_start"`
	Lines    []DailyLine `json:"lines"`
	// Plant sums the lines' days: times and parts add up, and the ratios
	// are taken from the sums (A = Σ run / Σ PBT, P = Σ net run time /
	// Σ run, Q = Σ good / Σ produced), never averaged.
	Plant Totals `json:"plant"`
}

// DailyLine is one line's day.
type DailyLine struct {
	Line     string        `json:"line"`
	Timezone string        `json:"timezone"`
	Day      Report        `json:"day"`
	Shifts   []ShiftResult `json:"shifts"`
}

// ShiftResult is one shift's figures.
type ShiftResult struct {
	Name string    `json:"name"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Figures
}

// Totals are summed figures and the ratios of the sums.
type Totals struct {
	PlannedBusyTime Dur      `json:"planned_busy_time_s"`
	RunTime         Dur      `json:"run_time_s"`
	NoDataTime      Dur      `json:"no_data_time_s"`
	Good            int64    `json:"good"`
	Reject          int64    `json:"reject"`
	Produced        int64    `json:"produced"`
	Availability    *float64 `json:"availability"`
	Performance     *float64 `json:"performance"`
	Quality         *float64 `json:"quality"`
	OEE             *float64 `json:"oee"`
}

// Daily reports the plant day date (YYYY-MM-DD, read in each line's time
// zone; "" is the day holding now in the configured zone) of the lines.
func (s *Service) Daily(ctx context.Context, lines []string, date string, now time.Time) (DailyReport, error) {
	if date == "" {
		loc, err := time.LoadLocation(s.cfg.Timezone)
		if err != nil {
			return DailyReport{}, fmt.Errorf("oee: time zone: %w", err)
		}
		d := now.In(loc)
		if w, err := Day(d, loc, s.cfg.DayStart); err == nil && w.Start.After(now) {
			d = d.AddDate(0, 0, -1)
		}
		date = d.Format("2006-01-02")
	}
	rep := DailyReport{Date: date, DayStart: s.cfg.DayStart, Lines: []DailyLine{}}
	var net time.Duration
	netKnown := true
	for _, line := range lines {
		in, p, zone, err := s.input(ctx, line, PeriodQuery{Kind: PeriodDay, Date: date}, now)
		if err != nil {
			return DailyReport{}, err
		}
		day := Compute(in)
		dl := DailyLine{Line: line, Timezone: zone, Day: Report{Line: line, Period: p, Timezone: zone, Result: day}, Shifts: []ShiftResult{}}
		cal, err := s.calendar(ctx, line)
		if err != nil {
			return DailyReport{}, err
		}
		ws, err := ShiftWindows(cal.shifts, cal.loc, p.From, p.To)
		if err != nil {
			return DailyReport{}, err
		}
		for _, w := range ws {
			if w.Start.Before(p.From) || !w.Start.Before(p.To) {
				continue // a shift belongs to the day it starts in
			}
			sin := in
			sin.From, sin.To = w.Start, w.End
			if w.End.After(p.To) { // a night shift runs past the day: read on to its end
				sin.Shifts = []Window{w.Window}
				facts, err := s.facts(ctx, line, sin)
				if err != nil {
					return DailyReport{}, err
				}
				sin.States, sin.Counts, sin.Runs, sin.IdealCycle = facts.States, facts.Counts, facts.Runs, facts.IdealCycle
			}
			dl.Shifts = append(dl.Shifts, ShiftResult{Name: w.Name, From: w.Start, To: w.End, Figures: Compute(sin).Figures})
		}
		rep.Lines = append(rep.Lines, dl)
		t := &rep.Plant
		t.PlannedBusyTime += day.PlannedBusyTime
		t.RunTime += day.RunTime
		t.NoDataTime += day.NoDataTime
		t.Good += day.Good
		t.Reject += day.Reject
		t.Produced += day.Produced
		if day.NetRunTime == nil {
			netKnown = false
		} else {
			net += time.Duration(*day.NetRunTime)
		}
	}
	t := &rep.Plant
	ratio := func(n, d float64) *float64 {
		if d == 0 {
			return nil
		}
		v := n / d
		return &v
	}
	t.Availability = ratio(float64(t.RunTime), float64(t.PlannedBusyTime))
	t.Quality = ratio(float64(t.Good), float64(t.Produced))
	if netKnown {
		t.Performance = ratio(float64(net), float64(t.RunTime))
	}
	if t.Availability != nil && t.Performance != nil && t.Quality != nil {
		v := *t.Availability * *t.Performance * *t.Quality
		t.OEE = &v
	}
	return rep, nil
}
