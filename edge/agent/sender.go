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
	resend   bool // these events were sent before: no RTT sample (Karn)
}

// rto is the ack timeout, adapted to central's observed round-trip time the
// way TCP does it (Jacobson's SRTT/RTTVAR), never below the configured
// ack_timeout and never above 16 times it. A fixed timeout shorter than
// central's commit queue would make the edge resend batches that are
// already queued, and bury central in duplicates.
type rto struct {
	base, srtt, rttvar time.Duration
	backoff            int
}

func (r *rto) timeout() time.Duration {
	t := r.base
	if r.srtt > 0 {
		t = max(t, r.srtt+4*r.rttvar)
	}
	t <<= r.backoff
	return min(t, 16*r.base)
}

func (r *rto) sample(rtt time.Duration) {
	r.backoff = 0
	if r.srtt == 0 {
		r.srtt, r.rttvar = rtt, rtt/2
		return
	}
	d := r.srtt - rtt
	if d < 0 {
		d = -d
	}
	r.rttvar = (3*r.rttvar + d) / 4
	r.srtt = (7*r.srtt + rtt) / 8
}

// sendLoop moves events from the outbox to central. Events leave the outbox
// only on central's ack; a batch not acknowledged in time is sent again from
// the oldest unacknowledged event (central deduplicates).
func (a *Agent) sendLoop(ctx context.Context) {
	var (
		window   []inflight
		sentTo   uint64 // highest seq handed to the uplink since the last resend
		sentEver uint64 // highest seq ever handed to the uplink
	)
	r := &rto{base: a.cfg.Central.AckTimeout}
	// After a timeout only one batch is in flight; every ack that matches a
	// batch in flight widens the window again (acks of stale copies do not).
	limit := maxInFlight
	tick := time.NewTicker(max(r.base/4, 50*time.Millisecond))
	defer tick.Stop()
	// A link that is up but moves nothing (a half-open connection, a
	// session another client took over) counts as broken after
	// stall_after ack timeouts in a row without ack progress.
	timeouts := 0
	noProgress := func() {
		timeouts++
		if n := a.cfg.Central.StallAfter; n > 0 && timeouts >= n && a.up.Connected() && a.ob.Depth() > 0 {
			a.log.Warn("link stalled: connected but no ack progress; reconnecting", "ack_timeouts", timeouts, "outbox_depth", a.ob.Depth())
			a.stats.Stalls.Add(1)
			a.stalled.Store(true)
			timeouts = 0
			window, sentTo = nil, 0
			a.up.Reconnect()
		}
	}
	onAck := func(ack wire.Ack) {
		if a.handleAck(ctx, ack) > 0 {
			timeouts = 0
			if a.stalled.Swap(false) {
				a.log.Info("acks from central again: the link recovered")
			}
		}
		var matched bool
		window, matched = dropAcked(window, ack, r)
		if matched && limit < maxInFlight {
			limit++
		}
	}
	for {
		// Take every ack that has arrived.
	acks:
		for {
			select {
			case ack := <-a.up.Acks():
				onAck(ack)
			default:
				break acks
			}
		}
		if len(window) > 0 && time.Since(window[0].sent) > r.timeout() {
			a.log.Warn("no ack from central in time; resending from the oldest event", "from", window[0].from, "timeout", r.timeout())
			a.stats.Resends.Add(1)
			window, sentTo = nil, 0
			noProgress()
			limit = 1
			if r.timeout() < 16*r.base {
				r.backoff++
			}
		}
		if !a.up.Connected() {
			window, sentTo = nil, 0
		} else if len(window) < limit {
			// The events go out as the outbox stored them: no decoding and
			// encoding again on the way.
			b, err := a.ob.PendingBatch(ctx, sentTo, a.cfg.Central.BatchSize)
			if err != nil {
				a.log.Error("reading outbox", "err", err)
			} else if b.Events > 0 {
				pctx, cancel := context.WithTimeout(ctx, r.base)
				err := a.up.Publish(pctx, b)
				cancel()
				switch {
				case err == nil:
					a.stats.Batches.Add(1)
					window = append(window, inflight{from: b.From, to: b.To, sent: time.Now(), resend: b.From <= sentEver})
					sentTo, sentEver = b.To, max(sentEver, b.To)
					continue // fill the window without waiting
				case errors.Is(err, uplink.ErrNotConnected), ctx.Err() != nil:
				case errors.Is(err, context.DeadlineExceeded):
					// Up, but the transport did not take the batch within
					// an ack timeout (a half-open connection): no progress.
					a.log.Warn("publish not confirmed within the ack timeout", "from", b.From)
					noProgress()
				default:
					a.log.Warn("publish failed", "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case ack := <-a.up.Acks():
			onAck(ack)
		case <-a.wake:
		case <-tick.C:
		}
	}
}

// handleAck applies an ack to the outbox and returns how many events it
// removed (0 for an ack of events already gone).
func (a *Agent) handleAck(ctx context.Context, ack wire.Ack) int64 {
	if ack.Error != "" {
		n, err := a.ob.Reject(ctx, ack.From, ack.To, ack.Error)
		a.stats.Rejected.Add(n)
		a.log.Error("central refused events; moved to the dead-letter table", "from", ack.From, "to", ack.To, "reason", ack.Error, "err", err)
		return n
	}
	removed := int64(0)
	for _, r := range ack.Rejected {
		if r.Seq < ack.From || r.Seq > ack.To {
			continue
		}
		n, err := a.ob.Reject(ctx, r.Seq, r.Seq, r.Reason)
		a.stats.Rejected.Add(n)
		removed += n
		if n > 0 {
			a.log.Error("central refused an event; moved to the dead-letter table", "seq", r.Seq, "reason", r.Reason, "err", err)
		}
	}
	n, err := a.ob.Ack(ctx, ack.From, ack.To)
	if err != nil {
		a.log.Error("removing acknowledged events", "err", err)
		return removed
	}
	a.stats.Acked.Add(n)
	return removed + n
}

// dropAcked removes the batches an ack covers, feeding the RTT estimate
// from first transmissions, and reports whether any batch in flight matched.
func dropAcked(w []inflight, ack wire.Ack, r *rto) ([]inflight, bool) {
	out := w[:0]
	matched := false
	for _, f := range w {
		if f.from >= ack.From && f.to <= ack.To {
			matched = true
			if !f.resend {
				r.sample(time.Since(f.sent))
			}
			continue
		}
		out = append(out, f)
	}
	return out, matched
}
