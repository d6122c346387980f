package agent

import (
	"context"
	"errors"
	"time"

	"github.com/linewise/linewise/edge/uplink"
	"github.com/linewise/linewise/edge/wire"
)

// maxInFlight is how many batches may await an ack at once.
const maxInFlight = 8

type inflight struct {
	from, to uint64
	sent     time.Time
}

// sendLoop moves events from the outbox to central. Events leave the outbox
// only on central's ack; a batch not acknowledged in time is sent again from
// the oldest unacknowledged event (central deduplicates).
func (a *Agent) sendLoop(ctx context.Context) {
	var (
		window []inflight
		sentTo uint64 // highest seq handed to the uplink since the last resend
	)
	timeout := a.cfg.Central.AckTimeout
	tick := time.NewTicker(timeout / 4)
	defer tick.Stop()
	for {
		// Take every ack that has arrived.
	acks:
		for {
			select {
			case ack := <-a.up.Acks():
				a.handleAck(ctx, ack)
				window = dropAcked(window, ack)
			default:
				break acks
			}
		}
		if len(window) > 0 && time.Since(window[0].sent) > timeout {
			a.log.Warn("no ack from central in time; resending", "from", window[0].from, "timeout", timeout)
			a.stats.Resends.Add(1)
			window, sentTo = nil, 0
		}
		if !a.up.Connected() {
			window, sentTo = nil, 0
		} else if len(window) < maxInFlight {
			evs, err := a.ob.Pending(ctx, sentTo, a.cfg.Central.BatchSize)
			if err != nil {
				a.log.Error("reading outbox", "err", err)
			} else if len(evs) > 0 {
				b := wire.Batch{Version: wire.Version, EdgeID: a.cfg.EdgeID, Events: evs}
				pctx, cancel := context.WithTimeout(ctx, timeout)
				err := a.up.Publish(pctx, b)
				cancel()
				switch {
				case err == nil:
					a.stats.Batches.Add(1)
					window = append(window, inflight{from: evs[0].Seq, to: evs[len(evs)-1].Seq, sent: time.Now()})
					sentTo = evs[len(evs)-1].Seq
					continue // fill the window without waiting
				case errors.Is(err, uplink.ErrNotConnected), ctx.Err() != nil:
				default:
					a.log.Warn("publish failed", "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case ack := <-a.up.Acks():
			a.handleAck(ctx, ack)
			window = dropAcked(window, ack)
		case <-a.wake:
		case <-tick.C:
		}
	}
}

func (a *Agent) handleAck(ctx context.Context, ack wire.Ack) {
	if ack.Error != "" {
		n, err := a.ob.Reject(ctx, ack.From, ack.To, ack.Error)
		a.stats.Rejected.Add(n)
		a.log.Error("central refused events; moved to the dead-letter table", "from", ack.From, "to", ack.To, "reason", ack.Error, "err", err)
		return
	}
	n, err := a.ob.Ack(ctx, ack.From, ack.To)
	if err != nil {
		a.log.Error("removing acknowledged events", "err", err)
		return
	}
	a.stats.Acked.Add(n)
}

func dropAcked(w []inflight, ack wire.Ack) []inflight {
	out := w[:0]
	for _, f := range w {
		if f.from >= ack.From && f.to <= ack.To {
			continue
		}
		out = append(out, f)
	}
	return out
}
