package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/linewise/linewise/devices"
	qcdev "github.com/linewise/linewise/devices/qc"
	"github.com/linewise/linewise/edge/config"
	"github.com/linewise/linewise/edge/outbox"
	"github.com/linewise/linewise/edge/signal"
	"github.com/linewise/linewise/edge/telemetry"
	"github.com/linewise/linewise/edge/wire"
)

// processor turns readings into events. It runs on one goroutine; its state
// is mirrored in the outbox in the same transaction as the events it emits.
type processor struct {
	cfg      *config.Loaded
	ob       *outbox.Outbox
	log      *slog.Logger
	tel      *telemetry.Writer // nil when not configured
	counters map[string]*counterRule
	state    *stateRule
	scans    map[string]config.Scan
	qcs      map[string]config.QC
	silent   map[string]bool // scan and QC signals currently without data (logged once)

	counterState map[string]signal.CounterState
	lastRead     map[string]time.Time // source time of each counter's previous good reading
	bad          map[string]string    // mapped signal → why it has no data
	rawState     string
	rawFault     string
	haveState    bool
	lastSent     wire.State // last state event emitted (persisted)

	// State inference (cfg.State.Infer), for machines without a state
	// signal: the source time of the last part seen and when it was seen
	// by this clock, and whether the planned-stop signal is on.
	infer        *config.Infer
	lastPart     time.Time
	lastPartWall time.Time
	partSeen     bool // lastPart is a part, not the moment watching (re)started
	planned      bool
	now          func() time.Time

	// Device clocks (clock.go): each device's measured offset, the last
	// value of each signal (an offset is sampled on a change), and the
	// device time of the reading being processed when it was replaced.
	clocks    map[string]*deviceClock
	lastVal   map[string]string
	curDevice time.Time

	// Wrap-or-reset evidence (evidence.go): signals that had no data since
	// their last good value, and each counter's restart signal.
	gap         map[string]bool
	evidenceSig map[string]bool              // configured restart and overflow-count signals
	evidenceVal map[string]string            // their latest good value
	batchEv     map[string][]devices.Reading // their readings in the batch being processed
	counterRst  map[string]seenWith          // their values at each counter's previous read (persisted)
	// beforeNoData is the state sent before no_data, restored when a line
	// without a state source has data again.
	beforeNoData wire.State
	bounds       boundsState  // bounds.go
	flagged      atomic.Int64 // count events sent flagged as impossible
}

type counterRule struct {
	config.Counter
	calc signal.Counter
}

type stateRule struct {
	config.State
	m signal.StateMap
}

const (
	metaLineState    = "line_state"
	metaBeforeNoData = "line_state_before_no_data"
)

func newProcessor(cfg *config.Loaded, ob *outbox.Outbox, log *slog.Logger, tel *telemetry.Writer) (*processor, error) {
	p := &processor{cfg: cfg, ob: ob, log: log, tel: tel, counters: map[string]*counterRule{}, bad: map[string]string{}, lastRead: map[string]time.Time{}, now: time.Now,
		scans: map[string]config.Scan{}, qcs: map[string]config.QC{}, silent: map[string]bool{},
		clocks: map[string]*deviceClock{}, lastVal: map[string]string{}, gap: map[string]bool{},
		evidenceSig: map[string]bool{}, evidenceVal: map[string]string{}, counterRst: map[string]seenWith{}, batchEv: map[string][]devices.Reading{}}
	for _, m := range cfg.Scans {
		p.scans[m.Signal] = m
	}
	for _, m := range cfg.QC {
		p.qcs[m.Signal] = m
	}
	for _, c := range cfg.Counters {
		p.counters[c.Signal] = &counterRule{Counter: c, calc: signal.Counter{Bits: c.Bits, MaxDelta: c.MaxDelta, MaxRate: c.Rate, CountFrom: c.FirstRead == "count"}}
		for _, e := range []string{c.RestartSignal, c.WrapsSignal} {
			if e != "" {
				p.evidenceSig[e] = true
			}
		}
	}
	if s := cfg.State; s != nil && s.Infer != nil {
		p.infer = s.Infer
	} else if s != nil {
		p.state = &stateRule{State: *s, m: signal.StateMap{Map: s.Map, Default: s.Default, Reasons: s.Reasons}}
	}
	var err error
	if p.counterState, err = ob.Counters(); err != nil {
		return nil, err
	}
	p.boundsLoad()
	if v, err := ob.Meta(metaLineState); err != nil {
		return nil, err
	} else if v != "" {
		_ = json.Unmarshal([]byte(v), &p.lastSent)
	}
	if err := p.loadEvidence(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *processor) mapped(sig string) bool {
	if _, ok := p.counters[sig]; ok {
		return true
	}
	if p.infer != nil {
		return p.infer.PlannedSignal != "" && sig == p.infer.PlannedSignal
	}
	return p.state != nil && (sig == p.state.Signal || sig == p.state.ReasonSignal)
}

// process handles a batch of readings and commits the resulting events and
// state in one outbox transaction. On error nothing is committed and the
// in-memory state is rolled back, so the same readings can be retried.
func (p *processor) process(ctx context.Context, rs []devices.Reading) (int, error) {
	tx := &outbox.Tx{}
	// Work on copies so a failed commit leaves memory as it was.
	saved := p.snapshot()
	p.boundsBegin()
	p.takeEvidenceSignals(rs)
	for _, r := range rs {
		p.observeClock(r)
		var at time.Time
		at, p.curDevice = p.stamp(r)
		if p.evidenceSig[r.Signal] {
			p.noteEvidence(r)
			continue
		}
		if m, ok := p.scans[r.Signal]; ok {
			p.scan(tx, m, r)
			continue
		}
		if m, ok := p.qcs[r.Signal]; ok {
			p.qc(tx, m, r)
			continue
		}
		if !p.mapped(r.Signal) {
			continue
		}
		if r.Quality == devices.Bad {
			why := "no data"
			if r.Err != nil {
				why = r.Err.Error()
			}
			if _, was := p.bad[r.Signal]; !was {
				p.log.Warn("signal has no data", "signal", r.Signal, "device", p.cfg.DeviceOf(r.Signal), "err", why)
			}
			p.bad[r.Signal] = why
			p.gap[r.Signal] = true
			p.emitState(tx, at)
			continue
		}
		_, counter := p.counters[r.Signal]
		if _, was := p.bad[r.Signal]; was {
			p.log.Info("signal has data again", "signal", r.Signal, "device", p.cfg.DeviceOf(r.Signal))
			delete(p.bad, r.Signal)
			if counter && p.infer != nil {
				// Nothing is known of the gap: time the next stop from here.
				p.watchFrom(at)
			}
		}
		if p.infer != nil && counter && p.lastPart.IsZero() {
			p.watchFrom(at)
		}
		if c, ok := p.counters[r.Signal]; ok {
			p.count(tx, c, r)
		}
		if p.infer != nil && r.Signal == p.infer.PlannedSignal {
			was := p.planned
			if p.planned = truthy(r.Value); was && !p.planned {
				p.watchFrom(at) // no part was due during the stop
			}
		}
		if p.state != nil && (r.Signal == p.state.Signal || r.Signal == p.state.ReasonSignal) {
			key := config.RawKey(r.Value)
			if r.Signal == p.state.Signal {
				p.rawState, p.haveState = key, true
			} else {
				p.rawFault = key
			}
		}
		p.emitState(tx, at)
	}
	p.curDevice = time.Time{}
	evs, err := p.ob.Commit(ctx, tx)
	if err != nil {
		p.restore(saved)
		return 0, err
	}
	p.boundsCommitted()
	if p.tel != nil {
		for _, e := range evs {
			if e.Count != nil && e.Count.Refused == "" {
				p.tel.Parts(e.SourceTime, e.Count.Good, e.Count.Reject)
			}
		}
	}
	return len(evs), nil
}

func (p *processor) count(tx *outbox.Tx, c *counterRule, r devices.Reading) {
	if c.Mode == "per_part" {
		// Each message is one part, whatever it carries (often a serial).
		p.appendCount(tx, r, c, 1, wire.Count{Counter: c.Signal})
		return
	}
	v, ok := devices.AsInt64(r.Value)
	if !ok {
		p.log.Warn("counter reading is not a number; ignored", "signal", r.Signal, "device", p.cfg.DeviceOf(r.Signal), "value", fmt.Sprint(r.Value))
		return
	}
	var parts uint64
	ev := wire.Count{Counter: c.Signal, Raw: uint64(v)}
	if c.Mode == "pulse" {
		if v <= 0 {
			return
		}
		parts = uint64(v)
	} else {
		st := p.counterState[c.Signal]
		at := ts(r.SourceTime)
		d, next, err := c.calc.Next(st, v, at, p.lastRead[c.Signal], p.evidence(c, r.SourceTime))
		if err != nil {
			p.log.Warn("counter value refused", "signal", r.Signal, "device", p.cfg.DeviceOf(r.Signal), "err", err)
			return
		}
		p.lastRead[c.Signal] = at
		p.readEvidence(tx, c, r.SourceTime)
		if next != st {
			p.counterState[c.Signal] = next
			tx.SetCounter(c.Signal, next)
		}
		switch {
		case d.Ambiguous:
			p.log.Warn("counter ambiguous: counted the smaller reading; central asks a person to confirm", "signal", c.Signal,
				"previous", st.Last, "now", v, "counted", d.Parts, "reset", d.Reset, "wraps", d.Wraps, "or_more", d.Alt, "why", d.Why)
		case d.Reset:
			p.log.Warn("counter reset detected", "signal", c.Signal, "previous", st.Last, "now", v, "why", d.Why)
		}
		parts, ev.Reset, ev.Wraps, ev.Ambiguous, ev.AltParts = d.Parts, d.Reset, d.Wraps, d.Ambiguous, d.Alt
		if parts == 0 && !d.Reset && !d.Ambiguous {
			return
		}
	}
	p.appendCount(tx, r, c, parts, ev)
}

func (p *processor) appendCount(tx *outbox.Tx, r devices.Reading, c *counterRule, parts uint64, ev wire.Count) {
	at, _ := p.stamp(r)
	n := p.bound(c, parts, at, &ev)
	if c.Kind == "good" {
		ev.Good = n
	} else {
		ev.Reject = n
	}
	if parts > 0 {
		p.lastPart, p.lastPartWall, p.partSeen = at, p.now(), true
	}
	p.appendEvent(tx, wire.Event{Line: p.cfg.Line, Type: wire.TypeCount, SourceTime: at, Count: &ev})
}

// quiet logs a scanner or QC station going without data, or coming back,
// once per change. Neither makes the line "no data": the line still runs.
func (p *processor) quiet(r devices.Reading) bool {
	if r.Quality == devices.Bad {
		if !p.silent[r.Signal] {
			p.silent[r.Signal] = true
			p.log.Warn("signal has no data", "signal", r.Signal, "device", p.cfg.DeviceOf(r.Signal), "err", fmt.Sprint(r.Err))
		}
		return true
	}
	if p.silent[r.Signal] {
		delete(p.silent, r.Signal)
		p.log.Info("signal has data again", "signal", r.Signal, "device", p.cfg.DeviceOf(r.Signal))
	}
	return false
}

// maxCode bounds a scanned code: longer is noise, not a barcode.
const maxCode = 200

// scan turns a code read by a fixed scanner into a scan event at its station.
func (p *processor) scan(tx *outbox.Tx, m config.Scan, r devices.Reading) {
	if p.quiet(r) {
		return
	}
	code := strings.TrimSpace(fmt.Sprint(r.Value))
	if code == "" || len(code) > maxCode || strings.ContainsFunc(code, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		p.log.Warn("scan ignored: not a barcode", "signal", r.Signal, "device", p.cfg.DeviceOf(r.Signal), "value", fmt.Sprintf("%.60q", fmt.Sprint(r.Value)))
		return
	}
	at, _ := p.stamp(r)
	p.appendEvent(tx, wire.Event{Line: p.cfg.Line, Type: wire.TypeScan, SourceTime: at,
		Scan: &wire.Scan{Station: m.Station, Code: code, Action: m.Action}})
}

// qc turns a QC station's result (devices/qc JSON) into a quality event.
func (p *processor) qc(tx *outbox.Tx, m config.QC, r devices.Reading) {
	if p.quiet(r) {
		return
	}
	text, _ := r.Value.(string)
	res, _, err := qcdev.Parse([]byte(text))
	if err != nil {
		p.log.Warn("QC result ignored", "signal", r.Signal, "device", p.cfg.DeviceOf(r.Signal), "err", err)
		return
	}
	unit := res.Unit
	if unit == "" {
		unit = res.Lot
	}
	at, _ := p.stamp(r)
	p.appendEvent(tx, wire.Event{Line: p.cfg.Line, Type: wire.TypeQC, SourceTime: at,
		QC: &wire.QC{Station: m.Station, Unit: unit, Characteristic: res.Characteristic, Value: res.Value, Lower: res.Lower, Upper: res.Upper, Pass: res.Pass}})
}

// emitState appends a state event when the line's state differs from the
// last one sent. Any mapped signal without data makes the line "no data",
// which is not downtime.
func (p *processor) emitState(tx *outbox.Tx, at time.Time) {
	var next wire.State
	switch {
	case len(p.bad) > 0:
		sigs := make([]string, 0, len(p.bad))
		for s := range p.bad {
			sigs = append(sigs, s)
		}
		sort.Strings(sigs)
		next = wire.State{State: wire.StateNoData, Reason: "no data from " + strings.Join(sigs, ", ")}
	case p.infer != nil:
		p.emitInferred(tx, at)
		return
	case p.state != nil && p.haveState:
		next = p.state.m.Resolve(p.rawState, p.rawFault)
	case p.state == nil && p.lastSent.State == wire.StateNoData:
		// No state source: nothing else would end no_data. Go back to the
		// state sent before it, or else say the line is running with data
		// again (counts arrive; the edge cannot know more).
		next = p.beforeNoData
		if next.State == "" || next.State == wire.StateNoData {
			next = wire.State{State: wire.StateRunning, Reason: "data again; no state signal configured"}
		}
	default:
		return
	}
	p.send(tx, next, at)
}

func (p *processor) send(tx *outbox.Tx, next wire.State, at time.Time) {
	if next == p.lastSent {
		return
	}
	if next.State == wire.StateNoData && p.lastSent.State != wire.StateNoData {
		p.beforeNoData = p.lastSent
		b, _ := json.Marshal(p.lastSent)
		tx.SetMeta(metaBeforeNoData, string(b))
	}
	p.lastSent = next
	b, _ := json.Marshal(next)
	tx.SetMeta(metaLineState, string(b))
	st := next
	p.appendEvent(tx, wire.Event{Line: p.cfg.Line, Type: wire.TypeState, SourceTime: ts(at), State: &st})
}

// emitInferred derives the state from the parts: planned_stop while the
// planned signal is on; running while parts come; idle ("short stop") after
// short_stop_after ideal cycles without a part; down after down_after. A
// stop begins at the last part plus its threshold, so its start is exact
// however late the check runs; a check that finds the line down straight
// from running records the short stop first, as it happened.
func (p *processor) emitInferred(tx *outbox.Tx, at time.Time) {
	in := p.infer
	if p.planned {
		p.send(tx, wire.State{State: wire.StatePlannedStop, Reason: "planned stop signal " + in.PlannedSignal}, at)
		return
	}
	if p.lastPart.IsZero() {
		return // nothing read yet
	}
	cycles := func(n float64) time.Duration { return time.Duration(n * float64(in.IdealCycle)) }
	short, down := cycles(in.ShortStopAfter), cycles(in.DownAfter)
	quiet := p.now().Sub(p.lastPartWall)
	switch {
	case quiet >= down:
		if p.lastSent.State == wire.StateRunning {
			p.send(tx, shortStop(short), p.lastPart.Add(short))
		}
		p.send(tx, wire.State{State: wire.StateDown, Reason: fmt.Sprintf("no part for %s (inferred)", down)}, p.lastPart.Add(down))
	case quiet >= short:
		// Only a part ends a stop: after a restart or a gap in the data, a
		// line that was down stays down until it makes one.
		if p.lastSent.State != wire.StateDown {
			p.send(tx, shortStop(short), p.lastPart.Add(short))
		}
	case p.partSeen:
		p.send(tx, wire.State{State: wire.StateRunning}, p.lastPart)
	}
}

// watchFrom restarts the stop clock at t without claiming a part was made.
func (p *processor) watchFrom(t time.Time) {
	p.lastPart, p.lastPartWall, p.partSeen = ts(t), p.now(), false
}

func shortStop(after time.Duration) wire.State {
	return wire.State{State: wire.StateIdle, Reason: fmt.Sprintf("short stop: no part for %s (inferred)", after)}
}

// tick re-evaluates inferred state when no reading arrives (a subscribed
// counter that stops changing sends nothing). It commits like process.
func (p *processor) tick(ctx context.Context) (int, error) {
	if p.infer == nil || len(p.bad) > 0 {
		return 0, nil
	}
	tx := &outbox.Tx{}
	saved := p.snapshot()
	p.emitInferred(tx, p.now())
	if tx.Empty() {
		return 0, nil
	}
	evs, err := p.ob.Commit(ctx, tx)
	if err != nil {
		p.restore(saved)
		return 0, err
	}
	return len(evs), nil
}

// truthy reads a PLC bit however the device delivers it.
func truthy(v any) bool {
	if n, ok := devices.AsInt64(v); ok {
		return n != 0
	}
	t := strings.ToLower(strings.TrimSpace(fmt.Sprint(v)))
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return f != 0
	}
	return t == "true" || t == "on" || t == "yes"
}

type procSnapshot struct {
	counterState map[string]signal.CounterState
	lastRead     map[string]time.Time
	bad          map[string]string
	rawState     string
	rawFault     string
	haveState    bool
	lastSent     wire.State
	lastPart     time.Time
	lastPartWall time.Time
	partSeen     bool
	planned      bool
	gap          map[string]bool
	counterRst   map[string]seenWith
	beforeNoData wire.State
}

func (p *processor) snapshot() procSnapshot {
	s := procSnapshot{counterState: map[string]signal.CounterState{}, bad: map[string]string{}, lastRead: map[string]time.Time{},
		rawState: p.rawState, rawFault: p.rawFault, haveState: p.haveState, lastSent: p.lastSent,
		lastPart: p.lastPart, lastPartWall: p.lastPartWall, partSeen: p.partSeen, planned: p.planned,
		gap: maps.Clone(p.gap), counterRst: maps.Clone(p.counterRst), beforeNoData: p.beforeNoData}
	for k, v := range p.counterState {
		s.counterState[k] = v
	}
	for k, v := range p.bad {
		s.bad[k] = v
	}
	for k, v := range p.lastRead {
		s.lastRead[k] = v
	}
	return s
}

func (p *processor) restore(s procSnapshot) {
	p.counterState, p.bad, p.lastRead = s.counterState, s.bad, s.lastRead
	p.rawState, p.rawFault, p.haveState, p.lastSent = s.rawState, s.rawFault, s.haveState, s.lastSent
	p.lastPart, p.lastPartWall, p.partSeen, p.planned = s.lastPart, s.lastPartWall, s.partSeen, s.planned
	p.gap, p.counterRst, p.beforeNoData = s.gap, s.counterRst, s.beforeNoData
}

func ts(t time.Time) time.Time {
	// Zero, or outside what unix nanoseconds can hold (before 1970, after
	// 2262): not a time a device's clock can mean; the receive time stands.
	if t.IsZero() || t.Before(wire.MinTime) || t.After(wire.MaxTime) {
		return time.Now().UTC()
	}
	return t.UTC()
}
