package store

import (
	"context"
	"testing"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// TestScanMigrationUpgrade: scan events stored before migration 0240 are
// recorded as skipped (never applied late, listed at their station); the
// ones stored after it are queued, once, however often they are resent.
func TestScanMigrationUpgrade(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		old, err := open(ctx, db.driver, db.dsn, 230)
		if err != nil {
			t.Fatal(err)
		}
		ev := func(seq uint64) wire.Event {
			return wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: wire.TypeScan, SourceTime: t0,
				Scan: &wire.Scan{Station: "ST-L1", Code: "WO-1"}}
		}
		if _, err := old.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{ev(1), count(2, t0, 1, 0)}}); err != nil {
			t.Fatal(err)
		}
		old.Close()
		s := db.open(t)
		list, err := s.StationScans(ctx, "ST-L1", 10)
		if err != nil || len(list) != 1 || list[0].Result != domain.ScanSkipped || list[0].Code != "WO-1" || list[0].Seq != 1 {
			t.Fatalf("after upgrade: %v %+v", err, list)
		}
		b := wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{ev(1), ev(3), count(4, t0, 1, 0)}}
		for range 2 {
			if _, err := s.ApplyBatch(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		var seq int64
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(seq) FROM scan_inbox`).Scan(&n, &seq); err != nil || n != 1 || seq != 3 {
			t.Fatalf("inbox: %v %d rows, max seq %d; want only seq 3", err, n, seq)
		}
	})
}
