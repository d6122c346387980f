package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// DemoUsers are the demo's accounts: username, password, role, badge. The
// passwords are public; they exist only when the demo is enabled.
var DemoUsers = []struct {
	Username, Password, Display string
	Role                        domain.Role
	Badge                       string
}{
	{"admin", "admin-demo", "Admin", domain.RoleAdmin, ""},
	{"plan", "plan-demo", "Pat Planner", domain.RolePlanner, ""},
	{"super", "super-demo", "Sam Supervisor", domain.RoleSupervisor, ""},
	{"op1", "op1-demo", "Olga Operator", domain.RoleOperator, "B-1001"},
	{"qa", "qa-demo", "Quinn Quality", domain.RoleQuality, ""},
	{"wh", "wh-demo", "Wen Warehouse", domain.RoleWarehouse, ""},
	{"buy", "buy-demo", "Bo Buyer", domain.RoleBuyer, ""},
	{"mgr", "mgr-demo", "Mia Manager", domain.RoleManager, ""},
	{"sales", "sales-demo", "Sally Sales", domain.RoleSales, ""},
}

// DemoKioskToken is the demo's kiosk token: a wall screen opens
// /?kiosk=<it> and sees the dashboard without signing in. Public like the
// demo passwords; it exists only when the demo is enabled.
const DemoKioskToken = "demo-kiosk-wall-screen-token"

// DemoKioskPath is the dashboard address for a wall screen in the demo.
const DemoKioskPath = "/?kiosk=" + DemoKioskToken

// SeedDemoAccess adds the demo users, the demo kiosk token, stations ST-L1 and ST-L2, routings
// for the demo products, PO-1004 walked through review to released (so
// WO-1004-10 can be scanned at ST-L1), and the brake pad kit KIT-300 made by
// hand on L2 (no PLC) with PO-1005 released (WO-1005-10 at ST-L2, reported
// by hand). Every step skips what exists, so it runs on every start of a
// demo database.
func SeedDemoAccess(ctx context.Context, st *store.Store) error {
	system := domain.Actor{Name: "demo-seed", Role: domain.RoleAdmin}
	for _, u := range DemoUsers {
		if _, err := st.GetUser(ctx, u.Username); err == nil {
			continue
		} else if !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		hash, err := domain.HashPassword(u.Password, 0)
		if err != nil {
			return err
		}
		err = st.CreateUser(ctx, domain.User{Username: u.Username, DisplayName: u.Display, Role: u.Role,
			PasswordHash: hash, Badge: u.Badge}, system)
		if err != nil && !errors.Is(err, domain.ErrConflict) {
			return err
		}
	}
	kiosk := domain.APIToken{ID: "tok-demo-kiosk", Name: "demo-wall", Kind: domain.TokenKiosk,
		TokenHash: domain.HashToken(DemoKioskToken), CreatedAt: time.Now(), CreatedBy: system.Name}
	if err := st.CreateAPIToken(ctx, kiosk, system); err != nil && !errors.Is(err, domain.ErrConflict) {
		return err
	}
	for _, s := range []domain.Station{{ID: "ST-L1", LineID: "L1", Name: "Press line 1 station"}, {ID: "ST-L2", LineID: "L2", Name: "Assembly 2 station"}} {
		if err := st.CreateStation(ctx, s); err != nil && !errors.Is(err, domain.ErrConflict) {
			return err
		}
	}
	kit := domain.Product{Code: "KIT-300", Name: "Brake pad kit", Unit: "pcs", IdealCycle: 6 * time.Second}
	if err := st.CreateProduct(ctx, kit); err != nil && !errors.Is(err, domain.ErrConflict) {
		return err
	}
	routings := map[string][]domain.RoutingOp{
		"BRK-100": {{Seq: 10, Name: "Press and machine", LineID: "L1", IdealCycle: time.Second, Setup: 20 * time.Minute}},
		"BRK-200": {{Seq: 10, Name: "Press and machine", LineID: "L1", IdealCycle: 1200 * time.Millisecond, Setup: 25 * time.Minute}},
		"KIT-300": {{Seq: 10, Name: "Assemble and pack", LineID: "L2", IdealCycle: 6 * time.Second, Setup: 10 * time.Minute}},
	}
	for product, ops := range routings {
		have, err := st.Routing(ctx, product)
		if err != nil {
			return err
		}
		if len(have) == 0 {
			if err := st.SetRouting(ctx, product, ops); err != nil {
				return err
			}
		}
	}
	if err := seedDemoCustomers(ctx, st); err != nil { // demo_orderdesk.go
		return err
	}
	if err := seedReleasedOrder(ctx, st, domain.Order{Number: "PO-1004", ProductCode: "BRK-200", Quantity: 300, CustomerRef: "DEMO-ACME-17"}); err != nil {
		return err
	}
	return seedReleasedOrder(ctx, st, domain.Order{Number: "PO-1005", ProductCode: "KIT-300", Quantity: 300, CustomerRef: "DEMO-ACME-18"})
}

// seedReleasedOrder walks an order through the lifecycle with the demo
// roles, the way the API would.
func seedReleasedOrder(ctx context.Context, st *store.Store, o domain.Order) error {
	number := o.Number
	if _, err := st.GetOrderRecord(ctx, number); err == nil {
		return nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	planner := domain.Actor{Name: "plan", Role: domain.RolePlanner}
	if _, err := st.CreateDraftOrder(ctx, o, planner); err != nil {
		return err
	}
	now := time.Now()
	step := func(a domain.Actor, change func(rec *domain.OrderRecord) error, action string) error {
		_, err := st.ChangeOrder(ctx, number, a, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
			return domain.OrderChange{Action: action}, change(rec)
		})
		if err != nil {
			return fmt.Errorf("demo %s %s: %w", action, number, err)
		}
		return nil
	}
	move := func(a domain.Actor, action domain.Action) error {
		return step(a, func(rec *domain.OrderRecord) error {
			t, err := domain.Authorize(a.Role, action, rec.Status)
			if err != nil {
				return err
			}
			return domain.ApplyTransition(rec, t, now)
		}, string(action))
	}
	sign := func(a domain.Actor, kind domain.SignoffKind) error {
		return step(a, func(rec *domain.OrderRecord) error {
			if err := domain.CheckSignoff(a.Role, kind, rec.Status, rec.ReviewRound, rec.Signoffs); err != nil {
				return err
			}
			rec.Signoffs = append(rec.Signoffs, domain.Signoff{Kind: kind, Round: rec.ReviewRound, By: a.Name, Role: a.Role, At: now, Comment: "demo"})
			return nil
		}, "signoff:"+string(kind))
	}
	supervisor := domain.Actor{Name: "super", Role: domain.RoleSupervisor}
	quality := domain.Actor{Name: "qa", Role: domain.RoleQuality}
	for _, f := range []func() error{
		func() error { return move(planner, domain.ActionSubmit) },
		func() error { return sign(planner, domain.SignoffMaterial) },
		func() error { return sign(planner, domain.SignoffCapacity) },
		func() error { return sign(quality, domain.SignoffQuality) },
		func() error {
			return step(supervisor, func(rec *domain.OrderRecord) error {
				if err := domain.DefaultReviewPolicy().CheckApproval(rec.ReviewRound, rec.Signoffs); err != nil {
					return err
				}
				t, err := domain.Authorize(supervisor.Role, domain.ActionApprove, rec.Status)
				if err != nil {
					return err
				}
				return domain.ApplyTransition(rec, t, now)
			}, "approve")
		},
		func() error { return move(planner, domain.ActionSchedule) },
		func() error { return move(planner, domain.ActionRelease) },
	} {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}
