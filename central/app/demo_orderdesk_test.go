package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// TestDemoOrderDesk: the demo has a sales user and a customer master with
// each grade, so the order desk can be tried as the README says.
func TestDemoOrderDesk(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.DriverSQLite, store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := SeedDemo(ctx, st, time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	u, err := st.GetUser(ctx, "sales")
	if err != nil || u.Role != domain.RoleSales || !domain.CheckPassword(u.PasswordHash, "sales-demo") {
		t.Fatalf("sales user: %+v %v", u, err)
	}
	cs, err := st.ListCustomers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	grades := map[string]string{}
	for _, c := range cs {
		grades[c.Code] = c.Grade
	}
	if grades["DFQC"] != "A" || grades["NORDBRK"] != "B" || grades["HZAUTO"] != "C" {
		t.Fatalf("demo customers %v", grades)
	}
}
