package agent

import (
	"math"
	"time"

	"github.com/linewise/linewise/edge/signal"
	"github.com/linewise/linewise/edge/wire"
)

// The edge's bound on count deltas (issue #10). An impossible delta (above
// the ceiling, or above the counter's max_rate × the time since its
// previous count event, with slack) is not dropped: the parts may be real,
// and dropping them would lose them without a trace. It is sent as a count
// event flagged with wire.Count.Refused, which central never counts: it
// quarantines it, acknowledges it as rejected (the outbox moves on, the
// event lands in the edge's dead-letter table), and shows it to a
// supervisor. The counter's baseline moves on as for any delta, so the
// same parts are never counted twice, whatever a person decides later.

// boundsState is the processor's memory of each counter's last count event.
type boundsState struct {
	countAt   map[string]time.Time // committed: source time of the counter's last count event
	pendingAt map[string]time.Time // in the transaction being built
}

// boundsLoad starts from the persisted counter states: their At is the
// source time of the last change, i.e. of the last count event.
func (p *processor) boundsLoad() {
	p.bounds.countAt = map[string]time.Time{}
	for sig, st := range p.counterState {
		if st.At != 0 {
			p.bounds.countAt[sig] = time.Unix(0, st.At).UTC()
		}
	}
}

// boundsBegin forgets what a failed transaction noted.
func (p *processor) boundsBegin() { clear(p.bounds.pendingAt) }

// boundsCommitted keeps what the committed transaction noted.
func (p *processor) boundsCommitted() {
	for sig, at := range p.bounds.pendingAt {
		p.bounds.countAt[sig] = at
	}
	clear(p.bounds.pendingAt)
}

// bound checks a delta of parts on counter c at source time at, flags ev
// if it is impossible, and returns the parts as an int64 can carry them.
func (p *processor) bound(c *counterRule, parts uint64, at time.Time, ev *wire.Count) int64 {
	if p.bounds.pendingAt == nil {
		p.bounds.pendingAt = map[string]time.Time{}
	}
	elapsed := time.Duration(-1)
	prev, ok := p.bounds.pendingAt[c.Signal]
	if !ok {
		prev, ok = p.bounds.countAt[c.Signal]
	}
	if ok {
		elapsed = max(at.Sub(prev), 0)
	}
	p.bounds.pendingAt[c.Signal] = at
	rate := c.Rate // max_rate, or 1.25 / ideal_cycle
	if c.Mode == "per_part" {
		rate = 0 // one part per message: only the ceiling applies
	}
	if why := signal.Plausible(parts, elapsed, rate); why != "" {
		ev.Refused = why
		p.flagged.Add(1)
		p.log.Warn("impossible count delta: sent flagged, central will quarantine it and count nothing",
			"signal", c.Signal, "device", p.cfg.DeviceOf(c.Signal), "parts", parts, "reason", why)
	}
	return int64(min(parts, math.MaxInt64))
}
