package linesim

import (
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// State is the machine state enum a PLC would expose.
type State int32

const (
	StateIdle        State = 0
	StateRunning     State = 1
	StateDown        State = 2
	StateSetup       State = 3
	StatePlannedStop State = 4
)

func (s State) String() string {
	switch s {
	case StateIdle:
		return "idle"
	case StateRunning:
		return "running"
	case StateDown:
		return "down"
	case StateSetup:
		return "setup"
	case StatePlannedStop:
		return "planned_stop"
	}
	return "unknown"
}

// FaultShortStop is the fault code a short stop reports.
const FaultShortStop = 17

// Outcome is one step of a line: a part (good or scrapped) made in Dur, or a
// short stop lasting Dur.
type Outcome struct {
	Stop   bool
	Scrap  bool
	Dur    time.Duration
	Jitter float64
}

// model is the pure, deterministic state of one line in simulated time. It
// has no clock, no lock and no I/O: the Sim drives it with advance(simNow).
type model struct {
	cfg LineConfig
	rng *rand.Rand

	now     time.Duration // simulated time reached
	state   State
	fault   int32
	pending *Outcome
	start   time.Duration // simulated time the pending outcome (or run) started

	downUntil   time.Duration // end of an operator-injected breakdown, 0 if none
	afterBreak  State
	made, good  uint64
	reject      uint64
	goodCtr     uint64
	rejectCtr   uint64
	mask        uint64
	changes     uint64 // bumped on every observable change
	stateChange time.Duration
	goodChange  time.Duration
	rejChange   time.Duration
}

func newModel(seed uint64, cfg LineConfig) *model {
	cfg = cfg.withDefaults()
	h := fnv.New64a()
	h.Write([]byte(cfg.ID))
	m := &model{
		cfg:  cfg,
		rng:  rand.New(rand.NewPCG(seed, h.Sum64())),
		mask: 1<<uint(cfg.CounterBits) - 1,
	}
	if *cfg.Running {
		m.state = StateRunning
	}
	return m
}

// next draws the next outcome. The sequence depends only on seed and config.
func (m *model) next() Outcome {
	if m.cfg.ShortStopRate > 0 && m.rng.Float64() < m.cfg.ShortStopRate {
		return Outcome{Stop: true, Dur: m.cfg.ShortStop}
	}
	j := (m.rng.Float64() - 0.5) * 0.1 // ±5% jitter
	o := Outcome{Jitter: j, Dur: time.Duration(float64(m.cfg.IdealCycle) * (1 + j))}
	if o.Dur <= 0 {
		o.Dur = 1
	}
	o.Scrap = m.cfg.ScrapRate > 0 && m.rng.Float64() < m.cfg.ScrapRate
	return o
}

func (m *model) setState(s State, fault int32, at time.Duration) {
	if m.state != s || m.fault != fault {
		m.state, m.fault = s, fault
		m.stateChange = at
		m.changes++
	}
}

// advance moves simulated time forward to now, applying every outcome that
// completes by then. Time never goes backwards.
func (m *model) advance(now time.Duration) {
	if now < m.now {
		return
	}
	for {
		if m.downUntil > 0 {
			if now < m.downUntil {
				break
			}
			at := m.downUntil
			m.downUntil = 0
			m.start = at
			m.setState(m.afterBreak, 0, at)
			continue
		}
		if m.state != StateRunning && m.pending == nil {
			break
		}
		if m.pending == nil {
			o := m.next()
			m.pending = &o
			if o.Stop {
				m.setState(StateDown, FaultShortStop, m.start)
			}
		}
		end := m.start + m.pending.Dur
		if now < end {
			break
		}
		o := *m.pending
		m.pending = nil
		m.start = end
		if o.Stop {
			m.setState(StateRunning, 0, end)
			continue
		}
		m.made++
		if o.Scrap {
			m.reject++
			m.rejectCtr = (m.rejectCtr + 1) & m.mask
			m.rejChange = end
		} else {
			m.good++
			m.goodCtr = (m.goodCtr + 1) & m.mask
			m.goodChange = end
		}
		m.changes++
	}
	m.now = now
}

// stopProduction sets the line idle at simulated time now; counters freeze.
// A part in progress is abandoned (its outcome was already drawn).
func (m *model) stopProduction(now time.Duration) {
	m.advance(now)
	m.pending, m.downUntil = nil, 0
	m.setState(StateIdle, 0, now)
}

func (m *model) startProduction(now time.Duration) {
	m.advance(now)
	if m.state == StateRunning || m.downUntil > 0 {
		if m.downUntil > 0 {
			m.afterBreak = StateRunning
		}
		return
	}
	m.pending, m.start = nil, now
	m.setState(StateRunning, 0, now)
}

func (m *model) breakdown(now, d time.Duration, fault int32) {
	m.advance(now)
	after := m.state
	if m.downUntil > 0 {
		after = m.afterBreak
	}
	if after == StateDown { // a short stop in progress ends with the breakdown
		after = StateRunning
	}
	m.pending = nil
	m.afterBreak = after
	m.downUntil = now + d
	if d <= 0 {
		m.downUntil = now + 1
	}
	m.setState(StateDown, fault, now)
}

func (m *model) powerCycle(now time.Duration) {
	m.advance(now)
	m.goodCtr, m.rejectCtr = 0, 0
	m.goodChange, m.rejChange = now, now
	m.changes++
}
