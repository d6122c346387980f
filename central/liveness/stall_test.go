package liveness

import (
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

func heartbeat(depth int64, oldest float64) wire.Status {
	return wire.Status{EdgeID: "e1", Status: wire.StatusOnline, OutboxDepth: &depth, OldestUnackedS: &oldest}
}

// An edge whose heartbeats report a backlog that waits while nothing new
// commits is stalled (not online) and its lines carry the stall; a backlog
// that drains (new events commit) is not a stall, and commits end one.
func TestStalled(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	now := t0
	changes := 0
	tr := New([]Edge{{ID: "e1", Lines: []string{"L1"}}}, 30*time.Second, func() time.Time { return now }, func() { changes++ })
	tr.SetStallAfter(time.Minute)
	line := func() domain.LineView {
		return tr.Overlay([]domain.LineView{{Line: domain.Line{ID: "L1"}, State: wire.StateRunning}})[0]
	}
	for _, tt := range []struct {
		name    string
		step    func()
		stalled bool
		since   time.Time
		changes int
	}{
		{"empty outbox", func() { tr.Status(heartbeat(0, 0)) }, false, time.Time{}, 0},
		{"a small backlog that commits", func() {
			now = now.Add(10 * time.Second)
			tr.Committed("e1")
			tr.Status(heartbeat(3, 0.2))
		}, false, time.Time{}, 0},
		{"draining an old backlog: new events commit", func() {
			now = now.Add(20 * time.Second)
			tr.Committed("e1")
			tr.Status(heartbeat(50_000, 3600))
			now = now.Add(20 * time.Second)
			tr.Committed("e1")
			tr.Status(heartbeat(40_000, 3500))
		}, false, time.Time{}, 0},
		{"backlog waits, nothing new commits, under the threshold", func() {
			now = now.Add(50 * time.Second)
			tr.Status(heartbeat(40_100, 3550))
		}, false, time.Time{}, 0},
		{"past the threshold since the last commit", func() {
			now = now.Add(10 * time.Second)
			tr.Status(heartbeat(40_200, 3560))
		}, true, t0.Add(50 * time.Second), 0}, // a flip by time alone is seen by the rules' own ticks
		{"commits resume", func() {
			now = now.Add(5 * time.Second)
			tr.Committed("e1")
		}, false, time.Time{}, 1},
		{"a fresh backlog that never commits", func() {
			now = now.Add(5 * time.Second)
			tr.Status(heartbeat(0, 0))
			now = now.Add(10 * time.Minute)
			tr.Status(heartbeat(7, 45))
			now = now.Add(20 * time.Second)
			tr.Status(heartbeat(9, 65))
		}, true, t0.Add(120*time.Second + 10*time.Minute - 45*time.Second), 1}, // when the oldest waiting event was written
		{"silent past the grace: offline, not stalled", func() { now = now.Add(31 * time.Second) }, false, time.Time{}, 1},
	} {
		tt.step()
		l := line()
		e := tr.List()[0]
		if (l.Stall != nil) != tt.stalled || e.Stalled != tt.stalled || (e.Stall != nil) != tt.stalled {
			t.Errorf("%s: line stall %+v, edge stalled %v, want %v", tt.name, l.Stall, e.Stalled, tt.stalled)
			continue
		}
		if tt.stalled {
			if e.Online {
				t.Errorf("%s: a stalled edge shows online", tt.name)
			}
			if !l.Stall.Since.Equal(tt.since) || l.Stall.Edge != "e1" {
				t.Errorf("%s: stall %+v, want since %v", tt.name, l.Stall, tt.since)
			}
		}
		if changes != tt.changes {
			t.Errorf("%s: %d changes, want %d", tt.name, changes, tt.changes)
		}
	}
}

// Without a threshold (exceptions.edge_stalled_after: 0) nothing stalls.
func TestStallOff(t *testing.T) {
	now := time.Now()
	tr := New([]Edge{{ID: "e1", Lines: []string{"L1"}}}, time.Hour, func() time.Time { return now }, nil)
	tr.Status(heartbeat(10, 1e6))
	now = now.Add(50 * time.Minute)
	tr.Status(heartbeat(10, 1e6))
	if e := tr.List()[0]; e.Stalled || !e.Online {
		t.Errorf("%+v, want online and not stalled", e)
	}
}
