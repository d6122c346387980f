package oee

import (
	"fmt"
	"sort"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// Window is a time span [Start, End).
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// ShiftWindow is one occurrence of a named shift.
type ShiftWindow struct {
	Name string `json:"name"`
	Window
}

// hm parses "HH:MM" into hours and minutes.
func hm(s string) (int, int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return t.Hour(), t.Minute(), nil
}

// ShiftWindows lays the shifts out in loc over every day that can touch
// [from, to), in start order, unclipped. A shift belongs to the day it
// starts on (domain.Shift); its clock times are wall-clock times, so a
// shift across a daylight-saving change is an hour shorter or longer. An
// empty name becomes the start time ("06:00").
func ShiftWindows(shifts []domain.Shift, loc *time.Location, from, to time.Time) ([]ShiftWindow, error) {
	if loc == nil {
		loc = time.UTC
	}
	var out []ShiftWindow
	f := from.In(loc)
	first := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -1)
	for day := first; day.Before(to); day = day.AddDate(0, 0, 1) {
		for _, sh := range shifts {
			days, err := domain.ParseWeekdays(sh.Days)
			if err != nil {
				return nil, fmt.Errorf("oee: shift %s: %w", sh.Name, err)
			}
			if !days.Has(day.Weekday()) {
				continue
			}
			h1, m1, err := hm(sh.Start)
			if err != nil {
				return nil, fmt.Errorf("oee: shift %s start: %w", sh.Name, err)
			}
			h2, m2, err := hm(sh.End)
			if err != nil {
				return nil, fmt.Errorf("oee: shift %s end: %w", sh.Name, err)
			}
			start := time.Date(day.Year(), day.Month(), day.Day(), h1, m1, 0, 0, loc)
			end := time.Date(day.Year(), day.Month(), day.Day(), h2, m2, 0, 0, loc)
			if h2*60+m2 <= h1*60+m1 {
				end = time.Date(day.Year(), day.Month(), day.Day()+1, h2, m2, 0, 0, loc)
			}
			if !end.After(from) || !start.Before(to) {
				continue
			}
			name := sh.Name
			if name == "" {
				name = sh.Start
			}
			out = append(out, ShiftWindow{Name: name, Window: Window{Start: start.UTC(), End: end.UTC()}})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// Day is the plant day of date (its year, month and day, read in loc)
// starting at dayStart ("08:00": the day runs 08:00 to 08:00 the next
// morning, wall clock).
func Day(date time.Time, loc *time.Location, dayStart string) (Window, error) {
	if loc == nil {
		loc = time.UTC
	}
	h, m, err := hm(dayStart)
	if err != nil {
		return Window{}, err
	}
	start := time.Date(date.Year(), date.Month(), date.Day(), h, m, 0, 0, loc)
	end := time.Date(date.Year(), date.Month(), date.Day()+1, h, m, 0, 0, loc)
	return Window{Start: start.UTC(), End: end.UTC()}, nil
}

// merge sorts windows and joins the overlapping and touching ones.
func merge(ws []Window) []Window {
	ws = append([]Window(nil), ws...)
	sort.Slice(ws, func(i, j int) bool { return ws[i].Start.Before(ws[j].Start) })
	var out []Window
	for _, w := range ws {
		if !w.End.After(w.Start) {
			continue
		}
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

// covering returns the index of the window of merged ws holding t, or -1.
func covering(ws []Window, t time.Time) int {
	i := sort.Search(len(ws), func(i int) bool { return ws[i].End.After(t) })
	if i < len(ws) && !ws[i].Start.After(t) {
		return i
	}
	return -1
}
