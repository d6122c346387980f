package store

import (
	"context"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// TestShiftDaysUpgradeAndRoundTrip: a shift stored before migration 0220
// works every day after the upgrade (days ""), and a day list is stored in
// its canonical spelling, on both backends.
func TestShiftDaysUpgradeAndRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		old, err := open(ctx, db.driver, db.dsn, 200)
		if err != nil {
			t.Fatalf("open at migration 200: %v", err)
		}
		for _, q := range []string{
			`INSERT INTO lines (id, name) VALUES ('L1', 'Line 1')`,
			`INSERT INTO line_shifts (line_id, name, start_hm, end_hm) VALUES ('L1', 'early', '06:00', '14:00')`,
		} {
			if _, err := old.db.ExecContext(ctx, q); err != nil {
				old.Close()
				t.Fatalf("seed at migration 200: %v", err)
			}
		}
		old.Close()

		s := db.open(t)
		cal, err := s.Calendar(ctx, "L1")
		if err != nil || len(cal.Shifts) != 1 || cal.Shifts[0].Days != "" {
			t.Fatalf("after upgrade: %+v %v; want early with days \"\"", cal, err)
		}
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		if err := s.SaveMaster(ctx, domain.Shift{Line: "L1", Name: "early", Start: "06:00", End: "14:00", Days: "friday, mon-thu"}, domain.SaveUpdate, admin); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveMaster(ctx, domain.Shift{Line: "L1", Name: "sat", Start: "06:00", End: "12:00", Days: "sat"}, domain.SaveCreate, admin); err != nil {
			t.Fatal(err)
		}
		cal, err = s.Calendar(ctx, "L1")
		if err != nil || len(cal.Shifts) != 2 || cal.Shifts[0].Days != "Mon-Fri" || cal.Shifts[1].Days != "Sat" {
			t.Fatalf("calendar %+v %v; want early Mon-Fri, sat Sat", cal.Shifts, err)
		}
	})
}
