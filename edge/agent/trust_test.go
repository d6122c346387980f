package agent

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/edge/outbox"
	"github.com/linewise/linewise/edge/wire"
)

// A counters-only line: a 16-bit good counter polled over Modbus with a
// boot counter of the same PLC; a second PLC's reject counter.
const countersOnlyYAML = `
edge_id: edge-T
line: T1
data_dir: %s
ideal_cycle: 100ms
clock_tolerance: 2s
central:
  mqtt: {broker: "tcp://127.0.0.1:1"}
devices:
  - name: plc
    driver: modbus
    address: 127.0.0.1:1
    poll_interval: 1s
    signals:
      - {name: good_total, table: holding, address: 0, type: uint16}
      - {name: boots, table: holding, address: 1, type: uint16}
  - name: other
    driver: modbus
    address: 127.0.0.1:2
    poll_interval: 1s
    signals:
      - {name: reject_total, table: holding, address: 0, type: uint16}
counters:
  - {signal: good_total, kind: good, bits: 16, restart_signal: boots}
  - {signal: reject_total, kind: reject, bits: 16}
`

func allEvents(t *testing.T, ob *outbox.Outbox) []wire.Event {
	t.Helper()
	evs, err := ob.Pending(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func lastCount(t *testing.T, ob *outbox.Outbox, counter string) wire.Count {
	t.Helper()
	evs := allEvents(t, ob)
	for i := len(evs) - 1; i >= 0; i-- {
		if c := evs[i].Count; c != nil && c.Counter == counter {
			return *c
		}
	}
	t.Fatalf("no count event of %s", counter)
	return wire.Count{}
}

// The decision rule as the agent applies it: the rate comes from
// ideal_cycle (12.5 parts/s), the gap from bad readings, the restart
// evidence from the restart signal read in the same poll.
func TestAgentWrapOrResetFromEvidence(t *testing.T) {
	type read struct {
		sig   string
		v     any // nil: a bad reading
		after time.Duration
	}
	cases := []struct {
		name    string
		reads   []read
		counter string
		want    string // last count of counter: good/reject reset wraps ambiguous alt
	}{
		{"wrap between two polls", []read{{"reject_total", int64(65530), 0}, {"reject_total", int64(3), time.Second}},
			"reject_total", "9 false 1 false 0"},
		{"fall a wrap cannot explain: reset", []read{{"reject_total", int64(40000), 0}, {"reject_total", int64(5), time.Second}},
			"reject_total", "5 true 0 false 0"},
		{"wrap that fits after the PLC was unreachable: ambiguous, counted as a reset", []read{{"reject_total", int64(65530), 0},
			{"reject_total", nil, time.Second}, {"reject_total", int64(3), 2 * time.Second}},
			"reject_total", "3 true 0 true 6"},
		{"boot counter unchanged across the gap: a wrap", []read{{"boots", int64(4), 0}, {"good_total", int64(65530), 0},
			{"good_total", nil, time.Second}, {"boots", int64(4), 2 * time.Second}, {"good_total", int64(3), 2 * time.Second}},
			"good_total", "9 false 1 false 0"},
		{"boot counter changed: a reset", []read{{"boots", int64(4), 0}, {"good_total", int64(65530), 0},
			{"boots", int64(5), time.Second}, {"good_total", int64(3), time.Second}},
			"good_total", "3 true 0 false 0"},
		{"edge away long enough for two wraps: ambiguous, one counted", []read{{"reject_total", int64(60000), 0},
			{"reject_total", int64(100), 3 * time.Hour}},
			"reject_total", "5636 false 1 true 65536"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, ob, clk := newTestProcessor(t, countersOnlyYAML)
			start := clk.t
			for _, r := range tc.reads {
				at := start.Add(r.after)
				clk.t = at
				rd := devices.Reading{Signal: r.sig, Value: r.v, Quality: devices.Good, SourceTime: at}
				if r.v == nil {
					rd.Quality, rd.Value = devices.Bad, nil
				}
				if _, err := p.process(context.Background(), []devices.Reading{rd}); err != nil {
					t.Fatal(err)
				}
			}
			c := lastCount(t, ob, tc.counter)
			got := fmt.Sprintf("%d %v %d %v %d", c.Good+c.Reject, c.Reset, c.Wraps, c.Ambiguous, c.AltParts)
			if got != tc.want {
				t.Fatalf("last %s count: %s, want %s", tc.counter, got, tc.want)
			}
		})
	}
}

// A line without a state source goes no_data when a device drops and must
// leave it when the device is back, or central keeps it "no data" (and its
// exception open) while counts arrive.
func TestCountersOnlyLineLeavesNoData(t *testing.T) {
	p, ob, clk := newTestProcessor(t, countersOnlyYAML)
	start := clk.t
	steps := []devices.Reading{
		reading("reject_total", int64(10), start),
		reading("reject_total", int64(12), start.Add(time.Second)),
		{Signal: "reject_total", Quality: devices.Bad, SourceTime: start.Add(2 * time.Second)},
		reading("reject_total", int64(14), start.Add(3*time.Second)),
	}
	for _, r := range steps {
		clk.t = r.SourceTime
		if _, err := p.process(context.Background(), []devices.Reading{r}); err != nil {
			t.Fatal(err)
		}
	}
	var states []string
	for _, e := range allEvents(t, ob) {
		if e.State != nil {
			states = append(states, e.State.State)
		}
	}
	if fmt.Sprint(states) != "[no_data running]" {
		t.Fatalf("states %v, want no_data then running", states)
	}
	// A fresh agent that never sent any state leaves no_data too.
	p2, _, _ := newTestProcessor(t, countersOnlyYAML)
	for _, r := range []devices.Reading{{Signal: "reject_total", Quality: devices.Bad, SourceTime: start}, reading("reject_total", int64(1), start.Add(time.Second))} {
		if _, err := p2.process(context.Background(), []devices.Reading{r}); err != nil {
			t.Fatal(err)
		}
	}
	if p2.lastSent.State != wire.StateRunning {
		t.Fatalf("line state %q after the device came back, want running", p2.lastSent.State)
	}
}

// A device whose clock runs 10 minutes ahead: once measured (on its first
// change), its events carry the edge's receive time, the device's own time,
// and the line's offset; another device's events keep their own time. When
// the clock is set right, events go back to the device's time and carry no
// offset.
func TestClockSkewStampsReceiveTime(t *testing.T) {
	p, ob, clk := newTestProcessor(t, countersOnlyYAML)
	ahead := 10 * time.Minute
	feed := func(sig string, v int64, dev time.Time) {
		r := reading(sig, v, dev)
		r.Received = clk.t
		if _, err := p.process(context.Background(), []devices.Reading{r}); err != nil {
			t.Fatal(err)
		}
	}
	start := clk.t
	feed("good_total", 100, start.Add(ahead))
	clk.advance(time.Second)
	feed("good_total", 105, clk.t.Add(ahead))
	feed("reject_total", 7, clk.t.Add(-300*time.Millisecond))
	clk.advance(time.Second)
	feed("reject_total", 8, clk.t.Add(-300*time.Millisecond))
	evs := allEvents(t, ob)
	if len(evs) != 2 {
		t.Fatalf("events %+v, want the good delta and the reject delta", evs)
	}
	g, r := evs[0], evs[1]
	if !g.SourceTime.Equal(start.Add(time.Second)) || !g.DeviceTime.Equal(start.Add(time.Second+ahead)) || g.ClockOffsetMS != ahead.Milliseconds() {
		t.Fatalf("skewed device's event: ts %s device_ts %s offset %d", g.SourceTime, g.DeviceTime, g.ClockOffsetMS)
	}
	if !r.SourceTime.Equal(clk.t.Add(-300*time.Millisecond)) || !r.DeviceTime.IsZero() || r.ClockOffsetMS != ahead.Milliseconds() {
		t.Fatalf("the other device's event: ts %s device_ts %s offset %d", r.SourceTime, r.DeviceTime, r.ClockOffsetMS)
	}
	// The PLC's clock is corrected: from its next change the line's events
	// carry no offset and the device's own time again.
	clk.advance(time.Second)
	feed("good_total", 106, clk.t)
	last := allEvents(t, ob)
	e := last[len(last)-1]
	if !e.SourceTime.Equal(clk.t) || !e.DeviceTime.IsZero() || e.ClockOffsetMS != 0 {
		t.Fatalf("after the clock was set right: ts %s device_ts %s offset %d", e.SourceTime, e.DeviceTime, e.ClockOffsetMS)
	}
}

// A 16-bit counter with its overflow count on the same PLC, read in one
// request (one source time per poll): the edge away long enough for
// several wraps still counts exactly, and a power cycle that clears both
// is a reset.
const wrapsYAML = `
edge_id: edge-T
line: T1
data_dir: %s
ideal_cycle: 100ms
central:
  mqtt: {broker: "tcp://127.0.0.1:1"}
devices:
  - name: plc
    driver: modbus
    address: 127.0.0.1:1
    poll_interval: 1s
    signals:
      - {name: good_total, table: holding, address: 0, type: uint16}
      - {name: good_wraps, table: holding, address: 8, type: uint16}
counters:
  - {signal: good_total, kind: good, bits: 16, wraps_signal: good_wraps}
`

func TestOverflowCountDecidesWraps(t *testing.T) {
	p, ob, clk := newTestProcessor(t, wrapsYAML)
	read := func(after time.Duration, good, wraps int64) {
		t.Helper()
		at := clk.t.Add(after)
		clk.t = at
		// The counter first: the pairing is by the poll's time, not the order.
		if _, err := p.process(context.Background(), []devices.Reading{reading("good_total", good, at), reading("good_wraps", wraps, at)}); err != nil {
			t.Fatal(err)
		}
	}
	poll := func(after time.Duration, good, wraps int64) wire.Count {
		t.Helper()
		read(after, good, wraps)
		return lastCount(t, ob, "good_total")
	}
	read(0, 60000, 7)
	if c := poll(time.Second, 60010, 7); c.Good != 10 {
		t.Fatalf("increase: %+v", c)
	}
	// Away 4 hours: 180,000 parts fit (two or more wraps); the overflow
	// count says 3.
	if c := poll(4*time.Hour, 100, 10); c.Good != 3*65536+100-60010 || c.Wraps != 3 || c.Ambiguous || c.Reset {
		t.Fatalf("after 4 hours: %+v", c)
	}
	// A power cycle clears both.
	if c := poll(time.Minute, 40, 0); c.Good != 40 || !c.Reset || c.Ambiguous {
		t.Fatalf("after a power cycle: %+v", c)
	}
}
