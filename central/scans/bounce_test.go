package scans

import (
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// A fixed scanner bounces: the traveler's code arrives twice 300 ms apart.
// The work order starts once (not start then pause); the second is
// recorded as a repeat of the first. A scan after the window toggles.
func TestScannerBounceIsOneScan(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		plant(t, s)
		r := newRig(t, s)
		r.ingest(t, batch(t, scan(1, t0, "L1", "ST-L1", "WO-1", "op1", ""),
			scan(2, t0.Add(300*time.Millisecond), "L1", "ST-L1", "WO-1", "op1", "")))
		if n := r.run(t); n != 2 {
			t.Fatalf("recorded %d scans, want 2", n)
		}
		if w := workOrder(t, s, "WO-1"); w.Status != domain.StatusInProgress {
			t.Fatalf("after a bounce WO-1 is %s", w.Status)
		}
		list := stationScans(t, s)
		if len(list) != 2 || list[0].Seq != 2 || list[0].Result != domain.ScanRepeat || list[0].Action != "start" || list[1].Result != domain.ScanApplied {
			t.Fatalf("scans: %+v", list)
		}
		var n int
		for _, a := range audit(t, s, "work_order", "WO-1") {
			if a.Action == "start" || a.Action == "pause" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d start/pause audit entries, want 1", n)
		}
		r.ingest(t, batch(t, scan(3, t0.Add(5*time.Second), "L1", "ST-L1", "WO-1", "op1", "")))
		r.run(t)
		if w := workOrder(t, s, "WO-1"); w.Status != domain.StatusPaused {
			t.Errorf("a scan 5 s later left WO-1 %s, want paused", w.Status)
		}
	})
}
