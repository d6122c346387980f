package oee

import "time"

// TotalsOf sums figures as the daily report's plant totals do: times and
// parts add up, the ratios are taken from the sums, never averaged.
func TotalsOf(fs []Figures) Totals {
	var t Totals
	var net time.Duration
	netKnown := true
	for _, f := range fs {
		t.PlannedBusyTime += f.PlannedBusyTime
		t.RunTime += f.RunTime
		t.NoDataTime += f.NoDataTime
		t.Good += f.Good
		t.Reject += f.Reject
		t.Produced += f.Produced
		if f.NetRunTime == nil {
			netKnown = false
		} else {
			net += time.Duration(*f.NetRunTime)
		}
	}
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
	return t
}
