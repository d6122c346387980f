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
}

// Delta is the outcome of one counter reading.
type Delta struct {
	Parts uint64 // parts made since the last counted value
	Reset bool   // the counter restarted (power cycle, PLC download) before this value
	Wraps int    // times the counter rolled over
}

// Counter is one cumulative PLC counter's configuration.
type Counter struct {
	Bits     int    // 16, 32 or 64
	MaxDelta uint64 // largest believable increase; 0 = half the range
	// MaxRate, when set, is the fastest the machine can make parts (per
	// second): the believable increase then grows with the time since the
	// last value, so a power-cycle reset is told from a wrap even on a
	// 16-bit counter, and a long outage still allows a large delta.
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

func (c Counter) maxDelta(elapsed time.Duration) uint64 {
	limit := uint64(math.MaxUint64 / 2)
	if m, ok := c.modulus(); ok {
		limit = m / 2
	}
	if c.MaxDelta > 0 && c.MaxDelta < limit {
		limit = c.MaxDelta
	}
	if c.MaxRate > 0 && elapsed >= 0 {
		if byRate := uint64(c.MaxRate*elapsed.Seconds()) + 1; byRate < limit {
			limit = byRate
		}
	}
	return limit
}

// Next computes the delta for raw value v given the state st, and the new state.
// A drop is a wrap when the wrapped increase is believable (≤ MaxDelta); any
// other drop is a reset, and then the value itself is what was made since.
// at is the value's source time; prevRead, when not zero, is the source time
// of the previous good reading of this counter (changed or not), which bounds
// how many parts can have been made since. Without it the time of the last
// change stands in, which is more lenient.
func (c Counter) Next(st CounterState, v int64, at, prevRead time.Time) (Delta, CounterState, error) {
	if v < 0 {
		return Delta{}, st, fmt.Errorf("%w: %d is negative", ErrRange, v)
	}
	u := uint64(v)
	if m, ok := c.modulus(); ok && u >= m {
		return Delta{}, st, fmt.Errorf("%w: %d does not fit %d bits", ErrRange, v, c.Bits)
	}
	next := CounterState{Known: true, Last: u, At: at.UnixNano()}
	if !st.Known {
		if c.CountFrom {
			return Delta{Parts: u}, next, nil
		}
		return Delta{}, next, nil
	}
	switch {
	case u == st.Last:
		next.At = st.At // nothing happened: keep the time of the last change
		if next.At == 0 {
			next.At = at.UnixNano()
		}
		return Delta{}, next, nil
	case u > st.Last:
		return Delta{Parts: u - st.Last}, next, nil
	default:
		if m, ok := c.modulus(); ok {
			elapsed := time.Duration(-1)
			switch {
			case at.IsZero():
			case !prevRead.IsZero():
				elapsed = at.Sub(prevRead)
			case st.At != 0:
				elapsed = at.Sub(time.Unix(0, st.At))
			}
			if wrapped := m - st.Last + u; wrapped <= c.maxDelta(elapsed) {
				return Delta{Parts: wrapped, Wraps: 1}, next, nil
			}
		}
		return Delta{Parts: u, Reset: true}, next, nil
	}
}
