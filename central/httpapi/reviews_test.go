package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// reviewQueue reads GET /api/v1/reviews as role.
func (e *env) reviewQueue(role domain.Role) []reviewItem {
	e.t.Helper()
	res, body := e.do(e.as[role], "GET", "/api/v1/reviews", nil)
	if res.StatusCode != 200 {
		e.t.Fatalf("reviews as %s: %d %s", role, res.StatusCode, body)
	}
	var q []reviewItem
	if err := json.Unmarshal(body, &q); err != nil {
		e.t.Fatal(err)
	}
	return q
}

func mineOf(q []reviewItem, order string) []reviewWait {
	for _, it := range q {
		if it.Number == order {
			return it.Mine
		}
	}
	return nil
}

// TestReviewBoard: a special order needs technical coordination (drawings,
// BOM, routing confirmed) before anyone else signs; each reviewer's queue
// holds what their role signs, with the cost estimate and the line's load;
// a reviewer rejects with a comment, audited. SQLite and PostgreSQL.
func TestReviewBoard(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := newEnvOn(t, driver)
			pol := domain.DefaultReviewPolicy()
			pol.ByType = map[string][]domain.SignoffKind{domain.OrderTypeSpecial: {domain.SignoffMaterial, domain.SignoffCapacity,
				domain.SignoffQuality, domain.SignoffCost}}
			e.api.opts.Review = &pol
			plan := e.as[domain.RolePlanner]
			for _, c := range []struct {
				path string
				body map[string]any
			}{
				{"/api/v1/cost/labour-grades/G1", map[string]any{"name": "operator", "labour_hour": "40.00"}},
				{"/api/v1/cost/lines/L1", map[string]any{"machine_hour": "120", "labour_grade": "G1"}},
			} {
				if res, b := e.do(plan, "PUT", c.path, c.body); res.StatusCode != 200 {
					t.Fatalf("PUT %s: %d %s", c.path, res.StatusCode, b)
				}
			}

			res, body := e.do(plan, "POST", "/api/v1/orders", map[string]any{"number": "SP-1", "product": "P", "quantity": 3600,
				"order_type": "special", "price": "30", "currency": "CNY"})
			if res.StatusCode != 201 {
				t.Fatalf("create: %d %s", res.StatusCode, body)
			}
			n := "SP-1"
			if res, body := e.do(plan, "POST", "/api/v1/orders/"+n+"/submit", nil); res.StatusCode != 200 {
				t.Fatalf("submit: %d %s", res.StatusCode, body)
			}

			// The manager signs cost, but only after technical coordination.
			q := e.reviewQueue(domain.RoleManager)
			mine := mineOf(q, n)
			if len(mine) != 1 || mine[0].Kind != domain.SignoffCost || !strings.Contains(mine[0].Blocked, "technical coordination") {
				t.Fatalf("manager's queue: %+v", q)
			}
			it := q[0]
			if !it.Coordination || it.SubmittedAt == nil || it.Facts.Cost == nil || it.Facts.Material == nil {
				t.Fatalf("queue item %+v", it)
			}
			c := it.Facts.Cost
			if c.Machine.String() != "120.0000" || c.Labour.String() != "40.0000" || c.Total.String() != "160.0000" ||
				c.Revenue == nil || c.Revenue.String() != "108000.0000" || c.Margin.String() != "107840.0000" {
				t.Fatalf("cost estimate %+v", c)
			}
			if len(it.Facts.Capacity) != 1 || it.Facts.Capacity[0].Line != "L1" || it.Facts.Capacity[0].NeedHours != 1 {
				t.Fatalf("capacity %+v", it.Facts.Capacity)
			}
			res, body = e.do(plan, "POST", "/api/v1/orders/"+n+"/signoff", map[string]any{"kind": "material"})
			if p := e.problem(res, body, 409, "status"); !strings.Contains(p.Detail, "technical coordination") {
				t.Fatalf("material before coordination: %s", body)
			}
			res, body = e.do(plan, "POST", "/api/v1/orders/"+n+"/signoff", map[string]any{"kind": "technical",
				"confirmed": map[string]bool{"drawings": true, "routing": true}})
			e.problem(res, body, 400, "confirmed.bom")
			res, body = e.do(e.as[domain.RoleQuality], "POST", "/api/v1/orders/"+n+"/signoff", map[string]any{"kind": "technical",
				"confirmed": map[string]bool{"drawings": true, "bom": true, "routing": true}})
			e.problem(res, body, 403, "role")
			if res, body := e.do(plan, "POST", "/api/v1/orders/"+n+"/signoff", map[string]any{"kind": "technical", "comment": "rev C drawings",
				"confirmed": map[string]bool{"drawings": true, "bom": true, "routing": true}}); res.StatusCode != 200 {
				t.Fatalf("technical: %d %s", res.StatusCode, body)
			}
			if mine := mineOf(e.reviewQueue(domain.RoleManager), n); len(mine) != 1 || mine[0].Blocked != "" || mine[0].Since == nil {
				t.Fatalf("manager's cost after coordination: %+v", mine)
			}
			if mine := mineOf(e.reviewQueue(domain.RoleSupervisor), n); len(mine) != 2 || mine[0].Kind != "material" || mine[1].Kind != "capacity" {
				t.Fatalf("supervisor's queue: %+v", mine)
			}
			if mine := mineOf(e.reviewQueue(domain.RolePlanner), n); len(mine) != 2 {
				t.Fatalf("planner's queue (technical done): %+v", mine)
			}
			if res, _ := e.do(e.as[domain.RoleOperator], "GET", "/api/v1/reviews", nil); res.StatusCode != 403 {
				t.Fatalf("operator reads the review queue: %d", res.StatusCode)
			}
			// A standard order has no cost review: the manager may not sign one.
			std := e.draft("P")
			e.do(plan, "POST", "/api/v1/orders/"+std+"/submit", nil)
			res, body = e.do(e.as[domain.RoleManager], "POST", "/api/v1/orders/"+std+"/signoff", map[string]any{"kind": "cost"})
			e.problem(res, body, 409, "status")
			if mine := mineOf(e.reviewQueue(domain.RoleManager), std); mine != nil {
				t.Fatalf("standard order in the manager's queue: %+v", mine)
			}

			// Quality rejects with a comment.
			qa := e.as[domain.RoleQuality]
			res, body = e.do(qa, "POST", "/api/v1/reviews/"+n+"/reject", map[string]any{"kind": "quality"})
			e.problem(res, body, 400, "comment")
			res, body = e.do(qa, "POST", "/api/v1/reviews/"+n+"/reject", map[string]any{"kind": "cost", "comment": "too dear"})
			e.problem(res, body, 403, "role")
			if res, body := e.do(qa, "POST", "/api/v1/reviews/"+n+"/reject", map[string]any{"kind": "quality", "comment": "no FAI plan for rev C"}); res.StatusCode != 200 {
				t.Fatalf("reject: %d %s", res.StatusCode, body)
			}
			if got := e.order(n).Status; got != domain.StatusRejected {
				t.Fatalf("status after rejection %s", got)
			}
			res, body = e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/audit?entity=order:"+n, nil)
			if res.StatusCode != 200 || !strings.Contains(string(body), `"action":"reject:quality"`) || !strings.Contains(string(body), "no FAI plan for rev C") {
				t.Fatalf("audit: %d %s", res.StatusCode, body)
			}
			if mine := mineOf(e.reviewQueue(domain.RoleQuality), n); mine != nil {
				t.Fatalf("rejected order still queued: %+v", mine)
			}
		})
	}
}
