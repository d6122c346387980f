package oee

import (
	"sort"
	"time"
)

// acc sums the figures of the line or of one group.
type acc struct {
	f               Figures
	net, full       time.Duration
	missing         map[string]bool
	breaks, smalls  map[int]bool // stints counted as breakdowns, small stops
	stReject, prRej time.Duration
}

func newAcc() *acc {
	return &acc{missing: map[string]bool{}, breaks: map[int]bool{}, smalls: map[int]bool{}}
}

// time adds a segment of length d lying in stint k.
func (a *acc) time(d time.Duration, inShift, inStop bool, k int, stints []stint) {
	a.f.CalendarTime += Dur(d)
	if !inShift {
		return
	}
	a.f.ShiftTime += Dur(d)
	if inStop {
		a.f.PlannedStopTime += Dur(d)
		return
	}
	s := stints[k]
	switch s.class() {
	case StatePlannedStop:
		a.f.PlannedStopTime += Dur(d)
		return
	case StateNoData:
		a.f.NoDataTime += Dur(d)
		return
	case StateRunning:
		a.f.RunTime += Dur(d)
	case StateDown:
		a.f.DownTime += Dur(d)
		if s.long {
			a.f.Losses.Breakdowns += Dur(d)
			a.breaks[k] = true
		} else {
			a.f.Losses.SmallStops += Dur(d)
			a.smalls[k] = true
		}
	case StateIdle:
		a.f.IdleTime += Dur(d)
		a.f.Losses.SmallStops += Dur(d)
		a.smalls[k] = true
	case StateSetup:
		a.f.SetupTime += Dur(d)
		a.f.Losses.SetupChangeover += Dur(d)
	}
	a.f.PlannedBusyTime += Dur(d)
}

// count adds a count event.
func (a *acc) count(c Count, inShift, startup bool, ideal map[string]time.Duration) {
	if !inShift {
		a.f.OutsideShiftGood += c.Good
		a.f.OutsideShiftReject += c.Reject
		return
	}
	a.f.Good += c.Good
	a.f.Reject += c.Reject
	a.f.Produced += c.Good + c.Reject
	if startup {
		a.f.Losses.StartupRejectCount += c.Reject
	} else {
		a.f.Losses.ProductionRejectCount += c.Reject
	}
	cycle, ok := ideal[c.Product]
	if !ok || cycle <= 0 {
		if c.Good+c.Reject > 0 {
			name := c.Product
			if name == "" {
				name = "(parts without a work order)"
			}
			a.missing[name] = true
		}
		return
	}
	a.net += cycle * time.Duration(c.Good+c.Reject)
	a.full += cycle * time.Duration(c.Good)
	if startup {
		a.stReject += cycle * time.Duration(c.Reject)
	} else {
		a.prRej += cycle * time.Duration(c.Reject)
	}
}

// finish computes the ratios; TEEP only for the whole line (teep).
func (a *acc) finish(teep bool) Figures {
	f := a.f
	f.Losses.BreakdownCount, f.Losses.SmallStopCount = len(a.breaks), len(a.smalls)
	f.Losses.StartupRejects, f.Losses.ProductionRejects = Dur(a.stReject), Dur(a.prRej)
	ratio := func(n, d float64) *float64 {
		if d == 0 {
			return nil
		}
		v := n / d
		return &v
	}
	f.Availability = ratio(float64(f.RunTime), float64(f.PlannedBusyTime))
	f.Quality = ratio(float64(f.Good), float64(f.Produced))
	for p := range a.missing {
		f.MissingIdealCycle = append(f.MissingIdealCycle, p)
	}
	sort.Strings(f.MissingIdealCycle)
	if len(a.missing) == 0 {
		net, full := Dur(a.net), Dur(a.full)
		speed := Dur(time.Duration(f.RunTime) - a.net)
		f.NetRunTime, f.FullyProductiveTime, f.Losses.ReducedSpeed = &net, &full, &speed
		f.Performance = ratio(float64(a.net), float64(f.RunTime))
	}
	if f.Availability != nil && *f.Availability == 0 {
		v := 0.0 // never ran in planned busy time
		f.OEE = &v
	} else if f.Availability != nil && f.Performance != nil {
		switch {
		case f.Quality != nil:
			v := *f.Availability * *f.Performance * *f.Quality
			f.OEE = &v
		case f.Produced == 0:
			v := 0.0 // ran and made nothing
			f.OEE = &v
		}
	}
	if teep && f.OEE != nil && f.CalendarTime > 0 {
		v := *f.OEE * float64(f.PlannedBusyTime) / float64(f.CalendarTime)
		f.TEEP = &v
	}
	return f
}
