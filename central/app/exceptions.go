package app

import (
	"context"
	"fmt"

	"github.com/linewise/linewise/central/exceptions"
	"github.com/linewise/linewise/central/ingest"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

var _ exceptions.Store = (*store.Store)(nil)

// exceptionRunner is the exception rules and their evaluation loop.
type exceptionRunner struct {
	svc    *exceptions.Service
	cancel context.CancelFunc
	done   chan struct{}
}

// startExceptions builds the exception service, pushing its changes to the
// dashboard through the API, and starts its loop. It needs the store and
// the API.
func (a *App) startExceptions() error {
	svc, err := exceptions.New(exceptions.Options{Config: a.cfg.Exceptions, Store: livenessStore{a.store, a.live},
		Log: a.base.With("component", "exceptions"), Now: a.cfg.ExceptionsNow, Changed: func() { a.api.NotifyExceptions(); a.note.poke() }, Rules: &a.cfg.Execution, Materials: a.inv,
		Purchasing: a.pur, Timed: a.lead.Leading})
	if err != nil {
		return fmt.Errorf("central: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.exc = exceptionRunner{svc: svc, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(a.exc.done); svc.Run(ctx) }()
	return nil
}

// stop ends the loop and waits for it; idempotent.
func (r *exceptionRunner) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

// Exceptions gives tests the exception service.
func (a *App) Exceptions() *exceptions.Service { return a.exc.svc }

// observingApplier hands each committed batch's events to the exception
// rules after the commit. Observe never blocks or fails, so an exception
// bug cannot delay an ack or lose a count.
type observingApplier struct {
	next ingest.Applier
	a    *App
}

func (o observingApplier) ApplyBatch(ctx context.Context, b wire.Batch) (int, error) {
	n, err := o.next.ApplyBatch(ctx, b)
	if err == nil && n > 0 && o.a.exc.svc != nil {
		o.a.exc.svc.Observe(b.Events)
	}
	return n, err
}

// poke tells the loop that events arrived; safe before start.
func (r *exceptionRunner) poke() {
	if r.svc != nil {
		r.svc.Poke()
	}
}
