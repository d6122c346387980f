package signal

import (
	"errors"
	"testing"

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
				d, next, err := tc.c.Next(st, s.v)
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
		d, next, err := c.Next(st, int64(made%65536))
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
