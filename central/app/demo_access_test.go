package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

func TestSeedDemoAccess(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.DriverSQLite, store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	if seeded, err := SeedDemo(ctx, st, start); err != nil || !seeded {
		t.Fatalf("seed: %v %v", seeded, err)
	}
	// A second start seeds nothing new and does not fail.
	if seeded, err := SeedDemo(ctx, st, start); err != nil || seeded {
		t.Fatalf("reseed: %v %v", seeded, err)
	}
	for _, u := range DemoUsers {
		got, err := st.GetUser(ctx, u.Username)
		if err != nil || got.Role != u.Role || !domain.CheckPassword(got.PasswordHash, u.Password) {
			t.Errorf("user %s: %+v %v", u.Username, got, err)
		}
	}
	if u, err := st.UserByBadge(ctx, "B-1001"); err != nil || u.Username != "op1" {
		t.Errorf("badge B-1001: %+v %v", u, err)
	}
	if s, err := st.GetStation(ctx, "ST-L1"); err != nil || s.LineID != "L1" {
		t.Errorf("station: %+v %v", s, err)
	}
	rec, err := st.GetOrderRecord(ctx, "PO-1004")
	if err != nil || rec.Status != domain.StatusReleased || len(rec.WorkOrders) != 1 || rec.WorkOrders[0].ID != "WO-1004-10" {
		t.Errorf("PO-1004: %+v %v", rec, err)
	}
	// L2 has no PLC: its order is reported by hand at ST-L2.
	rec, err = st.GetOrderRecord(ctx, "PO-1005")
	if err != nil || rec.Status != domain.StatusReleased || len(rec.WorkOrders) != 1 || rec.WorkOrders[0].LineID != "L2" || rec.WorkOrders[0].Quantity != 300 {
		t.Errorf("PO-1005: %+v %v", rec, err)
	}
}
