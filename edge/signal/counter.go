// Package signal turns raw readings into line events: counter values into part
// deltas (through wraps and resets), PLC enums and fault codes into machine
// states. It is pure logic: no I/O, no clock; the agent persists its state.
package signal

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// CounterState is what must survive a restart for a cumulative counter: the
// last raw value counted. It is persisted in the same transaction as the
// event it produced, so a crash can neither lose nor repeat a delta.
type CounterState struct {
	Known bool   `json:"known"`
	Last  uint64 `json:"last"`
	At    int64  `json:"at"` // source time of Last, unix nanoseconds
	// Read is the source time of a recent reading (changed or not), kept
	// at most ReadEvery old, so that after an edge restart the time since
	// the device was last seen is known to within ReadEvery.
	Read int64 `json:"read,omitempty"`
}

// ReadEvery is how stale CounterState.Read may become: a counter that does
// not change is persisted again this often.
const ReadEvery = 10 * time.Second

// since is the time from the latest reading known before at, or -1.
func (st CounterState) since(at, prevRead time.Time) time.Duration {
	if at.IsZero() {
		return -1
	}
	last := max(st.At, st.Read)
	if !prevRead.IsZero() {
		last = max(last, prevRead.UnixNano())
	}
	if last == 0 {
		return -1
	}
	return at.Sub(time.Unix(0, last))
}

// Delta is the outcome of one counter reading.
type Delta struct {
	Parts uint64 // parts counted since the last counted value
	Reset bool   // counted as a restart (power cycle, PLC download) before this value
	Wraps int    // times the counter was counted as rolling over
	// Ambiguous: the evidence allowed another reading of the two values;
	// Parts is the smallest one that fits (never invent parts) and Alt is
	// how many parts more the next reading would give. A person confirms.
	Ambiguous bool
	Alt       uint64
	// Why says in words which rule decided, for logs and the exception.
	Why string
}

// Restart is what a restart signal says about the device between two reads.
type Restart uint8

// Restart evidence.
const (
	RestartUnknown Restart = iota // no restart signal, or not read on both sides
	Restarted                     // the restart signal changed: the device restarted
	NotRestarted                  // the restart signal is unchanged: it did not
)

// Evidence is what the edge knows about the interval between two values
// besides the values themselves.
type Evidence struct {
	// DeviceGap: the device gave a bad reading (it was unreachable) since
	// the previous value. A PLC that restarts is unreachable while it boots,
	// so a gap makes a restart possible.
	DeviceGap bool
	Restart   Restart
	// WrapsKnown: the counter's overflow count (a second counter the PLC
	// steps at each rollover, read in the same request) was read with this
	// value and the previous one; WrapsDelta is how far it moved. A fall
	// (a restart clears it) is a delta of WrapsFell or more.
	WrapsKnown bool
	WrapsDelta uint64
}

// WrapsFell is the smallest overflow-count delta taken as a fall: no line
// wraps a counter 32,768 times between two reads.
const WrapsFell = 1 << 15

// Counter is one cumulative PLC counter's configuration.
type Counter struct {
	Bits int // 16, 32 or 64
	// MaxDelta, when set, is the largest increase the line can make between
	// two reads, whatever the time between them.
	MaxDelta uint64
	// MaxRate, when set, is the fastest the machine can make parts (per
	// second, slack included): at most elapsed × MaxRate parts fit between
	// two values, which is what tells a wrap from a second wrap or a reset.
	MaxRate   float64
	CountFrom bool // first value ever seen counts from zero instead of being a baseline
}

// ErrRange is returned for a value that cannot come from a counter of this width.
var ErrRange = errors.New("value outside the counter's range")

func (c Counter) modulus() (uint64, bool) {
	if c.Bits >= 64 {
		return 0, false
	}
	return uint64(1) << c.Bits, true
}

// bound is how many parts can have been made in elapsed (negative: not
// known), and whether anything bounds it at all.
func (c Counter) bound(elapsed time.Duration) (uint64, bool) {
	limit, ok := uint64(math.MaxUint64), false
	if c.MaxDelta > 0 {
		limit, ok = c.MaxDelta, true
	}
	if c.MaxRate > 0 && elapsed >= 0 {
		byRate := c.MaxRate*elapsed.Seconds() + 1 // +1: a part on each edge of the window
		if byRate < float64(limit) {
			limit = uint64(byRate)
		}
		ok = true
	}
	return limit, ok
}

// Next computes the delta for raw value v given the state st, and the new
// state. at is the value's source time; prevRead, when not zero, is the
// source time of the previous good reading of this counter (changed or
// not), which bounds how many parts can have been made since. Without it
// the time of the last change stands in, which is more lenient.
//
// The rule (edge/README.md, "Counters: wrap and reset"), with M = 2^Bits,
// old value a, new value b and U = the most parts the line can make in the
// time between them (elapsed × MaxRate + 1, or MaxDelta):
//
//   - the overflow count (wraps signal) moved by w and w·M+b−a fits U:
//     w·M+b−a parts, whatever else; if it fell, the device restarted.
//   - b ≥ a: b−a parts. If b−a+M ≤ U the counter may also have wrapped
//     in between: ambiguous, b−a counted, M more if it did.
//   - b < a, restart signal says restarted: a reset, b parts.
//   - b < a, nothing bounds U: a wrap (M−a+b) and a reset (b) both fit:
//     ambiguous, b counted as a reset (unless the restart signal says it
//     did not restart: then the wrap).
//   - b < a, M−a+b > U: a wrap needs more parts than the line can make:
//     a reset, b parts.
//   - b < a, M−a+b ≤ U, and the device was read without a gap (or the
//     restart signal says it did not restart): a wrap, M−a+b parts; if
//     M−a+b+M ≤ U as well, ambiguous: one wrap counted, M more per wrap.
//   - b < a, M−a+b ≤ U after the device was unreachable: a restart is as
//     likely as a wrap: ambiguous, b counted as a reset, M−a more if it
//     was a wrap.
func (c Counter) Next(st CounterState, v int64, at, prevRead time.Time, ev Evidence) (Delta, CounterState, error) {
	if v < 0 {
		return Delta{}, st, fmt.Errorf("%w: %d is negative", ErrRange, v)
	}
	b := uint64(v)
	m, wraps := c.modulus()
	if wraps && b >= m {
		return Delta{}, st, fmt.Errorf("%w: %d does not fit %d bits", ErrRange, v, c.Bits)
	}
	next := CounterState{Known: true, Last: b, At: at.UnixNano(), Read: st.Read}
	if !at.IsZero() && at.UnixNano()-st.Read >= int64(ReadEvery) {
		next.Read = at.UnixNano()
	}
	if !st.Known {
		if c.CountFrom {
			return Delta{Parts: b, Why: "first value, counted from zero"}, next, nil
		}
		return Delta{Why: "first value, taken as the baseline"}, next, nil
	}
	a := st.Last
	elapsed := st.since(at, prevRead)
	u, bounded := c.bound(elapsed)
	if ev.WrapsKnown && wraps {
		if n := ev.WrapsDelta*m + b; ev.WrapsDelta < WrapsFell && n >= a && (!bounded || n-a <= u) {
			why := "an increase"
			if ev.WrapsDelta > 0 {
				why = fmt.Sprintf("the overflow count moved by %d", ev.WrapsDelta)
			}
			return Delta{Parts: n - a, Wraps: int(ev.WrapsDelta), Why: why}, next, nil
		}
		if ev.WrapsDelta >= WrapsFell && ev.Restart == RestartUnknown {
			ev.Restart = Restarted // a restart cleared the overflow count
		}
		// Otherwise it does not fit (a torn read): judge without it.
	}
	if b == a && ev.Restart != Restarted {
		next.At = st.At // nothing happened: keep the time of the last change
		if next.At == 0 {
			next.At = at.UnixNano()
		}
		// Even an unchanged value can hide whole wraps after a long gap.
		return c.increase(0, m, wraps, elapsed), next, nil
	}
	if ev.Restart == Restarted {
		d := Delta{Parts: b, Reset: true, Why: "the device restarted (restart signal or overflow count): a reset"}
		if wraps && bounded && b+m <= u {
			d.Ambiguous, d.Alt, d.Why = true, m, d.Why+"; it may also have wrapped since"
		}
		return d, next, nil
	}
	if b > a || !wraps {
		if b < a { // a 64-bit counter does not wrap: only a reset falls
			return Delta{Parts: b, Reset: true, Why: "a 64-bit counter fell: a reset"}, next, nil
		}
		return c.increase(b-a, m, wraps, elapsed), next, nil
	}
	wrap := m - a + b
	switch {
	case !bounded && ev.Restart == NotRestarted:
		return Delta{Parts: wrap, Wraps: 1, Why: "the restart signal is unchanged: a wrap"}, next, nil
	case !bounded:
		return Delta{Parts: b, Reset: true, Ambiguous: true, Alt: wrap - b,
			Why: "no maximum rate to tell a wrap from a reset"}, next, nil
	case wrap > u:
		return Delta{Parts: b, Reset: true, Why: fmt.Sprintf("a wrap needs %d parts, more than the %d the line can make in %s: a reset", wrap, u, elapsed)}, next, nil
	case ev.DeviceGap && ev.Restart != NotRestarted:
		return Delta{Parts: b, Reset: true, Ambiguous: true, Alt: wrap - b,
			Why: "the device was unreachable: it may have restarted, or the counter wrapped"}, next, nil
	}
	d := Delta{Parts: wrap, Wraps: 1, Why: "one wrap fits the line's rate"}
	if wrap+m <= u {
		d.Ambiguous, d.Alt, d.Why = true, m, fmt.Sprintf("%s is long enough for more than one wrap", elapsed)
	}
	return d, next, nil
}

// increase is an increase of n (possibly 0): ambiguous when a whole wrap
// more also fits the time since the previous value.
func (c Counter) increase(n, m uint64, wraps bool, elapsed time.Duration) Delta {
	d := Delta{Parts: n, Why: "an increase"}
	if !wraps || c.MaxRate <= 0 || elapsed < 0 {
		return d
	}
	if u, ok := c.bound(elapsed); ok && n+m <= u {
		d.Ambiguous, d.Alt, d.Why = true, m, fmt.Sprintf("%s is long enough for a whole wrap", elapsed)
	}
	return d
}
