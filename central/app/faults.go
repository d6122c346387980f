package app

import (
	"context"
	"time"

	"github.com/linewise/linewise/central/ingest"
	"github.com/linewise/linewise/edge/wire"
)

// applier is what ingest commits batches through: the store, slowed down when
// a fault-injection test asks for it.
func (a *App) applier() ingest.Applier {
	var next ingest.Applier = a.store
	if a.cfg.CommitDelay > 0 {
		next = slowApplier{next: a.store, delay: a.cfg.CommitDelay}
	}
	return observingApplier{next: next, a: a}
}

// slowApplier makes every commit take at least delay, as a database under
// load does; the ack still follows the real commit.
type slowApplier struct {
	next  ingest.Applier
	delay time.Duration
}

func (s slowApplier) ApplyBatch(ctx context.Context, b wire.Batch) (int, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return s.next.ApplyBatch(ctx, b)
}
