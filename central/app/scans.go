package app

import (
	"context"
	"fmt"

	"github.com/linewise/linewise/central/scans"
	"github.com/linewise/linewise/central/store"
)

var _ scans.Store = (*store.Store)(nil)

// scanRunner is the scan applier and its loop.
type scanRunner struct {
	svc    *scans.Applier
	cancel context.CancelFunc
	done   chan struct{}
}

// startScans builds the scan applier, counted in the metrics and pushing
// what it changes to the dashboards, and starts its loop: it applies at once
// what a crash or a stop left pending, then on every committed batch (poke)
// and on a short ticker. It needs the store, the API, the metrics and the
// planning and exception loops: a scan that starts or stops a run moves
// counts already stored between work orders and the line's unattributed
// counts, so what follows a committed batch follows an applied scan too.
func (a *App) startScans() error {
	repeat := a.cfg.Execution.ScanRepeatWindow
	if repeat == 0 {
		repeat = -1 // off
	}
	svc, err := scans.New(scans.Options{Store: a.store, Log: a.base.With("component", "scans"), RepeatWindow: repeat,
		Changed: func() { a.api.Notify(); a.plan.poke(); a.exc.poke() }})
	if err != nil {
		return fmt.Errorf("central: %w", err)
	}
	a.metrics.MustRegister(svc)
	ctx, cancel := context.WithCancel(context.Background())
	a.scan = scanRunner{svc: svc, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(a.scan.done); svc.Run(ctx) }()
	return nil
}

// poke tells the loop that a batch was committed; safe before start.
func (r *scanRunner) poke() {
	if r.svc != nil {
		r.svc.Poke()
	}
}

// stop ends the loop and waits for it (a scan being applied commits or
// rolls back whole); idempotent.
func (r *scanRunner) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

// Scans gives tests the scan applier.
func (a *App) Scans() *scans.Applier { return a.scan.svc }
