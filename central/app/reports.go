package app

import (
	"context"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/planning"
	"github.com/linewise/linewise/central/reports"
)

// reportsConfig is the reports configuration with the planning
// configuration's time zone and shifts, which the OEE of a line without
// its own shifts in master data (or a site time zone) follows, as its plan does.
func reportsConfig(cfg Config) *oee.Config {
	r := cfg.Reports
	r.Timezone = cfg.Planning.Timezone
	r.Shifts = shifts(cfg.Planning.Shifts)
	r.LineShifts = map[string][]domain.Shift{}
	for line, ss := range cfg.Planning.LineShifts {
		r.LineShifts[line] = shifts(ss)
	}
	return &r
}

func shifts(ss []planning.Shift) []domain.Shift {
	out := make([]domain.Shift, 0, len(ss))
	for _, s := range ss {
		out = append(out, domain.Shift{Name: s.Start, Start: s.Start, End: s.End, Days: s.Days})
	}
	return out
}

// reportRunner is the stored-report generator's loop.
type reportRunner struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startReports runs the generator of stored shift and day reports.
func (a *App) startReports() {
	g := reports.New(a.store, *reportsConfig(a.cfg), a.base.With("component", "reports"))
	a.lead.job("reports", func(ctx context.Context) { g.Run(ctx, time.Now) }) // once, by the leader
}

// stop ends the loop and waits for it; idempotent.
func (r *reportRunner) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}
