package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/notify"
	plansvc "github.com/linewise/linewise/central/planning"
	"github.com/linewise/linewise/central/store"
)

// recNotifier keeps the notices it is given.
type recNotifier struct {
	mu sync.Mutex
	ns []notify.Notice
}

func (r *recNotifier) Notify(_ context.Context, n notify.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ns = append(r.ns, n)
	return nil
}

// newRushEnv is newEnvOn with the planner, customers ACME (A) and BETA (B),
// released orders R-0 (P × 60, running first, frozen), R-1 (P × 600 for BETA, due in 12 minutes) and R-2 (P × 300 for
// ACME) on L1, R-3 (Q × 40) and R-4 (Q × 100) for ACME on L2, and the rush
// line L2 for at most 60.
func newRushEnv(t *testing.T, driver string) (*env, *recNotifier) {
	t.Helper()
	e := newEnvOn(t, driver)
	cfg := plansvc.DefaultConfig()
	cfg.Budget, cfg.MaxIterations, cfg.Seed, cfg.Auto, cfg.Shifts = 200*time.Millisecond, 300, 1, false, []plansvc.Shift{}
	cfg.FreezeHorizon = time.Second
	svc, err := plansvc.New(plansvc.Options{Config: cfg, Store: e.st, Now: func() time.Time { return e.now }, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.api.EnableSchedule(svc)
	rec := &recNotifier{}
	e.api.opts.Notifier = rec
	e.api.opts.Rush = &domain.RushRules{Line: "L2", MaxQuantity: 60, Approvers: []domain.Role{domain.RoleManager}}
	sales := e.as[domain.RoleSales]
	for _, c := range []map[string]any{{"code": "ACME", "name": "Acme 机械", "grade": "A"}, {"code": "BETA", "name": "Beta Brakes", "grade": "B"}} {
		if res, body := e.do(sales, "POST", "/api/v1/customers", c); res.StatusCode != 201 {
			t.Fatalf("customer: %d %s", res.StatusCode, body)
		}
	}
	due := e.now.Add(12 * time.Minute).Format(time.RFC3339)
	for _, o := range []map[string]any{
		{"number": "R-0", "product": "P", "quantity": 60, "due": e.now.Add(5 * time.Minute).Format(time.RFC3339)},
		{"number": "R-1", "product": "P", "quantity": 600, "customer": "BETA", "due": due},
		{"number": "R-2", "product": "P", "quantity": 300, "customer": "ACME"},
		{"number": "R-3", "product": "Q", "quantity": 40, "customer": "ACME"},
		{"number": "R-4", "product": "Q", "quantity": 100, "customer": "ACME"},
	} {
		if res, body := e.do(sales, "POST", "/api/v1/orders", o); res.StatusCode != 201 {
			t.Fatalf("order: %d %s", res.StatusCode, body)
		}
		e.force(o["number"].(string), domain.StatusReleased)
	}
	if res, body := e.do(e.as[domain.RolePlanner], "POST", "/api/v1/schedule/proposals", map[string]string{"reason": "first plan"}); res.StatusCode != 201 {
		t.Fatalf("plan: %d %s", res.StatusCode, body)
	} else {
		var p plansvc.Proposal
		_ = json.Unmarshal(body, &p)
		if res, body := e.do(e.as[domain.RolePlanner], "POST", "/api/v1/schedule/proposals/"+p.ID+"/approve", nil); res.StatusCode != 200 {
			t.Fatalf("approve plan: %d %s", res.StatusCode, body)
		}
	}
	return e, rec
}

// TestRushApproval: sales asks for R-2 as a rush; the impact report names
// the order that slips, by how much, its customer and grade; sales
// and the planner may not approve it, nor may an admin approve their own
// request; a manager approves: the plan changes, R-2's priority and due
// date change and are audited, management is told. A grade-B order may not
// go on the rush line, nor a grade-A order above rush.max_quantity; a small
// grade-A one may. SQLite and PostgreSQL.
func TestRushApproval(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e, rec := newRushEnv(t, driver)
			sales, mgr := e.as[domain.RoleSales], e.as[domain.RoleManager]
			due := e.now.Add(8 * time.Minute).UTC()
			res, body := e.do(sales, "POST", "/api/v1/orders/R-2/rush", map[string]any{"priority": 9, "due": due, "reason": "ACME line stop"})
			if res.StatusCode != 201 {
				t.Fatalf("rush request: %d %s", res.StatusCode, body)
			}
			var made struct {
				ID      string             `json:"id"`
				Request domain.RushRequest `json:"request"`
			}
			_ = json.Unmarshal(body, &made)
			if made.Request.RequestedBy != "sales" || made.Request.Status != "pending" || made.Request.Reason != "ACME line stop" {
				t.Fatalf("request %+v", made)
			}
			res, body = e.do(mgr, "GET", "/api/v1/rush", nil)
			var list []rushView
			if res.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list) != 1 {
				t.Fatalf("pending rushes: %d %s", res.StatusCode, body)
			}
			v := list[0]
			if v.RushOrder.CustomerGrade != "A" || v.PriorityBefore != 0 || v.PriorityAfter == nil || *v.PriorityAfter != 9 || v.Proposal != "pending" {
				t.Fatalf("rush view %+v", v)
			}
			var r1 *slipImpact
			for i := range v.Slips {
				if v.Slips[i].Order == "R-1" {
					r1 = &v.Slips[i]
				}
			}
			if r1 == nil || r1.Customer != "BETA" || r1.CustomerGrade != "B" || r1.CustomerName != "Beta Brakes" || r1.Slip < 300 || !r1.BecameLate {
				t.Fatalf("R-1's slip in the impact report: %+v (all %+v)", r1, v.Slips)
			}

			res, body = e.do(sales, "POST", "/api/v1/rush/"+made.ID+"/approve", map[string]any{})
			e.problem(res, body, 403, "role")
			res, body = e.do(e.as[domain.RolePlanner], "POST", "/api/v1/schedule/proposals/"+made.ID+"/approve", nil)
			if p := e.problem(res, body, 403, "role"); !strings.Contains(p.Detail, "management") {
				t.Fatalf("planner approving: %s", body)
			}
			// An admin may approve rushes, but not one they asked for.
			admin := e.as[domain.RoleAdmin]
			res, body = e.do(admin, "POST", "/api/v1/orders/R-3/rush", map[string]any{"priority": 8})
			if res.StatusCode != 201 {
				t.Fatalf("admin's rush: %d %s", res.StatusCode, body)
			}
			var own struct{ ID string }
			_ = json.Unmarshal(body, &own)
			res, body = e.do(admin, "POST", "/api/v1/rush/"+own.ID+"/approve", map[string]any{})
			if p := e.problem(res, body, 409, "approver"); !strings.Contains(p.Detail, "admin asked for the rush insertion of order R-3") {
				t.Fatalf("approving one's own: %s", p.Detail)
			}
			res, body = e.do(mgr, "POST", "/api/v1/rush/"+own.ID+"/reject", map[string]any{})
			e.problem(res, body, 400, "comment")
			if res, body := e.do(mgr, "POST", "/api/v1/rush/"+own.ID+"/reject", map[string]any{"comment": "R-2 first"}); res.StatusCode != 200 {
				t.Fatalf("reject: %d %s", res.StatusCode, body)
			}

			res, body = e.do(mgr, "POST", "/api/v1/rush/"+made.ID+"/approve", map[string]any{"comment": "ok, tell BETA"})
			if res.StatusCode != 200 {
				t.Fatalf("manager approves: %d %s", res.StatusCode, body)
			}
			_ = json.Unmarshal(body, &v)
			if v.Status != "approved" || v.DecidedBy != "manager" || v.Comment != "ok, tell BETA" || v.Proposal != "approved" || v.PriorityBefore != 0 {
				t.Fatalf("approved %+v", v)
			}
			o := e.order("R-2")
			if o.Priority != 9 || o.Due == nil || !o.Due.Equal(due) {
				t.Fatalf("R-2 after approval: priority %d due %v", o.Priority, o.Due)
			}
			res, body = e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/audit?entity=order:R-2", nil)
			var audit []domain.AuditEntry
			_ = json.Unmarshal(body, &audit)
			var rushEntry *domain.AuditEntry
			for i := range audit {
				if audit[i].Action == "rush" {
					rushEntry = &audit[i]
				}
			}
			if rushEntry == nil || rushEntry.Actor != "manager" || rushEntry.Reason != "ok, tell BETA" ||
				!strings.Contains(string(rushEntry.Before), `"priority":0`) || !strings.Contains(string(rushEntry.After), `"priority":9`) ||
				!strings.Contains(string(rushEntry.After), due.Format(time.RFC3339)) || !strings.Contains(string(rushEntry.After), `"requested_by":"sales"`) {
				t.Fatalf("audit of R-2: %s", body)
			}
			var told *notify.Notice
			for i := range rec.ns {
				if rec.ns[i].Key == "rush:"+made.ID+":approved" {
					told = &rec.ns[i]
				}
			}
			if told == nil || !strings.Contains(told.Title, "Rush insertion of order R-2 approved by manager (asked by sales): priority 0 → 9") ||
				!containsRole(told.Roles, domain.RoleManager) || len(told.Users) != 1 || told.Users[0] != "sales" {
				t.Fatalf("notices %+v", rec.ns)
			}
			res, body = e.do(e.as[domain.RoleManager], "POST", "/api/v1/rush/"+made.ID+"/approve", map[string]any{})
			e.problem(res, body, 409, "approver") // decided already

			// The rush line: grade A and small only.
			res, body = e.do(sales, "POST", "/api/v1/orders/R-1/rush", map[string]any{"priority": 9, "rush_line": true})
			if p := e.problem(res, body, 409, "rush_line"); !strings.Contains(p.Detail, "customer BETA of grade B") {
				t.Fatalf("grade B on the rush line: %s", p.Detail)
			}
			res, body = e.do(sales, "POST", "/api/v1/orders/R-4/rush", map[string]any{"priority": 9, "rush_line": true})
			if p := e.problem(res, body, 409, "rush_line"); !strings.Contains(p.Detail, "order R-4 is 100, more than the rush line's 60") {
				t.Fatalf("too big for the rush line: %s", p.Detail)
			}
			res, body = e.do(sales, "POST", "/api/v1/orders/R-3/rush", map[string]any{"priority": 9, "rush_line": true})
			if res.StatusCode != 201 || !strings.Contains(string(body), `"rush_line":"L2"`) {
				t.Fatalf("small grade-A order on the rush line: %d %s", res.StatusCode, body)
			}
		})
	}
}

func containsRole(rs []domain.Role, r domain.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
