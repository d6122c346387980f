package store

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/linewise/linewise/edge/wire"
)

// TestBenchIngestRollups: ingest with the rollups maintained against the
// same ingest without them, on SQLite and PostgreSQL: batches of 100
// events (99 counts and a state change, as a line with a stop every
// couple of minutes sends them) for a running work order; prints events/s
// of each and the ratio (issue #14's target: at least 80 %).
//
//	LINEWISE_BENCH=1 go test -count=1 -run TestBenchIngestRollups -v ./central/store/
func TestBenchIngestRollups(t *testing.T) {
	if os.Getenv("LINEWISE_BENCH") != "1" {
		t.Skip("benchmark: set LINEWISE_BENCH=1 to run")
	}
	const batches = 400
	forEachBackend(t, func(t *testing.T, db testDB) {
		rate := map[bool]float64{}
		for round := range 2 { // twice each, alternating: the machine is shared
			for _, on := range []bool{false, true} {
				d := backendFresh(t, db.driver)
				s := d.open(t)
				fixture(t, s)
				s.noRollups = !on
				ctx := context.Background()
				seq := uint64(0)
				states := []string{wire.StateRunning, wire.StateDown}
				start := time.Now()
				for i := range batches {
					var b wire.Batch
					for j := range 100 {
						seq++
						at := t0.Add(time.Duration(seq) * 600 * time.Millisecond)
						if j == 50 {
							b.Events = append(b.Events, state(seq, at, states[i%2]))
							continue
						}
						b.Events = append(b.Events, count(seq, at, 1, 0))
					}
					b.EdgeID, b.Version = "e1", wire.Version
					if _, err := s.ApplyBatch(ctx, b); err != nil {
						t.Fatal(err)
					}
				}
				r := float64(seq) / time.Since(start).Seconds()
				if round == 0 || r > rate[on] {
					rate[on] = r // the better of two rounds
				}
			}
		}
		t.Logf("%s: ingest %.0f events/s without rollups, %.0f with (%.0f%%)", db.driver, rate[false], rate[true], rate[true]/rate[false]*100)
	})
}

// backendFresh is an empty database of driver.
func backendFresh(t *testing.T, driver string) testDB {
	for _, b := range backends {
		if (b.name == "postgres") == (driver == DriverPostgres) {
			return b.fresh(t)
		}
	}
	t.Fatalf("no backend %s", driver)
	return testDB{}
}
