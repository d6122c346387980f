package agent

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/edge/config"
	"github.com/linewise/linewise/edge/outbox"
	"github.com/linewise/linewise/edge/signal"
)

// metaEvidenceValues persists, per counter, the restart and overflow-count
// signals' values at the counter's previous read, so a restart or a wrap
// while the edge was down is seen.
const metaEvidenceValues = "counter_evidence_values"

// seenWith is what a counter's evidence signals said at its previous read.
type seenWith struct {
	Restart string `json:"restart,omitempty"`
	Wraps   string `json:"wraps,omitempty"`
}

func (p *processor) loadEvidence() error {
	if v, err := p.ob.Meta(metaBeforeNoData); err != nil {
		return err
	} else if v != "" {
		_ = json.Unmarshal([]byte(v), &p.beforeNoData)
	}
	v, err := p.ob.Meta(metaEvidenceValues)
	if err != nil {
		return err
	}
	if v != "" {
		_ = json.Unmarshal([]byte(v), &p.counterRst)
	}
	return nil
}

// takeEvidenceSignals notes the restart and overflow-count readings of a
// batch before its counters are judged: a poll reads them with the counter
// in any order, and stamps them all with the same time, which pairs them
// even when a batch holds several polls.
func (p *processor) takeEvidenceSignals(rs []devices.Reading) {
	clear(p.batchEv)
	if len(p.evidenceSig) == 0 {
		return
	}
	for _, r := range rs {
		if p.evidenceSig[r.Signal] {
			p.batchEv[r.Signal] = append(p.batchEv[r.Signal], r)
		}
	}
}

// evidenceAt is sig's value read in the same poll as a reading taken at,
// else its latest value from before this batch.
func (p *processor) evidenceAt(sig string, at time.Time) (string, bool) {
	for _, r := range p.batchEv[sig] {
		if r.SourceTime.Equal(at) {
			if r.Quality == devices.Bad {
				return "", false
			}
			return config.RawKey(r.Value), true
		}
	}
	v, ok := p.evidenceVal[sig]
	return v, ok
}

// noteEvidence keeps an evidence signal's latest value for later batches.
func (p *processor) noteEvidence(r devices.Reading) {
	if r.Quality == devices.Bad {
		delete(p.evidenceVal, r.Signal)
	} else {
		p.evidenceVal[r.Signal] = config.RawKey(r.Value)
	}
}

// evidence is what the edge knows about c since its previous value.
func (p *processor) evidence(c *counterRule, at time.Time) signal.Evidence {
	ev := signal.Evidence{DeviceGap: p.gap[c.Signal]}
	before := p.counterRst[c.Signal]
	if c.RestartSignal != "" {
		now, ok := p.evidenceAt(c.RestartSignal, at)
		switch {
		case !ok || before.Restart == "":
		case now != before.Restart:
			ev.Restart = signal.Restarted
		default:
			ev.Restart = signal.NotRestarted
		}
	}
	if c.WrapsSignal != "" {
		v, _ := p.evidenceAt(c.WrapsSignal, at)
		now, err1 := strconv.ParseUint(v, 10, 64)
		was, err2 := strconv.ParseUint(before.Wraps, 10, 64)
		if err1 == nil && err2 == nil {
			ev.WrapsKnown = true
			switch {
			case now >= was:
				ev.WrapsDelta = now - was
			case was < 1<<16 && now < 1<<16: // a 16-bit overflow count rolled over itself
				ev.WrapsDelta = (now + 1<<16 - was) % (1 << 16)
			default:
				ev.WrapsDelta = signal.WrapsFell
			}
		}
	}
	return ev
}

// readEvidence records that c was read: its gap is over, and the evidence
// signals' values it was read with are kept (persisted when they change).
func (p *processor) readEvidence(tx *outbox.Tx, c *counterRule, at time.Time) {
	delete(p.gap, c.Signal)
	if c.RestartSignal == "" && c.WrapsSignal == "" {
		return
	}
	w := p.counterRst[c.Signal]
	now := w
	if v, ok := p.evidenceAt(c.RestartSignal, at); ok && c.RestartSignal != "" {
		now.Restart = v
	}
	if v, ok := p.evidenceAt(c.WrapsSignal, at); ok && c.WrapsSignal != "" {
		now.Wraps = v
	}
	if now != w {
		p.counterRst[c.Signal] = now
		b, _ := json.Marshal(p.counterRst)
		tx.SetMeta(metaEvidenceValues, string(b))
	}
}
