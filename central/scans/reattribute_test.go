package scans

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

func countEv(seq uint64, at time.Time, good, reject int64) wire.Event {
	return wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: wire.TypeCount, SourceTime: at,
		Count: &wire.Count{Counter: "parts", Good: good, Reject: reject}}
}

// tally is where L1's parts are: per work order, unattributed, and the
// work order of each stored event of L1 by seq ("" for none).
type tally struct {
	wo         map[string][2]int64
	unattr     [2]int64
	attributed map[uint64]string
}

func (c tally) total() [2]int64 {
	t := c.unattr
	for _, n := range c.wo {
		t[0], t[1] = t[0]+n[0], t[1]+n[1]
	}
	return t
}

func tallyL1(t *testing.T, s *store.Store) tally {
	t.Helper()
	ctx := context.Background()
	c := tally{wo: map[string][2]int64{}, attributed: map[uint64]string{}}
	for _, id := range []string{"WO-1", "WO-3"} {
		w := workOrder(t, s, id)
		c.wo[id] = [2]int64{w.Good, w.Reject}
	}
	lines, err := s.ListLines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if l.ID == "L1" {
			c.unattr = [2]int64{l.UnattributedGood, l.UnattributedReject}
		}
	}
	evs, err := s.LatestEvents(ctx, "L1", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		wo := ""
		if e.WorkOrderID != nil {
			wo = *e.WorkOrderID
		}
		c.attributed[e.Seq] = wo
	}
	return c
}

// TestScanReattributesStoredCounts: counts stored before the scan that
// starts (or resumes) their run is applied move from the line's
// unattributed counts to the work order; counts stored after a late pause's
// time move back. The line's total never changes, and nothing moves twice
// (redelivery, a later pass).
func TestScanReattributesStoredCounts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		plant(t, s)
		r := newRig(t, s)
		check := func(step string, got tally, wo1, unattr, total [2]int64, attributed map[uint64]string) {
			t.Helper()
			if got.wo["WO-1"] != wo1 || got.unattr != unattr || got.total() != total {
				t.Errorf("%s: WO-1 %v, unattributed %v, total %v; want %v, %v, %v", step, got.wo["WO-1"], got.unattr, got.total(), wo1, unattr, total)
			}
			for seq, want := range attributed {
				if got.attributed[seq] != want {
					t.Errorf("%s: event %d attributed to %q, want %q", step, seq, got.attributed[seq], want)
				}
			}
		}

		// One batch: the start scan and the counts right after it. Ingest
		// stores the counts before the applier opens the run.
		first := batch(t, scan(1, t0, "L1", "ST-L1", "WO-1", "B-1", "start"),
			countEv(2, t0.Add(time.Second), 5, 0), countEv(3, t0.Add(2*time.Second), 3, 0))
		r.ingest(t, first)
		check("ingested", tallyL1(t, s), [2]int64{0, 0}, [2]int64{8, 0}, [2]int64{8, 0}, map[uint64]string{1: "", 2: "", 3: ""})
		if n := r.run(t); n != 1 {
			t.Fatalf("applied %d scans, want 1", n)
		}
		if w := workOrder(t, s, "WO-1"); w.Status != domain.StatusInProgress {
			t.Fatalf("WO-1 is %s", w.Status)
		}
		started := tallyL1(t, s)
		check("started", started, [2]int64{8, 0}, [2]int64{0, 0}, [2]int64{8, 0}, map[uint64]string{1: "WO-1", 2: "WO-1", 3: "WO-1"})
		// The start's audit entry shows the counts it moved.
		a := audit(t, s, "work_order", "WO-1")
		var after domain.WorkOrder
		if len(a) != 1 || json.Unmarshal(a[0].After, &after) != nil || after.Good != 8 {
			t.Errorf("start audit: %d entries, the first after %s", len(a), func() string {
				if len(a) == 0 {
					return "-"
				}
				return string(a[0].After)
			}())
		}

		// Counts while it runs, then a pause scanned at t0+15s that arrives
		// after the counts made after it.
		second := batch(t, countEv(4, t0.Add(10*time.Second), 2, 0), countEv(5, t0.Add(20*time.Second), 4, 1),
			countEv(6, t0.Add(30*time.Second), 7, 0), scan(7, t0.Add(15*time.Second), "L1", "ST-L1", "WO-1", "B-1", "pause"))
		r.ingest(t, second)
		check("counted", tallyL1(t, s), [2]int64{21, 1}, [2]int64{0, 0}, [2]int64{21, 1}, map[uint64]string{4: "WO-1", 5: "WO-1", 6: "WO-1", 7: "WO-1"})
		if n := r.run(t); n != 1 {
			t.Fatalf("applied %d scans, want 1", n)
		}
		if w := workOrder(t, s, "WO-1"); w.Status != domain.StatusPaused {
			t.Fatalf("WO-1 is %s", w.Status)
		}
		paused := tallyL1(t, s)
		check("paused", paused, [2]int64{10, 0}, [2]int64{11, 1}, [2]int64{21, 1},
			map[uint64]string{2: "WO-1", 3: "WO-1", 4: "WO-1", 5: "", 6: "", 7: ""})

		// Redelivered, and applied again: nothing moves.
		r.ingest(t, first)
		r.ingest(t, second)
		if n := r.run(t); n != 0 {
			t.Fatalf("redelivery applied %d scans", n)
		}
		check("redelivered", tallyL1(t, s), paused.wo["WO-1"], paused.unattr, paused.total(), paused.attributed)

		// Resumed at t0+25s: the count at t0+30s joins WO-1 again, the one
		// at t0+20s (while paused) stays unattributed.
		r.ingest(t, batch(t, scan(8, t0.Add(25*time.Second), "L1", "ST-L1", "WO-1", "B-1", "")))
		if n := r.run(t); n != 1 {
			t.Fatalf("applied %d scans, want 1", n)
		}
		check("resumed", tallyL1(t, s), [2]int64{17, 0}, [2]int64{4, 1}, [2]int64{21, 1},
			map[uint64]string{5: "", 6: "WO-1", 7: "", 8: "WO-1"})
		if got := tallyL1(t, s).wo["WO-3"]; got != [2]int64{0, 0} {
			t.Errorf("WO-3 (not started) has %v", got)
		}
	})
}
