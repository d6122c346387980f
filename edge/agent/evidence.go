package agent

import (
	"encoding/json"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/edge/config"
	"github.com/linewise/linewise/edge/outbox"
	"github.com/linewise/linewise/edge/signal"
)

// metaRestartValues persists, per counter, the restart signal's value at
// the counter's previous read: a restart while the edge was down is seen.
const metaRestartValues = "counter_restart_values"

func (p *processor) loadEvidence() error {
	if v, err := p.ob.Meta(metaBeforeNoData); err != nil {
		return err
	} else if v != "" {
		_ = json.Unmarshal([]byte(v), &p.beforeNoData)
	}
	v, err := p.ob.Meta(metaRestartValues)
	if err != nil {
		return err
	}
	if v != "" {
		_ = json.Unmarshal([]byte(v), &p.counterRst)
	}
	return nil
}

// takeRestartSignals notes the restart signals' values of a batch before
// its counters are judged: a poll reads both, in either order.
func (p *processor) takeRestartSignals(rs []devices.Reading) {
	if len(p.restartSig) == 0 {
		return
	}
	for _, r := range rs {
		if p.restartSig[r.Signal] && r.Quality != devices.Bad {
			p.restartVal[r.Signal] = config.RawKey(r.Value)
		}
	}
}

// evidence is what the edge knows about c since its previous value.
func (p *processor) evidence(c *counterRule) signal.Evidence {
	ev := signal.Evidence{DeviceGap: p.gap[c.Signal]}
	if c.RestartSignal == "" {
		return ev
	}
	now, ok := p.restartVal[c.RestartSignal]
	before, known := p.counterRst[c.Signal]
	switch {
	case !ok || !known:
	case now != before:
		ev.Restart = signal.Restarted
	default:
		ev.Restart = signal.NotRestarted
	}
	return ev
}

// readEvidence records that c was read: its gap is over, and the restart
// signal's value it was read with is kept (persisted when it changes).
func (p *processor) readEvidence(tx *outbox.Tx, c *counterRule) {
	delete(p.gap, c.Signal)
	if c.RestartSignal == "" {
		return
	}
	if v, ok := p.restartVal[c.RestartSignal]; ok && p.counterRst[c.Signal] != v {
		p.counterRst[c.Signal] = v
		b, _ := json.Marshal(p.counterRst)
		tx.SetMeta(metaRestartValues, string(b))
	}
}
