package signal

import (
	"errors"
	"testing"
	"time"

	"github.com/linewise/linewise/edge/wire"
)

func TestCounterNext(t *testing.T) {
	type step struct {
		v         int64
		parts     uint64
		reset     bool
		wraps     int
		wantError bool
	}
	cases := []struct {
		name  string
		c     Counter
		steps []step
	}{
		{"baseline then increments", Counter{Bits: 32}, []step{{v: 1000}, {v: 1003, parts: 3}, {v: 1003}, {v: 1010, parts: 7}}},
		{"count from zero", Counter{Bits: 16, CountFrom: true}, []step{{v: 5, parts: 5}, {v: 6, parts: 1}}},
		{"16-bit wrap", Counter{Bits: 16}, []step{{v: 65530}, {v: 65535, parts: 5}, {v: 4, parts: 5, wraps: 1}, {v: 10, parts: 6}}},
		{"wrap exactly to zero", Counter{Bits: 16}, []step{{v: 65535}, {v: 0, parts: 1, wraps: 1}}},
		{"power-cycle reset", Counter{Bits: 16}, []step{{v: 30000}, {v: 30010, parts: 10}, {v: 3, parts: 3, reset: true}, {v: 8, parts: 5}}},
		{"32-bit reset is not a wrap", Counter{Bits: 32}, []step{{v: 1000}, {v: 2, parts: 2, reset: true}}},
		{"tight max delta turns a wrap into a reset", Counter{Bits: 16, MaxDelta: 100}, []step{{v: 65000}, {v: 50, parts: 50, reset: true}}},
		{"out of range keeps state", Counter{Bits: 16}, []step{{v: 10}, {v: 70000, wantError: true}, {v: 12, parts: 2}}},
		{"negative refused", Counter{Bits: 32}, []step{{v: 10}, {v: -1, wantError: true}, {v: 11, parts: 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var st CounterState
			for i, s := range tc.steps {
				d, next, err := tc.c.Next(st, s.v, time.Time{}, time.Time{})
				if s.wantError {
					if !errors.Is(err, ErrRange) {
						t.Fatalf("step %d (%d): want ErrRange, got %v", i, s.v, err)
					}
					if next != st {
						t.Fatalf("step %d: state changed on error", i)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d (%d): %v", i, s.v, err)
				}
				if d.Parts != s.parts || d.Reset != s.reset || d.Wraps != s.wraps {
					t.Fatalf("step %d (%d): got %+v, want parts=%d reset=%v wraps=%d", i, s.v, d, s.parts, s.reset, s.wraps)
				}
				st = next
			}
		})
	}
}

// A long run of a wrapping 16-bit counter read at irregular moments must add
// up to exactly the parts made, whatever the sampling.
func TestCounterSumsThroughManyWraps(t *testing.T) {
	c := Counter{Bits: 16, CountFrom: true}
	var st CounterState
	var total, made uint64
	step := uint64(1)
	for made < 500_000 {
		made += step
		step = step*7%9000 + 1 // irregular sampling, always < half the range
		d, next, err := c.Next(st, int64(made%65536), time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		total += d.Parts
		st = next
	}
	if total != made {
		t.Fatalf("counted %d, made %d", total, made)
	}
}

func TestStateResolve(t *testing.T) {
	m := StateMap{Map: map[string]string{"0": "idle", "1": "running", "2": "down"}, Reasons: map[string]string{"17": "jam at infeed"}}
	cases := []struct {
		raw, fault string
		want       wire.State
	}{
		{"1", "0", wire.State{State: "running", Raw: "1"}},
		{"2", "17", wire.State{State: "down", Reason: "17 jam at infeed", Raw: "2"}},
		{"2", "99", wire.State{State: "down", Reason: "99", Raw: "2"}},
		{"1", "17", wire.State{State: "running", Raw: "1"}},
		{"9", "", wire.State{State: "down", Reason: "unmapped state 9", Raw: "9"}},
	}
	for _, tc := range cases {
		if got := m.Resolve(tc.raw, tc.fault); got != tc.want {
			t.Errorf("Resolve(%q,%q) = %+v, want %+v", tc.raw, tc.fault, got, tc.want)
		}
	}
}

// A 16-bit counter power-cycled at 40000 comes back small: by value alone that
// is a believable wrap (+26036), by time it is not, with max_rate set.
func TestCounterResetToldFromWrapByRate(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	c := Counter{Bits: 16, MaxRate: 100} // at most 100 parts/s
	_, st, _ := c.Next(CounterState{}, 40000, t0, time.Time{})
	// 250 ms later: at most 26 parts could have been made.
	d, st2, err := c.Next(st, 20, t0.Add(250*time.Millisecond), t0)
	if err != nil || !d.Reset || d.Parts != 20 {
		t.Fatalf("after power cycle: %+v %v, want reset with 20 parts", d, err)
	}
	// A real wrap within the rate is still a wrap.
	_, st, _ = c.Next(st2, 65530, t0.Add(time.Second), t0)
	d, _, _ = c.Next(st, 3, t0.Add(1100*time.Millisecond), t0.Add(time.Second))
	if d.Reset || d.Parts != 9 || d.Wraps != 1 {
		t.Fatalf("wrap within rate: %+v", d)
	}
	// After a 10-minute outage (no reads), a long way round is believable.
	_, st, _ = c.Next(st2, 60000, t0.Add(2*time.Second), t0)
	d, _, _ = c.Next(st, 20000, t0.Add(602*time.Second), t0.Add(2*time.Second))
	if d.Reset || d.Parts != 25536 {
		t.Fatalf("after a long outage: %+v, want a wrap of 25536", d)
	}
	// The last change time stands in after a restart (no previous read known).
	_, st, _ = c.Next(CounterState{}, 1000, t0, time.Time{})
	d, _, _ = c.Next(st, 5, t0.Add(200*time.Millisecond), time.Time{})
	if !d.Reset || d.Parts != 5 {
		t.Fatalf("without a previous read: %+v", d)
	}
}
