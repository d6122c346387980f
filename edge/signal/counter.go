// Package signal turns raw readings into line events: counter values into part
// deltas (through wraps and resets), PLC enums and fault codes into machine
// states. It is pure logic: no I/O, no clock; the agent persists its state.
package signal

import (
	"errors"
	"fmt"
	"math"
)

// CounterState is what must survive a restart for a cumulative counter: the
// last raw value counted. It is persisted in the same transaction as the
// event it produced, so a crash can neither lose nor repeat a delta.
type CounterState struct {
	Known bool   `json:"known"`
	Last  uint64 `json:"last"`
}

// Delta is the outcome of one counter reading.
type Delta struct {
	Parts uint64 // parts made since the last counted value
	Reset bool   // the counter restarted (power cycle, PLC download) before this value
	Wraps int    // times the counter rolled over
}

// Counter is one cumulative PLC counter's configuration.
type Counter struct {
	Bits      int    // 16, 32 or 64
	MaxDelta  uint64 // largest believable increase; 0 = half the range
	CountFrom bool   // first value ever seen counts from zero instead of being a baseline
}

// ErrRange is returned for a value that cannot come from a counter of this width.
var ErrRange = errors.New("value outside the counter's range")

func (c Counter) modulus() (uint64, bool) {
	if c.Bits >= 64 {
		return 0, false
	}
	return uint64(1) << c.Bits, true
}

func (c Counter) maxDelta() uint64 {
	if c.MaxDelta > 0 {
		return c.MaxDelta
	}
	if m, ok := c.modulus(); ok {
		return m / 2
	}
	return math.MaxUint64 / 2
}

// Next computes the delta for raw value v given the state st, and the new state.
// A drop is a wrap when the wrapped increase is believable (≤ MaxDelta); any
// other drop is a reset, and then the value itself is what was made since.
func (c Counter) Next(st CounterState, v int64) (Delta, CounterState, error) {
	if v < 0 {
		return Delta{}, st, fmt.Errorf("%w: %d is negative", ErrRange, v)
	}
	u := uint64(v)
	if m, ok := c.modulus(); ok && u >= m {
		return Delta{}, st, fmt.Errorf("%w: %d does not fit %d bits", ErrRange, v, c.Bits)
	}
	next := CounterState{Known: true, Last: u}
	if !st.Known {
		if c.CountFrom {
			return Delta{Parts: u}, next, nil
		}
		return Delta{}, next, nil
	}
	switch {
	case u >= st.Last:
		return Delta{Parts: u - st.Last}, next, nil
	default:
		if m, ok := c.modulus(); ok {
			if wrapped := m - st.Last + u; wrapped <= c.maxDelta() {
				return Delta{Parts: wrapped, Wraps: 1}, next, nil
			}
		}
		return Delta{Parts: u, Reset: true}, next, nil
	}
}
