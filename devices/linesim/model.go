package linesim

import (
	"fmt"
	"hash/fnv"
	"math"
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
	Stop  bool
	Setup bool // a changeover: state setup, no part

	Scrap  bool
	Dur    time.Duration
	Jitter float64
}

// model is the pure, deterministic state of one line in simulated time. It
// has no clock, no lock and no I/O: the Sim drives it with advance(simNow).
type model struct {
	cfg LineConfig
	rng *rand.Rand
	// qrng draws QC measurements: a stream of its own, so turning QC on
	// does not change the sequence of parts and short stops.
	qrng *rand.Rand

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
	goodWraps   uint64 // times goodCtr rolled over since the last power cycle
	rejectWraps uint64
	mask        uint64
	changes     uint64 // bumped on every observable change
	stateChange time.Duration
	goodChange  time.Duration
	rejChange   time.Duration

	// Work orders, changeovers and what the scanner and QC station report.
	orderSeq    int    // 1-based number of the current work order
	order       string // its code
	product     string
	inOrder     uint64 // parts made in the current order
	orderChange time.Duration
	forceCO     bool   // a changeover was asked for over HTTP
	changeovers uint64 // setups completed
	events      eventLog
}

// Scan is one code the simulated scanner read, at simulated time At.
type Scan struct {
	Seq  uint64        `json:"seq"`
	Code string        `json:"code"`
	At   time.Duration `json:"-"`
	// Time is the real time of At, filled in by the Sim.
	Time time.Time `json:"ts"`
}

// QCResult is one measurement of the simulated QC station, in the JSON
// form devices/qc reads (plus seq), at simulated time At.
type QCResult struct {
	Seq            uint64        `json:"seq"`
	Unit           string        `json:"unit"`
	Lot            string        `json:"lot"`
	Characteristic string        `json:"characteristic"`
	Value          float64       `json:"value"`
	Lower          float64       `json:"lower"`
	Upper          float64       `json:"upper"`
	Pass           bool          `json:"pass"`
	At             time.Duration `json:"-"`
	Time           time.Time     `json:"ts"`
}

// maxEvents bounds the scans and QC results a line keeps for the truth
// API; counts are kept beyond it.
const maxEvents = 10000

// eventLog is a line's scans and QC results, newest last, bounded.
type eventLog struct {
	scans      []Scan
	qc         []QCResult
	nScan, nQC uint64 // ever recorded; Seq of the last one
	qcPass     uint64
	qcFail     uint64
}

func (e *eventLog) addScan(code string, at time.Duration) {
	e.nScan++
	e.scans = append(e.scans, Scan{Seq: e.nScan, Code: code, At: at})
	if len(e.scans) > maxEvents {
		e.scans = append(e.scans[:0], e.scans[len(e.scans)-maxEvents/2:]...)
	}
}

func (e *eventLog) addQC(r QCResult) {
	e.nQC++
	r.Seq = e.nQC
	if r.Pass {
		e.qcPass++
	} else {
		e.qcFail++
	}
	e.qc = append(e.qc, r)
	if len(e.qc) > maxEvents {
		e.qc = append(e.qc[:0], e.qc[len(e.qc)-maxEvents/2:]...)
	}
}

// scansAfter returns the scans with Seq > seq (those still kept).
func (e *eventLog) scansAfter(seq uint64) []Scan {
	i := len(e.scans)
	for i > 0 && e.scans[i-1].Seq > seq {
		i--
	}
	return append([]Scan(nil), e.scans[i:]...)
}

func (e *eventLog) qcAfter(seq uint64) []QCResult {
	i := len(e.qc)
	for i > 0 && e.qc[i-1].Seq > seq {
		i--
	}
	return append([]QCResult(nil), e.qc[i:]...)
}

func newModel(seed uint64, cfg LineConfig) *model {
	cfg = cfg.withDefaults()
	h := fnv.New64a()
	h.Write([]byte(cfg.ID))
	m := &model{
		cfg:  cfg,
		rng:  rand.New(rand.NewPCG(seed, h.Sum64())),
		qrng: rand.New(rand.NewPCG(seed^0x51c0ffee, h.Sum64())),
		mask: 1<<uint(cfg.CounterBits) - 1,
	}
	if *cfg.Running {
		m.state = StateRunning
	}
	m.beginOrder(0)
	return m
}

// OrderCode is the code of a line's n-th work order (1-based): the
// configured one, else WO-<line>-<n, 4 digits>.
func (l LineConfig) OrderCode(n int) string {
	if n <= len(l.Changeover.Orders) {
		return l.Changeover.Orders[n-1]
	}
	return fmt.Sprintf("WO-%s-%04d", l.ID, n)
}

// beginOrder starts the next work order at simulated time at: the next
// product in turn, and the operator scans the order's traveler.
func (m *model) beginOrder(at time.Duration) {
	m.orderSeq++
	m.order = m.cfg.OrderCode(m.orderSeq)
	if ps := m.cfg.Changeover.Products; len(ps) > 0 {
		m.product = ps[(m.orderSeq-1)%len(ps)]
	}
	m.inOrder, m.forceCO = 0, false
	m.orderChange = at
	if m.cfg.Scanner.enabled() {
		m.events.addScan(m.order, at)
	}
	m.changes++
}

// changeoverDue says whether the current order is complete, so the next
// part must wait for a setup.
func (m *model) changeoverDue() bool {
	q := m.cfg.Changeover.OrderQty
	return m.forceCO || (q > 0 && m.inOrder >= uint64(q))
}

// forceChangeover ends the current order at simulated time now (an
// operator's changeover): a part in progress is abandoned.
func (m *model) forceChangeover(now time.Duration) {
	m.advance(now)
	m.forceCO = true
	if m.state == StateRunning && m.downUntil == 0 {
		m.pending, m.start = nil, now
		m.advance(now)
	}
}

// measure draws the QC result of part number n, made at simulated time at.
func (m *model) measure(n uint64, at time.Duration) {
	q := m.cfg.QC
	v := q.Nominal + m.qrng.NormFloat64()*q.Sigma
	v = math.Round(v*1e4) / 1e4
	lo, hi := q.Nominal-q.Tolerance, q.Nominal+q.Tolerance
	m.events.addQC(QCResult{
		Unit: fmt.Sprintf("SN-%s-%06d", m.cfg.ID, n), Lot: m.order, Characteristic: q.Characteristic,
		Value: v, Lower: lo, Upper: hi, Pass: v >= lo && v <= hi, At: at,
	})
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
			var o Outcome
			if m.changeoverDue() {
				o = Outcome{Setup: true, Dur: m.cfg.Changeover.Setup}
				m.setState(StateSetup, 0, m.start)
			} else {
				o = m.next()
				if o.Stop {
					m.setState(StateDown, FaultShortStop, m.start)
				}
			}
			m.pending = &o
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
		if o.Setup {
			m.changeovers++
			m.beginOrder(end)
			m.setState(StateRunning, 0, end)
			continue
		}
		m.made++
		m.inOrder++
		if e := m.cfg.QC.Every; e > 0 && m.made%uint64(e) == 0 {
			m.measure(m.made, end)
		}
		if o.Scrap {
			m.reject++
			m.rejectCtr = (m.rejectCtr + 1) & m.mask
			if m.rejectCtr == 0 {
				m.rejectWraps++
			}
			m.rejChange = end
		} else {
			m.good++
			m.goodCtr = (m.goodCtr + 1) & m.mask
			if m.goodCtr == 0 {
				m.goodWraps++
			}
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
	if after == StateDown || after == StateSetup {
		// A short stop in progress ends with the breakdown; a setup in
		// progress starts over after it.
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
	m.goodWraps, m.rejectWraps = 0, 0
	m.goodChange, m.rejChange = now, now
	m.changes++
}
