package app

import (
	"context"
	"fmt"

	"github.com/linewise/linewise/central/httpapi"
	"github.com/linewise/linewise/central/planning"
	"github.com/linewise/linewise/central/store"
)

var (
	_ planning.Store  = (*store.Store)(nil)
	_ httpapi.Planner = (*planning.Service)(nil)
)

// planRunner is the rescheduler and its trigger loop.
type planRunner struct {
	svc    *planning.Service
	cancel context.CancelFunc
	done   chan struct{}
}

// startPlanning builds the planning service, adds the schedule API and the
// planner page to the HTTP server, and starts the trigger loop (if
// planning.auto). It needs the store and the API.
func (a *App) startPlanning() error {
	svc, err := planning.New(planning.Options{Config: a.cfg.Planning, Store: a.store, Log: a.base.With("component", "planning"),
		// Outsourced operations: the next one waits for the supplier's lead time.
		Materials: a.pur})
	if err != nil {
		return fmt.Errorf("central: %w", err)
	}
	a.api.EnableSchedule(svc)
	a.plan = planRunner{svc: svc}
	a.lead.job("planning", svc.Run) // proposals and their expiry: the leader's
	return nil
}

// poke tells the trigger loop that events arrived; safe before start.
func (p *planRunner) poke() {
	if p.svc != nil {
		p.svc.Poke()
	}
}

// stop ends the trigger loop and waits for it; idempotent.
func (p *planRunner) stop() {
	if p.cancel != nil {
		p.cancel()
		<-p.done
		p.cancel = nil
	}
}

// Planning gives tests the planning service.
func (a *App) Planning() *planning.Service { return a.plan.svc }
