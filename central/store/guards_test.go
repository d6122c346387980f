package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// TestLastEnabledAdminIsKept: disabling the last enabled admin, or giving
// it another role, is refused by SaveMaster (REST, CLI) and by the users
// import, on both backends; with a second admin the same change is fine.
func TestLastEnabledAdminIsKept(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.CreateUser(ctx, domain.User{Username: "root", Role: domain.RoleAdmin, PasswordHash: "x"}, admin))
		must(s.CreateUser(ctx, domain.User{Username: "old", Role: domain.RoleAdmin, PasswordHash: "x", Disabled: true}, admin))
		must(s.CreateUser(ctx, domain.User{Username: "plan", Role: domain.RolePlanner, PasswordHash: "x"}, admin))
		must(s.CreateSession(ctx, domain.Session{TokenHash: "h-root", Username: "root", CreatedAt: t0, ExpiresAt: t0.Add(1e12)}))

		var la *domain.LastAdminError
		err := s.SaveMaster(ctx, domain.User{Username: "root", Role: domain.RoleAdmin, Disabled: true}, domain.SaveUpdate, admin)
		if !errors.As(err, &la) || la.Field != "disabled" || !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("disable the last admin: %v", err)
		}
		if !strings.Contains(err.Error(), "root") || !strings.Contains(err.Error(), "last enabled admin") {
			t.Errorf("message %q", err)
		}
		err = s.SaveMaster(ctx, domain.User{Username: "root", Role: domain.RolePlanner}, domain.SaveUpdate, admin)
		if !errors.As(err, &la) || la.Field != "role" {
			t.Fatalf("demote the last admin: %v", err)
		}
		if u, err := s.GetUser(ctx, "root"); err != nil || u.Disabled || u.Role != domain.RoleAdmin {
			t.Fatalf("root changed: %+v %v", u, err)
		}
		if _, err := s.SessionPrincipal(ctx, "h-root", t0); err != nil {
			t.Errorf("a refused disable ended root's session: %v", err)
		}
		// Changes that keep root an enabled admin, or touch others, pass.
		must(s.SaveMaster(ctx, domain.User{Username: "root", DisplayName: "Root", Role: domain.RoleAdmin}, domain.SaveUpdate, admin))
		must(s.SaveMaster(ctx, domain.User{Username: "plan", Role: domain.RolePlanner, Disabled: true}, domain.SaveUpdate, admin))
		must(s.SaveMaster(ctx, domain.User{Username: "old", Role: domain.RoleOperator, Disabled: true}, domain.SaveUpdate, admin))

		// The import refuses the row, writes nothing without partial and says why.
		rows := []domain.ImportRow{
			{Row: 2, Value: domain.User{Username: "op9", Role: domain.RoleOperator, Badge: "B-9"}},
			{Row: 3, Value: domain.User{Username: "root", Role: domain.RoleAdmin, Disabled: true}},
		}
		rep, err := s.ImportMaster(ctx, "users", rows, false, admin)
		if err != nil || !rep.Conflict || rep.Created != 0 || len(rep.Errors) != 1 || rep.Errors[0].Row != 3 ||
			rep.Errors[0].Field != "disabled" || !strings.Contains(rep.Errors[0].Rule, "last enabled admin") {
			t.Fatalf("import: %+v %v", rep, err)
		}
		if _, err := s.GetUser(ctx, "op9"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("all-or-nothing import wrote op9: %v", err)
		}
		rep, err = s.ImportMaster(ctx, "users", rows, true, admin)
		if err != nil || rep.Created != 1 || len(rep.Errors) != 1 {
			t.Fatalf("partial import: %+v %v", rep, err)
		}
		if u, _ := s.GetUser(ctx, "root"); u.Disabled {
			t.Fatal("partial import disabled root")
		}
		// Within one import the rows see each other: appointing a new admin
		// first lets the old one go.
		rep, err = s.ImportMaster(ctx, "users", []domain.ImportRow{
			{Row: 2, Value: domain.User{Username: "op9", Role: domain.RoleAdmin}},
			{Row: 3, Value: domain.User{Username: "root", Role: domain.RoleAdmin, Disabled: true}},
			{Row: 4, Value: domain.User{Username: "op9", Role: domain.RoleOperator}},
		}, false, admin)
		if err != nil || len(rep.Errors) != 1 || rep.Errors[0].Row != 4 || rep.Errors[0].Field != "role" {
			t.Fatalf("import in order: %+v %v", rep, err)
		}

		// Two admins disabling each other at once: one of them stays.
		must(s.SaveMaster(ctx, domain.User{Username: "second", Role: domain.RoleAdmin}, domain.SaveCreate, admin))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, name := range []string{"root", "second"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.SaveMaster(ctx, domain.User{Username: name, Role: domain.RoleAdmin, Disabled: true}, domain.SaveUpdate, admin)
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("concurrent disables: %v / %v, want exactly one refused", errs[0], errs[1])
		}
		us, err := s.ListUsers(ctx)
		must(err)
		n := 0
		for _, u := range us {
			if u.Role == domain.RoleAdmin && !u.Disabled {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d enabled admins after the race: %+v", n, us)
		}
	})
}

// TestBOMCyclesAcrossProducts: a BOM that would make a product contain
// itself through others is refused by ReplaceBOM and by the bom import,
// naming the path; a diamond (two ways down to one part) is no cycle.
func TestBOMCyclesAcrossProducts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []string{"A", "B", "C", "D", "E"} {
			must(s.CreateProduct(ctx, domain.Product{Code: c, Name: c, Unit: "pcs", IdealCycle: 1e9}))
		}
		item := func(c string) domain.BOMItem { return domain.BOMItem{Component: c, Quantity: 1} }
		must(s.ReplaceBOM(ctx, "A", []domain.BOMItem{item("B"), item("D")}, admin))
		must(s.ReplaceBOM(ctx, "B", []domain.BOMItem{item("C")}, admin))
		must(s.ReplaceBOM(ctx, "D", []domain.BOMItem{item("C")}, admin)) // a diamond: A→B→C, A→D→C

		var fe *domain.FieldError
		err := s.ReplaceBOM(ctx, "C", []domain.BOMItem{item("E"), item("A")}, admin)
		if !errors.As(err, &fe) || fe.Field != "component" || !strings.Contains(fe.Rule, "C → A → B → C") {
			t.Fatalf("C containing A: %v", err)
		}
		if b, _ := s.BOM(ctx, "C"); len(b) != 0 {
			t.Fatalf("refused BOM written: %+v", b)
		}
		// Replacing a BOM drops its old items first: B may leave C for E.
		must(s.ReplaceBOM(ctx, "B", []domain.BOMItem{item("E")}, admin))
		must(s.ReplaceBOM(ctx, "C", []domain.BOMItem{item("E")}, admin))

		rep, err := s.ImportMaster(ctx, "bom", []domain.ImportRow{
			{Row: 2, Value: domain.BOMItem{Product: "E", Component: "C", Quantity: 1}}, // C contains E already
			{Row: 3, Value: domain.BOMItem{Product: "C", Component: "B", Quantity: 1}}, // fine: B→E only
			{Row: 4, Value: domain.BOMItem{Product: "E", Component: "A", Quantity: 1}}, // A→B→E
		}, true, admin)
		if err != nil || rep.Created != 1 || len(rep.Errors) != 2 {
			t.Fatalf("bom import: %+v %v", rep, err)
		}
		if e := rep.Errors[0]; e.Row != 2 || e.Field != "component" || !strings.Contains(e.Rule, "E → C → E") {
			t.Errorf("row 2: %+v", e)
		}
		if e := rep.Errors[1]; e.Row != 4 || !strings.Contains(e.Rule, "E → A → B → E") {
			t.Errorf("row 4: %+v", e)
		}
		if b, _ := s.BOM(ctx, "E"); len(b) != 0 {
			t.Errorf("E's BOM: %+v", b)
		}
	})
}
