package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/exceptions"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/inventory"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/edge/wire"
)

// TestDemoStockRunsShort: the demo's L1 consumes blanks and coating by
// backflush as it counts; after about 120 discs the coating at its line
// side is gone, central opens material_short for WO-1001-10, and an
// operator's scan of the warehouse coating lot at ST-L1 (a move to the line
// side) resolves it.
func TestDemoStockRunsShort(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			dsn := store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db"))
			if driver == store.DriverPostgres {
				dsn = pgtest.Schema(t)
			}
			st, err := store.Open(ctx, driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			start := time.Now().UTC().Truncate(time.Second)
			if seeded, err := SeedDemo(ctx, st, start); err != nil || !seeded {
				t.Fatalf("seed: %v %v", seeded, err)
			}
			inv := inventory.New(st.Handle())
			cfg := exceptions.DefaultConfig()
			cfg.MaterialShortEvery = 0 // each evaluation projects: the clock stands still here
			svc, err := exceptions.New(exceptions.Options{Config: cfg, Store: st, Materials: inv,
				Now: func() time.Time { return start.Add(3 * time.Minute) }})
			if err != nil {
				t.Fatal(err)
			}
			open := func() []domain.Exception {
				t.Helper()
				if err := svc.Evaluate(ctx); err != nil {
					t.Fatal(err)
				}
				xs, err := st.ListExceptions(ctx, domain.ExceptionFilter{Kind: []domain.ExceptionKind{domain.ExceptionMaterialShort},
					Status: []domain.ExceptionStatus{domain.ExceptionOpen}})
				if err != nil {
					t.Fatal(err)
				}
				return xs
			}
			if xs := open(); len(xs) != 0 {
				t.Fatalf("material_short at the demo's start: %+v", xs)
			}
			count := func(seq uint64, good int64, at time.Duration) {
				t.Helper()
				if _, err := st.ApplyBatch(ctx, wire.Batch{EdgeID: "edge-L1", Events: []wire.Event{{EdgeID: "edge-L1", Seq: seq, Line: "L1",
					Type: wire.TypeCount, SourceTime: start.Add(at), Count: &wire.Count{Counter: "parts", Good: good}}}}); err != nil {
					t.Fatal(err)
				}
			}
			count(1, 100, 100*time.Second) // 100 discs: 100 blanks, 2 l of coating
			stock := func(lot string) domain.Qty {
				t.Helper()
				bs, err := inv.Stock(ctx, domain.StockFilter{Lot: lot, Location: "LS-L1", WithZero: true})
				if err != nil || len(bs) != 1 {
					t.Fatalf("stock of %s: %+v %v", lot, bs, err)
				}
				return bs[0].Quantity
			}
			if stock("BLK280-2611") != 5900*domain.QtyScale || stock("CT-2609") != 400 {
				t.Errorf("after 100 discs: blanks %s, coating %s", stock("BLK280-2611"), stock("CT-2609"))
			}
			if xs := open(); len(xs) != 0 {
				t.Fatalf("material_short with coating left: %+v", xs)
			}
			count(2, 30, 130*time.Second) // 0.6 l wanted, 0.4 l there
			xs := open()
			if len(xs) != 1 || xs[0].WorkOrder != "WO-1001-10" || xs[0].Line != "L1" ||
				!strings.Contains(xs[0].Detail, "CT-ZN: line side L1 holds none; 0.2 l consumed without stock") {
				t.Fatalf("after the coating ran out: %+v", xs)
			}
			op := domain.Actor{Name: "op1", Role: domain.RoleOperator}
			if _, err := inv.LoadLot(ctx, "L1", "WO-1001-10", "CT-2612", op); err != nil {
				t.Fatal(err)
			}
			if xs := open(); len(xs) != 0 {
				t.Errorf("after loading CT-2612: %+v", xs)
			}
		})
	}
}

// TestDemoMaterialShortThroughCentral: a whole demo central, its rules on
// their own loop: L1's edge reports 150 discs over HTTPS, the coating at
// the line side runs out, material_short opens by itself; coating moved to
// the line side resolves it.
func TestDemoMaterialShortThroughCentral(t *testing.T) {
	start := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	a := startApp(t, withEdges, func(c *Config) {
		c.DemoStart = start
		c.Planning.Auto = false
	})
	e := &excEnv{t: t, a: a, start: start}
	for i := 1; i <= 3; i++ {
		e.send(wire.Event{Type: wire.TypeCount, SourceTime: start.Add(time.Duration(i) * time.Minute), Count: &wire.Count{Counter: "parts", Good: 50}})
	}
	wait := func(what string, cond func([]domain.Exception) bool) []domain.Exception {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			xs := e.list(domain.ExceptionMaterialShort)
			if cond(xs) {
				return xs
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 15s: %+v", what, xs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	xs := wait("material_short opens", func(xs []domain.Exception) bool { return len(xs) == 1 })
	if x := xs[0]; x.WorkOrder != "WO-1001-10" || x.RaisedBy != domain.SystemActor || x.Status != domain.ExceptionOpen ||
		!strings.Contains(x.Detail, "CT-ZN: line side L1 holds none; 0.6 l consumed without stock") {
		t.Fatalf("material_short: %+v", x)
	}
	if _, err := a.inv.Book(context.Background(), domain.MovementRequest{Type: domain.MoveTransfer, Lot: "CT-2612", Quantity: 20 * domain.QtyScale,
		From: "WH1-A", To: "LS-L1"}, domain.Actor{Name: "wh1", Role: domain.RoleWarehouse}); err != nil {
		t.Fatal(err)
	}
	wait("resolved by central", func(xs []domain.Exception) bool {
		return len(xs) == 1 && xs[0].Status == domain.ExceptionResolved && xs[0].ResolvedBy == domain.SystemActor
	})
}

func TestMaterialShortHorizonKey(t *testing.T) {
	if d := DefaultConfig().Exceptions.MaterialShortHorizon; d != 8*time.Hour {
		t.Errorf("default material_short_horizon %v", d)
	}
	path := t.TempDir() + "/central.yaml"
	if err := os.WriteFile(path, []byte("exceptions:\n  material_short_horizon: -1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), ":2: exceptions.material_short_horizon: must not be negative") {
		t.Errorf("negative horizon: %v", err)
	}
	if d := DefaultConfig().Exceptions.MaterialShortEvery; d != 5*time.Second {
		t.Errorf("default material_short_every %v", d)
	}
	if err := os.WriteFile(path, []byte("exceptions:\n  material_short_every: -1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), ":2: exceptions.material_short_every: must not be negative") {
		t.Errorf("negative material_short_every: %v", err)
	}
}
