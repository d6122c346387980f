package agent

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/linewise/linewise/edge/config"
)

// RunReloading runs the agent until ctx ends, reloading its configuration
// each time reload fires (SIGHUP in the edge command). A new configuration
// that does not load or changes edge_id is refused and the agent keeps
// running as it was. Otherwise the running agent stops in its written order
// (every reading taken is on disk in the outbox) and a new one starts from
// the same outbox and counter state, so no event is lost or repeated.
func RunReloading(ctx context.Context, load func() (*config.Loaded, error), reload <-chan struct{}, log *slog.Logger) error {
	cfg, err := load()
	if err != nil {
		return err
	}
	for {
		a, err := New(cfg, log)
		if err != nil {
			return err
		}
		if err := a.Start(ctx); err != nil {
			a.Shutdown(context.Background())
			return err
		}
		var next *config.Loaded
		for next == nil {
			select {
			case <-ctx.Done():
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				return a.Shutdown(sctx)
			case <-reload:
				n, err := load()
				switch {
				case err != nil:
					log.Error("configuration reload refused; still running the previous one", "err", err)
				case n.EdgeID != cfg.EdgeID:
					log.Error("configuration reload refused; still running the previous one",
						"err", fmt.Sprintf("edge_id changed from %q to %q: an outbox belongs to one edge", cfg.EdgeID, n.EdgeID))
				default:
					next = n
				}
			}
		}
		log.Info("reloading configuration")
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = a.Shutdown(sctx)
		cancel()
		if err != nil {
			log.Warn("previous agent did not stop cleanly", "err", err)
		}
		cfg = next
	}
}
