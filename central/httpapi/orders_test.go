package httpapi

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// TestTransitionsWalkRoleMatrix takes every transition of the lifecycle as
// every role, through the real router: allowed ones move the order (200),
// the others are refused (403) and change nothing.
func TestTransitionsWalkRoleMatrix(t *testing.T) {
	e := newEnv(t)
	for _, tr := range domain.Lifecycle() {
		for _, role := range domain.Roles() {
			name := string(tr.Action) + "/" + string(tr.From) + "/" + string(role)
			number := e.draft("P")
			e.force(number, tr.From)
			res, body := e.do(e.as[role], "POST", "/api/v1/orders/"+number+"/"+string(tr.Action), map[string]string{"reason": "test"})
			want := domain.Allowed(role, tr.From, tr.To)
			if want != slices.Contains(tr.Roles, role) {
				t.Fatalf("%s: Allowed disagrees with the table", name)
			}
			got := e.order(number).Status
			if want {
				if res.StatusCode != 200 || got != tr.To {
					t.Errorf("%s: %d, status %s, want 200 and %s: %s", name, res.StatusCode, got, tr.To, body)
				}
				continue
			}
			if res.StatusCode != 403 || got != tr.From {
				t.Errorf("%s: %d, status %s; want 403 and unchanged %s: %s", name, res.StatusCode, got, tr.From, body)
			}
		}
	}
}

// TestActionsFromWrongStateConflict tries, as admin (who may do everything
// the table allows), every action from every state it does not apply to.
func TestActionsFromWrongStateConflict(t *testing.T) {
	e := newEnv(t)
	for _, a := range domain.Actions() {
		for _, from := range domain.Statuses() {
			if _, err := domain.Next(a, from); err == nil {
				continue
			}
			number := e.draft("P")
			e.force(number, from)
			res, body := e.do(e.as[domain.RoleAdmin], "POST", "/api/v1/orders/"+number+"/"+string(a), map[string]string{"reason": "x"})
			if res.StatusCode != 409 || e.order(number).Status != from {
				t.Errorf("%s from %s: %d %s", a, from, res.StatusCode, body)
			}
		}
	}
}

func TestReviewNeedsEverySignoff(t *testing.T) {
	e := newEnv(t)
	n := e.draft("P")
	planner, qa, super := e.as[domain.RolePlanner], e.as[domain.RoleQuality], e.as[domain.RoleSupervisor]
	if res, body := e.do(planner, "POST", "/api/v1/orders/"+n+"/submit", nil); res.StatusCode != 200 {
		t.Fatalf("submit: %d %s", res.StatusCode, body)
	}
	for _, k := range []string{"material", "capacity"} {
		if res, body := e.do(planner, "POST", "/api/v1/orders/"+n+"/signoff", map[string]string{"kind": k, "comment": "ok"}); res.StatusCode != 200 {
			t.Fatalf("signoff %s: %d %s", k, res.StatusCode, body)
		}
	}
	res, body := e.do(planner, "POST", "/api/v1/orders/"+n+"/signoff", map[string]string{"kind": "material"})
	e.problem(res, body, 409, "status") // signed already
	res, body = e.do(planner, "POST", "/api/v1/orders/"+n+"/signoff", map[string]string{"kind": "quality"})
	e.problem(res, body, 403, "role")
	res, body = e.do(planner, "POST", "/api/v1/orders/"+n+"/signoff", map[string]string{"kind": "colour"})
	e.problem(res, body, 400, "kind")

	res, body = e.do(super, "POST", "/api/v1/orders/"+n+"/approve", nil)
	p := e.problem(res, body, 409, "signoff.quality")
	if !strings.Contains(p.Detail, "quality") {
		t.Errorf("detail %q does not name the missing sign-off", p.Detail)
	}
	if got := e.order(n).Status; got != domain.StatusUnderReview {
		t.Fatalf("status %s after refused approval", got)
	}
	if res, body := e.do(qa, "POST", "/api/v1/orders/"+n+"/signoff", map[string]string{"kind": "quality", "comment": "FAI passed"}); res.StatusCode != 200 {
		t.Fatalf("quality signoff: %d %s", res.StatusCode, body)
	}
	if res, body := e.do(super, "POST", "/api/v1/orders/"+n+"/approve", nil); res.StatusCode != 200 {
		t.Fatalf("approve: %d %s", res.StatusCode, body)
	}

	// A rejected and revised order starts a new round: old sign-offs no longer count.
	n2 := e.draft("P")
	e.do(planner, "POST", "/api/v1/orders/"+n2+"/submit", nil)
	for _, k := range []string{"material", "capacity"} {
		e.do(planner, "POST", "/api/v1/orders/"+n2+"/signoff", map[string]string{"kind": k})
	}
	e.do(qa, "POST", "/api/v1/orders/"+n2+"/signoff", map[string]string{"kind": "quality"})
	res, body = e.do(qa, "POST", "/api/v1/orders/"+n2+"/reject", nil)
	e.problem(res, body, 400, "reason")
	if res, body := e.do(qa, "POST", "/api/v1/orders/"+n2+"/reject", map[string]string{"reason": "drawing rev C missing"}); res.StatusCode != 200 {
		t.Fatalf("reject: %d %s", res.StatusCode, body)
	}
	e.do(planner, "POST", "/api/v1/orders/"+n2+"/revise", nil)
	e.do(planner, "POST", "/api/v1/orders/"+n2+"/submit", nil)
	res, body = e.do(super, "POST", "/api/v1/orders/"+n2+"/approve", nil)
	e.problem(res, body, 409, "signoff.material")
}

func TestReviewPolicyIsConfigurable(t *testing.T) {
	e := newEnv(t)
	e.api.opts.Review = &domain.ReviewPolicy{Required: []domain.SignoffKind{domain.SignoffQuality}}
	n := e.draft("P")
	e.do(e.as[domain.RolePlanner], "POST", "/api/v1/orders/"+n+"/submit", nil)
	e.do(e.as[domain.RoleQuality], "POST", "/api/v1/orders/"+n+"/signoff", map[string]string{"kind": "quality"})
	if res, body := e.do(e.as[domain.RoleSupervisor], "POST", "/api/v1/orders/"+n+"/approve", nil); res.StatusCode != 200 {
		t.Fatalf("approve with only quality required: %d %s", res.StatusCode, body)
	}
}

func TestReleaseCutsWorkOrdersFromRouting(t *testing.T) {
	e := newEnv(t)
	n := e.draft("P")
	e.force(n, domain.StatusScheduled)
	res, body := e.do(e.as[domain.RoleSupervisor], "POST", "/api/v1/orders/"+n+"/release", nil)
	if res.StatusCode != 200 {
		t.Fatalf("release: %d %s", res.StatusCode, body)
	}
	// The public read keeps the shape the dashboard relies on.
	res, body = e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/orders/"+n, nil)
	var d struct {
		Number     string `json:"number"`
		Status     string `json:"status"`
		WorkOrders []struct {
			ID, Barcode  string
			Good, Reject int64
			Line         string `json:"line"`
		} `json:"work_orders"`
	}
	if res.StatusCode != 200 || json.Unmarshal(body, &d) != nil || len(d.WorkOrders) != 1 {
		t.Fatalf("get: %d %s", res.StatusCode, body)
	}
	want := domain.WorkOrderID(n, 10)
	if w := d.WorkOrders[0]; w.ID != want || w.Barcode != want || w.Line != "L1" || d.Status != "released" {
		t.Errorf("work order %+v, status %s; want %s on L1", w, d.Status, want)
	}

	// A product without routing cannot be released.
	if err := e.st.SetRouting(context.Background(), "Q", nil); err != nil {
		t.Fatal(err)
	}
	n2 := e.draft("Q")
	e.force(n2, domain.StatusScheduled)
	res, body = e.do(e.as[domain.RolePlanner], "POST", "/api/v1/orders/"+n2+"/release", nil)
	e.problem(res, body, 400, "product")
}

func TestCreatePatchDelete(t *testing.T) {
	e := newEnv(t)
	planner := e.as[domain.RolePlanner]
	res, body := e.do(planner, "POST", "/api/v1/orders", map[string]any{"number": "SO-77", "product": "P", "quantity": 5,
		"due": "2026-04-01T12:00:00Z", "priority": 3, "customer_ref": "ACME-1", "order_type": "rework", "site": "North"})
	if res.StatusCode != 201 || res.Header.Get("Location") != "/api/v1/orders/SO-77" {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	var o domain.Order
	_ = json.Unmarshal(body, &o)
	if o.Status != domain.StatusDraft || o.Unit != "pcs" || o.CustomerRef != "ACME-1" || o.OrderType != "rework" || o.Due == nil {
		t.Errorf("created %+v", o)
	}
	bad := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"product": "P", "quantity": 0}, "quantity"},
		{map[string]any{"product": "", "quantity": 1}, "product"},
		{map[string]any{"product": "NOPE", "quantity": 1}, "product"},
		{map[string]any{"product": "P", "quantity": 1, "due": "tomorrow"}, "due"},
		{map[string]any{"product": "P", "quantity": 1, "order_type": "magic"}, "order_type"},
		{map[string]any{"product": "P", "quantity": 1, "number": "a b"}, "number"},
		{map[string]any{"product": "P", "quantity": 1, "colour": "red"}, "colour"},
		{map[string]any{"product": "P", "quantity": "ten"}, "quantity"},
	}
	for _, b := range bad {
		res, body := e.do(planner, "POST", "/api/v1/orders", b.body)
		e.problem(res, body, 400, b.field)
	}
	res, body = e.do(planner, "POST", "/api/v1/orders", map[string]any{"number": "SO-77", "product": "P", "quantity": 1})
	e.problem(res, body, 409, "number") // taken

	res, body = e.do(planner, "PATCH", "/api/v1/orders/SO-77", map[string]any{"quantity": 8})
	e.problem(res, body, 400, "reason")
	res, body = e.do(planner, "PATCH", "/api/v1/orders/SO-77", map[string]any{"quantity": 8, "due": "2026-04-02", "reason": "customer call"})
	if res.StatusCode != 200 || e.order("SO-77").Quantity != 8 {
		t.Fatalf("patch: %d %s", res.StatusCode, body)
	}
	res, body = e.do(e.as[domain.RoleOperator], "PATCH", "/api/v1/orders/SO-77", map[string]any{"quantity": 9, "reason": "x"})
	e.problem(res, body, 403, "role")

	n := e.draft("P")
	e.force(n, domain.StatusReleased)
	res, body = e.do(planner, "PATCH", "/api/v1/orders/"+n, map[string]any{"quantity": 99, "reason": "more"})
	e.problem(res, body, 409, "quantity")
	if res, body := e.do(planner, "PATCH", "/api/v1/orders/"+n, map[string]any{"due": "2026-05-01", "reason": "slot moved"}); res.StatusCode != 200 {
		t.Fatalf("due on a released order: %d %s", res.StatusCode, body)
	}
	res, body = e.do(planner, "DELETE", "/api/v1/orders/"+n, nil)
	e.problem(res, body, 409, "status")
	if res, body := e.do(planner, "DELETE", "/api/v1/orders/SO-77", nil); res.StatusCode != 204 {
		t.Fatalf("delete draft: %d %s", res.StatusCode, body)
	}
	res, _ = e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/orders/SO-77", nil)
	if res.StatusCode != 404 {
		t.Errorf("deleted order still there: %d", res.StatusCode)
	}

	// The edit was audited with who, why, before and after.
	res, body = e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/audit?entity=order:SO-77&limit=10", nil)
	var entries []domain.AuditEntry
	if res.StatusCode != 200 || json.Unmarshal(body, &entries) != nil {
		t.Fatalf("audit: %d %s", res.StatusCode, body)
	}
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Action)
		if a.Action == "edit" {
			var before, after domain.Order
			_ = json.Unmarshal(a.Before, &before)
			_ = json.Unmarshal(a.After, &after)
			if a.Actor != "planner" || a.Reason != "customer call" || before.Quantity != 5 || after.Quantity != 8 {
				t.Errorf("edit entry %+v: before %d after %d", a, before.Quantity, after.Quantity)
			}
		}
	}
	if strings.Join(actions, ",") != "delete,edit,create" {
		t.Errorf("audit actions %v, want delete,edit,create (newest first)", actions)
	}
}

func TestListOrdersFilters(t *testing.T) {
	e := newEnv(t)
	planner := e.as[domain.RolePlanner]
	for i, b := range []map[string]any{
		{"number": "A-1", "product": "P", "quantity": 1, "due": "2026-04-01", "customer_ref": "ACME_7"},
		{"number": "A-2", "product": "P", "quantity": 2, "due": "2026-04-10"},
		{"number": "A-3", "product": "Q", "quantity": 3, "due": "2026-04-20"},
	} {
		if res, body := e.do(planner, "POST", "/api/v1/orders", b); res.StatusCode != 201 {
			t.Fatalf("create %d: %s", i, body)
		}
	}
	e.force("A-2", domain.StatusScheduled)
	list := func(q string) []string {
		t.Helper()
		res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/orders?"+q, nil)
		if res.StatusCode != 200 {
			t.Fatalf("list %s: %d %s", q, res.StatusCode, body)
		}
		var os []domain.Order
		_ = json.Unmarshal(body, &os)
		var n []string
		for _, o := range os {
			n = append(n, o.Number)
		}
		return n
	}
	tests := []struct{ q, want string }{
		{"", "A-1,A-2,A-3"},
		{"status=scheduled", "A-2"},
		{"status=draft,scheduled", "A-1,A-2,A-3"},
		{"product=Q", "A-3"},
		{"line=L2", "A-3"},
		{"due_from=2026-04-05&due_to=2026-04-15", "A-2"},
		{"q=acme_", "A-1"},
		{"q=" + url.QueryEscape("%"), ""},
		{"q=other", "A-3"},
		{"limit=2", "A-1,A-2"},
		{"limit=1&offset=2", "A-3"},
	}
	for _, tt := range tests {
		if got := strings.Join(list(tt.q), ","); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.q, got, tt.want)
		}
	}
	res, _ := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/orders?limit=2", nil)
	cur := res.Header.Get("X-Next-Cursor")
	if cur == "" || !strings.Contains(res.Header.Get("Link"), `rel="next"`) {
		t.Fatalf("no next cursor: %v", res.Header)
	}
	if got := strings.Join(list("limit=2&cursor="+cur), ","); got != "A-3" {
		t.Errorf("page 2: %s", got)
	}
	for _, q := range []string{"status=nope", "due_from=x", "limit=0", "offset=-1", "cursor=***"} {
		res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/orders?"+q, nil)
		e.problem(res, body, 400, strings.SplitN(q, "=", 2)[0])
	}

	// CSV export: same filters, login required.
	res, body := e.do(nil, "GET", "/api/v1/exports/orders.csv?product=P", nil)
	e.problem(res, body, 401, "")
	res, body = e.do(planner, "GET", "/api/v1/exports/orders.csv?product=P", nil)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if res.StatusCode != 200 || len(lines) != 3 || !strings.HasPrefix(lines[0], "number,product") || !strings.HasPrefix(lines[1], "A-1,P,Part,1,pcs,2026-04-01T00:00:00Z") {
		t.Errorf("csv: %d %q", res.StatusCode, body)
	}
}

// TestOrderPauseStopsRunningWork: pausing, completing or cancelling an order
// first closes the runs of its work orders, so counts stop attributing.
func TestOrderPauseStopsRunningWork(t *testing.T) {
	e := newEnv(t)
	n := e.draft("P")
	e.force(n, domain.StatusReleased)
	wo := domain.WorkOrderID(n, 10)
	if err := e.st.StartWorkOrder(context.Background(), wo, e.now); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Minute)
	super := e.as[domain.RoleSupervisor]
	if res, body := e.do(super, "POST", "/api/v1/orders/"+n+"/pause", nil); res.StatusCode != 200 {
		t.Fatalf("pause: %d %s", res.StatusCode, body)
	}
	rec := e.order(n)
	if rec.Status != domain.StatusPaused || rec.WorkOrders[0].Status != domain.StatusPaused {
		t.Fatalf("after pause: %s / %s", rec.Status, rec.WorkOrders[0].Status)
	}
	res, body := e.do(super, "POST", "/api/v1/orders/"+n+"/cancel", map[string]string{"reason": "customer withdrew"})
	if rec := e.order(n); res.StatusCode != 200 || rec.Status != domain.StatusCancelled || rec.WorkOrders[0].Status != domain.StatusCancelled {
		t.Fatalf("cancel: %d %s", res.StatusCode, body)
	}
	res, body = e.do(super, "GET", "/api/v1/audit?entity=order:"+n, nil)
	var entries []domain.AuditEntry
	if res.StatusCode != 200 || json.Unmarshal(body, &entries) != nil || len(entries) < 3 {
		t.Fatalf("audit: %d %s", res.StatusCode, body)
	}
	last := entries[0]
	var before, after domain.Order
	_ = json.Unmarshal(last.Before, &before)
	_ = json.Unmarshal(last.After, &after)
	if last.Action != "cancel" || last.Actor != "supervisor" || last.Role != domain.RoleSupervisor || last.Reason != "customer withdrew" ||
		before.Status != domain.StatusPaused || after.Status != domain.StatusCancelled || last.At.IsZero() {
		t.Errorf("cancel entry %+v (before %s after %s)", last, before.Status, after.Status)
	}
}
