package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

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

// TestOrderImportDryRunAndCommit: a CSV of three orders, one good, one
// with a word for its quantity and an unknown customer, one repeating the
// first's number. The dry run reports the two bad rows by row and column
// and writes nothing; the import without skip_invalid is refused (422)
// with the same report and writes nothing; with skip_invalid the good row
// is entered (due the end of the plant day) and the bad ones are listed as
// skipped. An XLSX with Chinese headers imports too; an operator may not.
// SQLite and PostgreSQL.
func TestOrderImportDryRunAndCommit(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		sales := e.as[domain.RoleSales]
		if res, body := e.do(sales, "POST", "/api/v1/customers", map[string]string{"code": "ACME", "name": "Acme", "grade": "A"}); res.StatusCode != 201 {
			t.Fatalf("customer: %d %s", res.StatusCode, body)
		}
		before := e.orderCount()
		csv := "product,quantity,due,customer,number,price,currency\n" +
			"P,100,2026-04-01,ACME,IMP-1,12.50,CNY\n" +
			"P,abc,2026-04-02,NOPE,,,\n" +
			"Q,5,2026/04/03,,IMP-1,,\n"
		post := func(query string, ct string, body []byte) (*http.Response, []byte) {
			return e.send(sales, "POST", "/api/v1/orders/import"+query, ct, bytes.NewReader(body), int64(len(body)))
		}
		var rep orderImportReport
		res, body := post("?dry_run=true", "text/csv", []byte(csv))
		if res.StatusCode != 200 || json.Unmarshal(body, &rep) != nil {
			t.Fatalf("dry run: %d %s", res.StatusCode, body)
		}
		want := []domain.RowError{{Row: 3, Field: "quantity", Rule: `"abc" is not a whole number`}, {Row: 3, Field: "customer", Rule: `customer "NOPE" does not exist`},
			{Row: 4, Field: "number", Rule: "repeats the number of row 2"}}
		if !rep.DryRun || rep.Rows != 3 || rep.Valid != 1 || rep.Written != 0 || !reflect.DeepEqual(rep.Errors, want) ||
			len(rep.Orders) != 1 || rep.Orders[0].Row != 2 || rep.Orders[0].CustomerGrade != "A" || rep.Orders[0].Unit != "pcs" {
			t.Fatalf("dry run report %+v", rep)
		}
		if n := e.orderCount(); n != before {
			t.Fatalf("the dry run wrote orders: %d, was %d", n, before)
		}

		res, body = post("", "text/csv", []byte(csv))
		var p Problem
		if res.StatusCode != 422 || json.Unmarshal(body, &p) != nil || !reflect.DeepEqual(p.Errors, want) || p.Field != "quantity" {
			t.Fatalf("import with bad rows: %d %s", res.StatusCode, body)
		}
		wantDetail(t, p, "2 of 3 rows", "nothing was written")
		if n := e.orderCount(); n != before {
			t.Fatalf("a refused import wrote orders: %d, was %d", n, before)
		}

		res, body = post("?skip_invalid=true", "text/csv", []byte(csv))
		rep = orderImportReport{}
		if res.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || rep.Written != 1 || !reflect.DeepEqual(rep.Skipped, []int{3, 4}) || rep.Orders[0].Number != "IMP-1" {
			t.Fatalf("import skipping bad rows: %d %s", res.StatusCode, body)
		}
		res, body = e.do(sales, "GET", "/api/v1/orders/IMP-1", nil)
		var o domain.Order
		if res.StatusCode != 200 || json.Unmarshal(body, &o) != nil || o.Status != domain.StatusDraft || o.Quantity != 100 || o.Customer != "ACME" ||
			o.Due == nil || !o.Due.Equal(time.Date(2026, 4, 1, 23, 59, 59, 0, time.UTC)) || o.Price == nil || o.Price.String() != "12.5000" {
			t.Fatalf("imported order: %d %s", res.StatusCode, body)
		}
		// Again: the number is taken now.
		res, body = post("?dry_run=true", "text/csv", []byte("product,quantity,due,number\nP,1,2026-05-01,IMP-1\n"))
		rep = orderImportReport{}
		if res.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || len(rep.Errors) != 1 || rep.Errors[0].Rule != "IMP-1 already exists" {
			t.Fatalf("taken number: %d %s", res.StatusCode, body)
		}

		x := xlsxFile(t, [][]any{{"产品", "数量", "交期", "客户"}, {"Q", 7, "2026/05/02", "ACME"}})
		res, body = post("", xlsxType, x)
		rep = orderImportReport{}
		if res.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || rep.Written != 1 || rep.Format != "xlsx" || !strings.HasPrefix(rep.Orders[0].Number, "PO-") {
			t.Fatalf("xlsx import: %d %s", res.StatusCode, body)
		}
		if n := e.orderCount(); n != before+2 {
			t.Fatalf("%d orders, want %d", n, before+2)
		}
		res, _ = e.send(e.as[domain.RoleOperator], "POST", "/api/v1/orders/import", "text/csv", strings.NewReader(csv), int64(len(csv)))
		if res.StatusCode != 403 {
			t.Fatalf("operator import: %d", res.StatusCode)
		}
		for _, c := range []struct{ query, body, field string }{
			{"?dry_run=maybe", csv, "dry_run"},
			{"", "product,quantity\nP,1\n", "header"},
			{"", "product,quantity,due,colour\nP,1,2026-05-01,red\n", "header"},
		} {
			res, body := post(c.query, "text/csv", []byte(c.body))
			var p Problem
			if res.StatusCode != 400 || json.Unmarshal(body, &p) != nil || p.Field != c.field {
				t.Errorf("%s %q: %d %s, want 400 field %s", c.query, c.body, res.StatusCode, body, c.field)
			}
		}
	})
}

// TestOrderTimelineAPI: an order's timeline lists its creation, submission,
// sign-off and a change request of quantity and priority with before →
// after and the reason, oldest first, to any signed-in role (a sales user
// too, who may not read the audit trail); a priority outside 0–9 is a 400
// naming priority and changes nothing; an unknown order is a 404.
// SQLite and PostgreSQL.
func TestOrderTimelineAPI(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		planner := e.as[domain.RolePlanner]
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/api/v1/orders", map[string]any{"number": "TL-1", "product": "P", "quantity": 100, "due": "2026-04-01T23:59:59Z"}},
			{"POST", "/api/v1/orders/TL-1/submit", nil},
			{"POST", "/api/v1/orders/TL-1/signoff", map[string]string{"kind": "capacity", "comment": "fits"}},
			{"PATCH", "/api/v1/orders/TL-1", map[string]any{"quantity": 150, "priority": 7, "reason": "customer asked"}},
		} {
			if res, body := e.do(planner, c.method, c.path, c.body); res.StatusCode >= 300 {
				t.Fatalf("%s %s: %d %s", c.method, c.path, res.StatusCode, body)
			}
		}
		res, body := e.do(planner, "PATCH", "/api/v1/orders/TL-1", map[string]any{"priority": 10, "reason": "x"})
		var p Problem
		if res.StatusCode != 400 || json.Unmarshal(body, &p) != nil || p.Field != "priority" {
			t.Fatalf("priority 10: %d %s", res.StatusCode, body)
		}
		res, body = e.do(e.as[domain.RoleSales], "GET", "/api/v1/orders/TL-1/timeline", nil)
		var tl []timelineItem
		if res.StatusCode != 200 || json.Unmarshal(body, &tl) != nil {
			t.Fatalf("timeline: %d %s", res.StatusCode, body)
		}
		var actions []string
		for _, it := range tl {
			actions = append(actions, it.Action)
		}
		if strings.Join(actions, ",") != "create,submit,signoff:capacity,edit" {
			t.Fatalf("timeline actions %v", actions)
		}
		edit := tl[3]
		got := map[string]string{}
		for _, c := range edit.Changes {
			got[c.Field] = string(c.From) + "→" + string(c.To)
		}
		if edit.Reason != "customer asked" || edit.Actor != "planner" || edit.ActorName != "The planner" ||
			got["quantity"] != "100→150" || got["priority"] != "0→7" || len(got) != 2 {
			t.Fatalf("edit entry %+v (changes %v)", edit, got)
		}
		if tl[1].Changes[0].Field != "status" || string(tl[1].Changes[0].To) != `"under_review"` {
			t.Fatalf("submit entry %+v", tl[1])
		}
		if res, _ := e.do(planner, "GET", "/api/v1/orders/NOPE/timeline", nil); res.StatusCode != 404 {
			t.Fatalf("unknown order: %d", res.StatusCode)
		}
	})
}
