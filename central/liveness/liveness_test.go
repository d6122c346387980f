package liveness

import (
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

func TestOverlayAndList(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	now := t0
	changes := 0
	tr := New([]Edge{{ID: "e1", Lines: []string{"L1"}}}, 30*time.Second, func() time.Time { return now }, func() { changes++ })
	since := t0.Add(-time.Hour)
	lines := func() domain.LineView {
		return tr.Overlay([]domain.LineView{{Line: domain.Line{ID: "L1"}, State: wire.StateRunning, StateSince: &since},
			{Line: domain.Line{ID: "L2"}, State: wire.StateRunning, StateSince: &since}})[0]
	}
	for _, tt := range []struct {
		name      string
		step      func()
		state     string
		online    bool
		offSince  time.Time
		reported  string
		changesTo int
	}{
		{"never heard, within the grace since start", func() { now = t0.Add(29 * time.Second) }, wire.StateRunning, true, time.Time{}, "", 0},
		{"never heard, past the grace since start", func() { now = t0.Add(30 * time.Second) }, wire.StateNoData, false, t0, "", 0},
		{"online status", func() { tr.Status(wire.Status{EdgeID: "e1", Status: wire.StatusOnline, Version: "v1"}) }, wire.StateRunning, true, time.Time{}, "online", 0},
		{"a batch keeps it alive", func() { now = now.Add(20 * time.Second); tr.Seen("e1"); now = now.Add(20 * time.Second) }, wire.StateRunning, true, time.Time{}, "online", 0},
		{"silent past the grace", func() { now = now.Add(10 * time.Second) }, wire.StateNoData, false, t0.Add(50 * time.Second), "online", 0},
		{"heartbeat", func() { tr.Status(wire.Status{EdgeID: "e1", Status: wire.StatusOnline}) }, wire.StateRunning, true, time.Time{}, "online", 0},
		{"will: offline, within the grace", func() {
			tr.Status(wire.Status{EdgeID: "e1", Status: wire.StatusOffline})
			now = now.Add(29 * time.Second)
		}, wire.StateRunning, false, t0.Add(80 * time.Second), "offline", 1},
		{"a late batch does not undo the will", func() { tr.Seen("e1"); now = now.Add(time.Second) }, wire.StateNoData, false, t0.Add(80 * time.Second), "offline", 1},
		{"another edge's status changes nothing", func() { tr.Status(wire.Status{EdgeID: "e2", Status: wire.StatusOnline}) }, wire.StateNoData, false, t0.Add(80 * time.Second), "offline", 1},
		{"back online", func() { tr.Status(wire.Status{EdgeID: "e1", Status: wire.StatusOnline}) }, wire.StateRunning, true, time.Time{}, "online", 2},
	} {
		tt.step()
		l := lines()
		if l.State != tt.state {
			t.Errorf("%s: L1 %s, want %s", tt.name, l.State, tt.state)
		}
		if l.State == wire.StateNoData && (l.Reason != "edge e1 offline" || !l.StateSince.Equal(tt.offSince)) {
			t.Errorf("%s: reason %q since %v, want edge e1 offline since %v", tt.name, l.Reason, l.StateSince, tt.offSince)
		}
		e := tr.List()[0]
		if e.Online != tt.online || e.Reported != tt.reported {
			t.Errorf("%s: %+v, want online %v reported %q", tt.name, e, tt.online, tt.reported)
		}
		if changes != tt.changesTo {
			t.Errorf("%s: %d changes, want %d", tt.name, changes, tt.changesTo)
		}
	}
	if v := tr.List()[0].Version; v != "v1" {
		t.Errorf("version %q", v)
	}
}

// A line that never reported, of an edge never heard from, stays unknown.
func TestOverlayLeavesUnknownLines(t *testing.T) {
	now := time.Now()
	tr := New([]Edge{{ID: "e1", Lines: []string{"L1"}}}, time.Second, func() time.Time { return now }, nil)
	now = now.Add(time.Hour)
	if l := tr.Overlay([]domain.LineView{{Line: domain.Line{ID: "L1"}}})[0]; l.State != "" {
		t.Errorf("L1 %+v, want no state", l)
	}
}
