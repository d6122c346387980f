package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/i18n"
)

// TestSavedViewsAPI: a user's views of the order desk are theirs alone,
// saved under a name (again: replaced), listed by name, deleted, each
// change audited; bad input names the field and writes nothing; a token
// has no views. SQLite and PostgreSQL.
func TestSavedViewsAPI(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		sales, planner := e.as[domain.RoleSales], e.as[domain.RolePlanner]
		res, body := e.do(sales, "PUT", "/api/v1/me/views/orders/late%20drafts", map[string]string{"query": "status=draft&due_to=2026-03-31"})
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("save: %d %s", res.StatusCode, body)
		}
		res, body = e.do(sales, "PUT", "/api/v1/me/views/orders/late%20drafts", map[string]string{"query": "?status=draft,under_review"})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("save again: %d %s", res.StatusCode, body)
		}
		if res, body = e.do(sales, "PUT", "/api/v1/me/views/orders/ACME", map[string]string{"query": "customer=ACME"}); res.StatusCode != http.StatusCreated {
			t.Fatalf("second view: %d %s", res.StatusCode, body)
		}
		list := func(c *http.Client) []domain.SavedView {
			t.Helper()
			res, body := e.do(c, "GET", "/api/v1/me/views/orders", nil)
			var vs []domain.SavedView
			if res.StatusCode != 200 || json.Unmarshal(body, &vs) != nil {
				t.Fatalf("list: %d %s", res.StatusCode, body)
			}
			return vs
		}
		vs := list(sales)
		if len(vs) != 2 || vs[0].Name != "ACME" || vs[1].Name != "late drafts" || vs[1].Query != "status=draft,under_review" {
			t.Fatalf("views %+v", vs)
		}
		if vs := list(planner); len(vs) != 0 {
			t.Fatalf("the planner sees another user's views: %+v", vs)
		}

		for _, c := range []struct {
			path, field string
			body        any
			status      int
		}{
			{"/api/v1/me/views/orders/x", "query", map[string]any{}, 400},
			{"/api/v1/me/views/orders/x", "query", map[string]string{"query": "a=%zz"}, 400},
			{"/api/v1/me/views/orders/x", "query", map[string]string{"query": "a=\x00"}, 400},
			{"/api/v1/me/views/planner/x", "page", map[string]string{"query": ""}, 404},
			{"/api/v1/me/views/orders/%20", "name", map[string]string{"query": ""}, 400},
		} {
			res, body := e.do(sales, "PUT", c.path, c.body)
			var p Problem
			_ = json.Unmarshal(body, &p)
			if res.StatusCode != c.status || p.Field != c.field {
				t.Errorf("PUT %s %v: %d field %q, want %d field %q (%s)", c.path, c.body, res.StatusCode, p.Field, c.status, c.field, body)
			}
		}
		if vs := list(sales); len(vs) != 2 {
			t.Fatalf("a refused save wrote something: %+v", vs)
		}

		if res, body := e.do(sales, "DELETE", "/api/v1/me/views/orders/ACME", nil); res.StatusCode != http.StatusNoContent {
			t.Fatalf("delete: %d %s", res.StatusCode, body)
		}
		if res, _ := e.do(sales, "DELETE", "/api/v1/me/views/orders/ACME", nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("delete again: %d", res.StatusCode)
		}
		if res, _ := e.do(planner, "DELETE", "/api/v1/me/views/orders/late%20drafts", nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("the planner deleted another user's view: %d", res.StatusCode)
		}
		if vs := list(sales); len(vs) != 1 || vs[0].Name != "late drafts" {
			t.Fatalf("after delete %+v", vs)
		}

		res, body = e.do(e.as[domain.RoleAdmin], "GET", "/api/v1/audit?entity=saved_view", nil)
		var trail []domain.AuditEntry
		if res.StatusCode != 200 || json.Unmarshal(body, &trail) != nil {
			t.Fatalf("audit: %d %s", res.StatusCode, body)
		}
		actions := map[string]int{}
		for _, a := range trail {
			if a.Actor == "sales" {
				actions[a.Action+" "+a.EntityID]++
			}
		}
		if actions["create sales/orders/late drafts"] != 1 || actions["edit sales/orders/late drafts"] != 1 || actions["create sales/orders/ACME"] != 1 || actions["delete sales/orders/ACME"] != 1 {
			t.Fatalf("audit of views: %v", actions)
		}
	})
}

// TestOrderStatusesHaveNames: every order status has its name in both
// catalogues (the order desk names them as orders.status.<status>).
func TestOrderStatusesHaveNames(t *testing.T) {
	for _, s := range domain.Statuses() {
		for _, lang := range i18n.Languages {
			if !i18n.Has(lang, "orders.status."+string(s)) {
				t.Errorf("orders.status.%s is missing from the %s catalogue", s, lang)
			}
		}
	}
}
