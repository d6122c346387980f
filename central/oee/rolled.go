package oee

import (
	"context"
	"time"
)

// RollupSource is a Source that also keeps count rollups (parts per line,
// work order and time bucket, maintained when the events are stored). The
// service then reads a period's counts from the rollups, except where a
// count's own instant decides how it is counted: the buckets that the
// period's edges, "now", a shift edge or a startup window cut are read
// from the events. The figures are the same as from the events alone; only
// the counts of whole buckets inside one shift, away from any changeover,
// are read as bucket sums (a count's At is then its bucket's start).
type RollupSource interface {
	Source
	// OEEFactsRolled is OEEFacts with the counts from the rollups outside
	// the windows exact returns for the period's states; an instant (a
	// window with Start == End) asks for the bucket holding it, unless
	// it is a bucket's edge.
	OEEFactsRolled(ctx context.Context, line string, from, to time.Time, exact func([]StateChange) []Window) (Facts, error)
}

// ExactWindows are the times where a count's own instant matters to
// Compute(in) (in.States filled): the period's edges and end, each shift
// window's edges and the startup windows.
func ExactWindows(in Input) []Window {
	if in.Startup <= 0 {
		in.Startup = DefaultStartup
	}
	if in.SmallStop <= 0 {
		in.SmallStop = DefaultSmallStop
	}
	end := in.To
	if !in.Now.IsZero() && in.Now.Before(end) {
		end = in.Now
	}
	if end.Before(in.From) {
		end = in.From
	}
	out := []Window{{in.From, in.From}, {in.To, in.To}, {end, end}}
	for _, w := range in.Shifts {
		out = append(out, Window{w.Start, w.Start}, Window{w.End, w.End})
	}
	shifts := merge(in.Shifts)
	return append(out, startupWindows(buildStints(in, end), shifts, in.AroundTheClock, in.Startup)...)
}

// facts reads in's facts for line over in.From..in.To (in's calendar set),
// from the rollups where the source keeps them.
func (s *Service) facts(ctx context.Context, line string, in Input) (Facts, error) {
	if rs, ok := s.src.(RollupSource); ok {
		return rs.OEEFactsRolled(ctx, line, in.From, in.To, func(states []StateChange) []Window {
			in.States = states
			return ExactWindows(in)
		})
	}
	return s.src.OEEFacts(ctx, line, in.From, in.To)
}
