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
		{"16-bit wrap within max delta", Counter{Bits: 16, MaxDelta: 100}, []step{{v: 65530}, {v: 65535, parts: 5}, {v: 4, parts: 5, wraps: 1}, {v: 10, parts: 6}}},
		{"wrap exactly to zero", Counter{Bits: 16, MaxDelta: 10}, []step{{v: 65535}, {v: 0, parts: 1, wraps: 1}}},
		{"power-cycle reset beyond max delta", Counter{Bits: 16, MaxDelta: 1000}, []step{{v: 30000}, {v: 30010, parts: 10}, {v: 3, parts: 3, reset: true}, {v: 8, parts: 5}}},
		{"64-bit fall is a reset", Counter{Bits: 64}, []step{{v: 1000}, {v: 2, parts: 2, reset: true}}},
		{"tight max delta turns a wrap into a reset", Counter{Bits: 16, MaxDelta: 100}, []step{{v: 65000}, {v: 50, parts: 50, reset: true}}},
		{"out of range keeps state", Counter{Bits: 16}, []step{{v: 10}, {v: 70000, wantError: true}, {v: 12, parts: 2}}},
		{"negative refused", Counter{Bits: 32}, []step{{v: 10}, {v: -1, wantError: true}, {v: 11, parts: 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var st CounterState
			for i, s := range tc.steps {
				d, next, err := tc.c.Next(st, s.v, time.Time{}, time.Time{}, Evidence{})
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
	c := Counter{Bits: 16, CountFrom: true, MaxDelta: 9001}
	var st CounterState
	var total, made uint64
	step := uint64(1)
	for made < 500_000 {
		made += step
		step = step*7%9000 + 1 // irregular sampling, always < half the range
		d, next, err := c.Next(st, int64(made%65536), time.Time{}, time.Time{}, Evidence{})
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

// The decision rule of Counter.Next, one row per case of the table in
// edge/README.md ("Counters: wrap and reset"). The line makes at most 100
// parts a second; the previous value was read at t0.
func TestCounterWrapOrResetRule(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	rated := Counter{Bits: 16, MaxRate: 100}
	cases := []struct {
		name      string
		c         Counter
		old, new  int64
		after     time.Duration
		ev        Evidence
		parts     uint64
		reset     bool
		wraps     int
		ambiguous bool
		alt       uint64
	}{
		{"increase", rated, 1000, 1040, time.Second, Evidence{}, 40, false, 0, false, 0},
		{"increase after a gap long enough for a whole wrap", rated, 1000, 1040, 700 * time.Second, Evidence{}, 40, false, 0, true, 65536},
		{"unchanged after a gap long enough for a whole wrap", rated, 1000, 1000, 700 * time.Second, Evidence{}, 0, false, 0, true, 65536},
		{"drop, one wrap fits, read without a gap", rated, 65500, 20, time.Second, Evidence{}, 56, false, 1, false, 0},
		{"drop, wrap needs more parts than the line can make", rated, 40000, 20, 250 * time.Millisecond, Evidence{}, 20, true, 0, false, 0},
		{"drop after the edge was away 45 s, one wrap fits", Counter{Bits: 16, MaxRate: 1250}, 62029, 29300, 45 * time.Second, Evidence{}, 32807, false, 1, false, 0},
		{"drop, two wraps fit", rated, 60000, 20000, 1000 * time.Second, Evidence{}, 25536, false, 1, true, 65536},
		{"drop after the device was unreachable, wrap fits", rated, 65000, 100, 60 * time.Second, Evidence{DeviceGap: true}, 100, true, 0, true, 536},
		{"drop after the device was unreachable, restart signal unchanged", rated, 65000, 100, 60 * time.Second, Evidence{DeviceGap: true, Restart: NotRestarted}, 636, false, 1, false, 0},
		{"drop, restart signal changed", rated, 65500, 20, time.Second, Evidence{Restart: Restarted}, 20, true, 0, false, 0},
		{"unchanged value, restart signal changed", rated, 20, 20, time.Second, Evidence{Restart: Restarted}, 20, true, 0, false, 0},
		{"drop without any rate", Counter{Bits: 16}, 65500, 20, time.Second, Evidence{}, 20, true, 0, true, 36},
		{"drop without any rate, restart signal unchanged", Counter{Bits: 16}, 65500, 20, time.Second, Evidence{Restart: NotRestarted}, 56, false, 1, false, 0},
		{"32-bit drop, wrap needs more than the rate", Counter{Bits: 32, MaxRate: 100}, 1000, 2, time.Second, Evidence{}, 2, true, 0, false, 0},
		{"overflow count decides two wraps", rated, 60000, 20000, 1000 * time.Second, Evidence{WrapsKnown: true, WrapsDelta: 2}, 91072, false, 2, false, 0},
		{"overflow count decides a wrap after a gap", rated, 65000, 100, 60 * time.Second, Evidence{DeviceGap: true, WrapsKnown: true, WrapsDelta: 1}, 636, false, 1, false, 0},
		{"overflow count decides a hidden whole wrap", rated, 1000, 1040, 700 * time.Second, Evidence{WrapsKnown: true, WrapsDelta: 1}, 65576, false, 1, false, 0},
		{"overflow count fell: a restart", rated, 65000, 100, 60 * time.Second, Evidence{WrapsKnown: true, WrapsDelta: 65535}, 100, true, 0, false, 0},
		{"overflow count that does not fit the rate is ignored", rated, 65500, 20, time.Second, Evidence{WrapsKnown: true, WrapsDelta: 3}, 56, false, 1, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, st, err := tc.c.Next(CounterState{}, tc.old, t0, time.Time{}, Evidence{})
			if err != nil {
				t.Fatal(err)
			}
			d, _, err := tc.c.Next(st, tc.new, t0.Add(tc.after), t0, tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			if d.Parts != tc.parts || d.Reset != tc.reset || d.Wraps != tc.wraps || d.Ambiguous != tc.ambiguous || d.Alt != tc.alt {
				t.Fatalf("%d → %d after %s: got parts=%d reset=%v wraps=%d ambiguous=%v alt=%d (%s), want parts=%d reset=%v wraps=%d ambiguous=%v alt=%d",
					tc.old, tc.new, tc.after, d.Parts, d.Reset, d.Wraps, d.Ambiguous, d.Alt, d.Why, tc.parts, tc.reset, tc.wraps, tc.ambiguous, tc.alt)
			}
			if d.Why == "" {
				t.Errorf("no reason given for %+v", d)
			}
		})
	}
}

// After an edge restart the time the device was last read comes from the
// persisted state (at most ReadEvery old), not from its last change: a
// counter that has not moved for an hour is not "an hour unseen".
func TestCounterReadTimeSurvivesRestart(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	c := Counter{Bits: 16, MaxRate: 100}
	_, st, _ := c.Next(CounterState{}, 500, t0, time.Time{}, Evidence{})
	prev := t0
	for at := t0.Add(time.Second); at.Before(t0.Add(time.Hour)); at = at.Add(time.Second) {
		_, st, _ = c.Next(st, 500, at, prev, Evidence{})
		prev = at
	}
	// The edge restarts (prevRead lost) and reads the same value 5 s later.
	d, _, _ := c.Next(st, 500, prev.Add(5*time.Second), time.Time{}, Evidence{})
	if d.Ambiguous || d.Parts != 0 {
		t.Fatalf("unchanged counter after an edge restart: %+v", d)
	}
}
