package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// raiseSystem opens an exception as central's rules would.
func (e *env) raiseSystem(kind domain.ExceptionKind, line string, at time.Time) domain.Exception {
	e.t.Helper()
	x, _, err := e.st.RaiseException(context.Background(), domain.Exception{Line: line, Kind: kind, OpenedAt: at, Detail: string(kind)},
		at.String(), domain.Actor{Name: domain.SystemActor})
	if err != nil {
		e.t.Fatal(err)
	}
	return x
}

// TestExceptionRoutesWalkRoleMatrix calls every exception route as nobody
// and as every role: the list is open; a write without a login is 401, with
// a role the route does not list 403 (field role), with one it lists
// anything but 401 or 403.
func TestExceptionRoutesWalkRoleMatrix(t *testing.T) {
	e := newEnv(t)
	n := 0
	for _, r := range e.api.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/exceptions") {
			continue
		}
		n++
		if r.Method == http.MethodGet {
			// The list is the dashboard's and the station's; one exception
			// (its ETag, for If-Match) is for signed-in people.
			wall := r.Path == "/api/v1/exceptions"
			if r.Access != Authenticated || r.Kiosk != wall || r.Station != wall {
				t.Errorf("GET %s: access %v kiosk %v station %v; want signed-in (the list also kiosk and station)", r.Path, r.Access, r.Kiosk, r.Station)
			}
			continue
		}
		call := func(c *http.Client) (*http.Response, []byte) {
			// A fresh exception each time, so that every allowed call can succeed.
			n++
			x, _, err := e.st.RaiseException(context.Background(), domain.Exception{Line: "L2", WorkOrder: fmt.Sprintf("W%d", n),
				Kind: domain.ExceptionQualityFailure, OpenedAt: e.now, Detail: "bore"}, "", domain.Actor{Name: domain.SystemActor})
			if err != nil {
				t.Fatal(err)
			}
			path := strings.Replace(r.Path, ":id", x.ID, 1)
			var body any = map[string]any{"line": "L1", "detail": "no blanks in rack 3"}
			if path != r.Path {
				body = map[string]any{"note": "checked"}
			}
			return e.do(c, r.Method, path, body)
		}
		res, body := call(nil)
		e.problem(res, body, 401, "")
		for _, role := range domain.Roles() {
			res, body := call(e.as[role])
			allowed := slices.Contains(r.Roles, role)
			switch {
			case !allowed:
				if res.StatusCode != 403 || !strings.Contains(string(body), `"field":"role"`) {
					t.Errorf("%s %s as %s: %d %s; want 403 role", r.Method, r.Path, role, res.StatusCode, body)
				}
			case res.StatusCode >= 300:
				t.Errorf("%s %s as %s: %d %s; the route admits %s", r.Method, r.Path, role, res.StatusCode, body, role)
			}
		}
	}
	if n < 4 {
		t.Errorf("only %d exception routes", n)
	}
	// Who may: raise operator, supervisor, admin; acknowledge supervisor,
	// admin; resolve supervisor, quality, admin.
	want := map[string][]domain.Role{
		"POST /api/v1/exceptions":                 {domain.RoleOperator, domain.RoleSupervisor, domain.RoleAdmin},
		"POST /api/v1/exceptions/:id/acknowledge": {domain.RoleSupervisor, domain.RoleAdmin},
		"POST /api/v1/exceptions/:id/resolve":     {domain.RoleSupervisor, domain.RoleQuality, domain.RoleAdmin},
	}
	for _, r := range e.api.Routes() {
		if w, ok := want[r.Method+" "+r.Path]; ok && !slices.Equal(r.Roles, w) {
			t.Errorf("%s %s roles %v, want %v", r.Method, r.Path, r.Roles, w)
		}
	}
}

func TestExceptionsAPI(t *testing.T) {
	e := newEnv(t)
	op, super := e.as[domain.RoleOperator], e.as[domain.RoleSupervisor]

	// Raising: bad requests name their field.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"detail": "x"}, "line"},
		{map[string]any{"line": "L9", "detail": "x"}, "line"},
		{map[string]any{"station": "ST-9", "detail": "x"}, "station"},
		{map[string]any{"station": "ST-L1", "line": "L2", "detail": "x"}, "line"},
		{map[string]any{"line": "L1"}, "detail"},
		{map[string]any{"line": "L1", "detail": strings.Repeat("x", 501)}, "detail"},
		{map[string]any{"line": "L1", "detail": "x", "kind": "machine_down"}, "kind"},
		{map[string]any{"line": "L1", "detail": "x", "work_order": "WO-9"}, "work_order"},
		{map[string]any{"line": "L1", "detail": "x", "shelf": 3}, "shelf"},
	} {
		res, body := e.do(op, "POST", "/api/v1/exceptions", c.body)
		e.problem(res, body, 400, c.field)
	}
	res, body := e.do(op, "POST", "/api/v1/exceptions", map[string]any{"station": "ST-L1", "detail": "blanks for BRK-100 run out"})
	if res.StatusCode != 201 {
		t.Fatalf("raise: %d %s", res.StatusCode, body)
	}
	var x domain.Exception
	if err := json.Unmarshal(body, &x); err != nil {
		t.Fatal(err)
	}
	if x.Kind != domain.ExceptionMaterialShort || x.Line != "L1" || x.RaisedBy != "operator" || x.Status != domain.ExceptionOpen || x.Severity != domain.SeverityCritical {
		t.Errorf("raised: %+v", x)
	}
	// Again while it is open: the same one, not a second.
	res, body = e.do(super, "POST", "/api/v1/exceptions", map[string]any{"line": "L1", "detail": "still nothing"})
	var again domain.Exception
	if res.StatusCode != 200 || json.Unmarshal(body, &again) != nil || again.ID != x.ID {
		t.Errorf("raise again: %d %s", res.StatusCode, body)
	}

	// Listing with filters; bad filters name their field.
	e.raiseSystem(domain.ExceptionMachineDown, "L2", e.now)
	list := func(q string) []domain.Exception {
		t.Helper()
		res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/exceptions"+q, nil)
		var xs []domain.Exception
		if res.StatusCode != 200 || json.Unmarshal(body, &xs) != nil {
			t.Fatalf("list %s: %d %s", q, res.StatusCode, body)
		}
		return xs
	}
	if xs := list(""); len(xs) != 2 {
		t.Errorf("all: %d", len(xs))
	}
	if xs := list("?line=L1&status=open&kind=material_short,quality_failure"); len(xs) != 1 || xs[0].ID != x.ID {
		t.Errorf("filtered: %+v", xs)
	}
	if xs := list("?kind=machine_down"); len(xs) != 1 || xs[0].Line != "L2" {
		t.Errorf("machine_down: %+v", xs)
	}
	for q, field := range map[string]string{"?status=closed": "status", "?kind=fire": "kind", "?limit=0": "limit", "?offset=-1": "offset", "?cursor=%25": "cursor"} {
		res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/exceptions"+q, nil)
		e.problem(res, body, 400, field)
	}
	res, _ = e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/exceptions?limit=1", nil)
	cur := res.Header.Get("X-Next-Cursor")
	if cur == "" {
		t.Fatal("a full page has no X-Next-Cursor")
	}
	if xs := list("?limit=1&cursor=" + cur); len(xs) != 1 || xs[0].ID != x.ID {
		t.Errorf("second page: %+v", xs)
	}

	// Acknowledge, resolve, and the conflicts after.
	// Each supervisor acts on the version they saw (If-Match): the one who
	// read the exception before it was acknowledged cannot resolve it blind.
	res, body = e.do(super, "GET", "/api/v1/exceptions/"+x.ID, nil)
	seen := res.Header.Get("ETag")
	if res.StatusCode != 200 || seen == "" || !strings.Contains(string(body), `"id":"`+x.ID+`"`) {
		t.Fatalf("get exception: %d ETag %q %s", res.StatusCode, seen, body)
	}
	res, body = e.do(super, "POST", "/api/v1/exceptions/"+x.ID+"/acknowledge", map[string]any{"note": "calling stores"}, "If-Match", seen)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"acknowledged_by":"supervisor"`) {
		t.Fatalf("acknowledge: %d %s", res.StatusCode, body)
	}
	acked := res.Header.Get("ETag")
	if acked == "" || acked == seen {
		t.Fatalf("acknowledge answered ETag %q (was %q)", acked, seen)
	}
	res, body = e.do(super, "POST", "/api/v1/exceptions/"+x.ID+"/resolve", map[string]any{"note": "blind"}, "If-Match", seen)
	e.problem(res, body, 412, "If-Match")
	res, body = e.do(super, "POST", "/api/v1/exceptions/"+x.ID+"/acknowledge", nil)
	e.problem(res, body, 409, "status")
	res, body = e.do(super, "POST", "/api/v1/exceptions/nope/resolve", nil)
	e.problem(res, body, 404, "id")
	res, body = e.do(super, "POST", "/api/v1/exceptions/"+x.ID+"/resolve", map[string]any{"note": "blanks delivered"})
	if res.StatusCode != 200 || !strings.Contains(string(body), `"status":"resolved"`) || !strings.Contains(string(body), `"resolution":"blanks delivered"`) {
		t.Fatalf("resolve: %d %s", res.StatusCode, body)
	}
	res, body = e.do(super, "POST", "/api/v1/exceptions/"+x.ID+"/resolve", nil)
	e.problem(res, body, 409, "status")

	// The audit trail has every change with who made it.
	res, body = e.do(super, "GET", "/api/v1/audit?entity=exception&entity_id="+x.ID, nil)
	var audit []domain.AuditEntry
	if res.StatusCode != 200 || json.Unmarshal(body, &audit) != nil || len(audit) != 3 {
		t.Fatalf("audit: %d %s", res.StatusCode, body)
	}
	for i, w := range []string{"resolve:supervisor", "acknowledge:supervisor", "raise:operator"} {
		if got := audit[i].Action + ":" + audit[i].Actor; got != w {
			t.Errorf("audit[%d] = %s, want %s", i, got, w)
		}
	}
}

// TestBadgeRaisesOnlyForItsLine: an operator signed in by badge at ST-L1
// may raise for L1 (the station page does) and not for L2.
func TestBadgeRaisesOnlyForItsLine(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	if res, body := e.do(c, "POST", "/api/v1/stations/ST-L1/scan", map[string]any{"code": "B-1001"}); res.StatusCode != 200 {
		t.Fatalf("badge: %d %s", res.StatusCode, body)
	}
	res, body := e.do(c, "POST", "/api/v1/exceptions", map[string]any{"line": "L2", "detail": "x"})
	e.problem(res, body, 403, "line")
	if res, body := e.do(c, "POST", "/api/v1/exceptions", map[string]any{"station": "ST-L1", "detail": "x"}); res.StatusCode != 201 {
		t.Fatalf("raise at the badge's station: %d %s", res.StatusCode, body)
	}
	// A badge acknowledges nothing.
	x := e.raiseSystem(domain.ExceptionMachineDown, "L1", e.now)
	res, body = e.do(c, "POST", "/api/v1/exceptions/"+x.ID+"/acknowledge", nil)
	e.problem(res, body, 403, "role")
}

// TestStreamCarriesExceptions: a stream opens with the exceptions not yet
// resolved, and a change is pushed without asking.
func TestStreamCarriesExceptions(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.api.RunPush(ctx)
	x := e.raiseSystem(domain.ExceptionMachineDown, "L1", e.now)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/stream", nil)
	res, err := e.as[domain.RoleSupervisor].Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	next := func(event string) string {
		t.Helper()
		ev := ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				ev = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok && ev == event {
				return v
			}
		}
		t.Fatalf("stream ended before %s: %v", event, sc.Err())
		return ""
	}
	if data := next("exceptions"); !strings.Contains(data, x.ID) {
		t.Fatalf("first exceptions message: %s", data)
	}
	if res, body := e.do(e.as[domain.RoleSupervisor], "POST", "/api/v1/exceptions/"+x.ID+"/acknowledge", nil); res.StatusCode != 200 {
		t.Fatalf("acknowledge: %d %s", res.StatusCode, body)
	}
	if data := next("exceptions"); !strings.Contains(data, `"status":"acknowledged"`) {
		t.Fatalf("pushed after acknowledging: %s", data)
	}
}
