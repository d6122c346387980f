package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/live"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/costing"
	"github.com/linewise/linewise/central/store/inventory"
	"github.com/linewise/linewise/central/store/notifications"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/central/store/purchasing"
)

// env is a server on a real store (SQLite unless newEnvOn says otherwise) with lines L1 and L2, stations
// ST-L1 and ST-L2, product P routed over L1 (seq 10) and product Q over L2,
// and one user per role (username = role, password "<role>-password",
// the operator with badge B-1001). as[role] is a client signed in as it.
type env struct {
	t   *testing.T
	st  *store.Store
	srv *httptest.Server
	api *Server
	as  map[domain.Role]*http.Client
	now time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if onAnotherReplica {
		return newReplicaEnv(t) // replicas_test.go
	}
	return newEnvOn(t, store.DriverSQLite)
}

// newEnvOn is newEnv on a store of the given driver: SQLite in a temporary
// directory, or a private PostgreSQL schema (pgtest: skipped without a
// server, failed with CI=true).
func newEnvOn(t *testing.T, driver string) *env {
	t.Helper()
	dsn := store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db"))
	if driver == store.DriverPostgres {
		dsn = pgtest.Schema(t)
	}
	return newEnvDSN(t, driver, dsn)
}

// newEnvDSN is newEnvOn on the database dsn.
func newEnvDSN(t *testing.T, driver, dsn string) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sys := domain.Actor{Name: "test", Role: domain.RoleAdmin}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}))
	must(st.CreateLine(ctx, domain.Line{ID: "L2", Name: "Line 2"}))
	must(st.CreateProduct(ctx, domain.Product{Code: "P", Name: "Part", Unit: "pcs", IdealCycle: time.Second}))
	must(st.CreateProduct(ctx, domain.Product{Code: "Q", Name: "Other part", Unit: "kg", IdealCycle: time.Second}))
	must(st.SetRouting(ctx, "P", []domain.RoutingOp{{Seq: 10, Name: "press", LineID: "L1", IdealCycle: time.Second}}))
	must(st.SetRouting(ctx, "Q", []domain.RoutingOp{{Seq: 10, Name: "assemble", LineID: "L2", IdealCycle: time.Second}}))
	must(st.CreateStation(ctx, domain.Station{ID: "ST-L1", LineID: "L1"}))
	must(st.CreateStation(ctx, domain.Station{ID: "ST-L2", LineID: "L2"}))
	for _, r := range domain.Roles() {
		h, err := domain.HashPassword(string(r)+"-password", 4)
		must(err)
		u := domain.User{Username: string(r), DisplayName: "The " + string(r), Role: r, PasswordHash: h}
		if r == domain.RoleOperator {
			u.Badge = "B-1001"
		}
		must(st.CreateUser(ctx, u, sys))
	}
	e := &env{t: t, st: st, as: map[domain.Role]*http.Client{}, now: time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)}
	e.api, e.srv = e.serve(st)
	for _, r := range domain.Roles() {
		c := e.client()
		res, body := e.do(c, "POST", "/api/v1/login", map[string]string{"username": string(r), "password": string(r) + "-password"})
		if res.StatusCode != 200 {
			t.Fatalf("login %s: %d %s", r, res.StatusCode, body)
		}
		e.as[r] = c
	}
	return e
}

// serve is an API server on st, on e's clock.
func (e *env) serve(st *store.Store) (*Server, *httptest.Server) {
	inv := inventory.New(st.Handle())
	api := New(Options{Store: st, Hub: live.New(8), Log: slog.New(slog.DiscardHandler), PasswordCost: 4, Inventory: inv,
		Purchasing:    purchasing.New(st.Handle(), inv, domain.DefaultPurchasingRules()),
		Notifications: notifications.New(st.Handle()), Cost: costing.New(st.Handle(), "CNY"), Now: func() time.Time { return e.now }})
	srv := httptest.NewServer(api.Handler())
	e.t.Cleanup(func() { api.CloseStreams(); srv.Close() })
	return api, srv
}

func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// do sends body as JSON (nil: no body) and returns the response and its body.
func (e *env) do(c *http.Client, method, path string, body any, header ...string) (*http.Response, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if isWrite(method) {
		// What the browser a session belongs to sends with every write;
		// the CSRF tests override it.
		req.Header.Set("Origin", e.srv.URL)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, out
}

// problem decodes a problem response and checks its content type.
func (e *env) problem(res *http.Response, body []byte, status int, field string) Problem {
	e.t.Helper()
	var p Problem
	if res.StatusCode != status {
		e.t.Fatalf("status %d, want %d: %s", res.StatusCode, status, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		e.t.Fatalf("content type %q for %d: %s", ct, status, body)
	}
	if err := json.Unmarshal(body, &p); err != nil {
		e.t.Fatal(err)
	}
	if p.Field != field {
		e.t.Fatalf("problem field %q, want %q: %s", p.Field, field, body)
	}
	return p
}

// draft creates a draft order of product as the planner.
func (e *env) draft(product string) string {
	e.t.Helper()
	res, body := e.do(e.as[domain.RolePlanner], "POST", "/api/v1/orders", map[string]any{"product": product, "quantity": 10})
	if res.StatusCode != 201 {
		e.t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	var o domain.Order
	if err := json.Unmarshal(body, &o); err != nil {
		e.t.Fatal(err)
	}
	return o.Number
}

// force puts an order into status directly in the store (with all sign-offs
// of the current round, and work orders cut when it is past scheduled), so
// a test can start from any state.
func (e *env) force(number string, status domain.OrderStatus) {
	e.t.Helper()
	_, err := e.st.ChangeOrder(context.Background(), number, domain.Actor{Name: "test"}, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
		rec.ReviewRound = 1
		if len(rec.Signoffs) == 0 {
			for _, k := range domain.SignoffKinds() {
				rec.Signoffs = append(rec.Signoffs, domain.Signoff{Kind: k, Round: 1, By: "test", Role: domain.RoleAdmin, At: e.now})
			}
		}
		switch status {
		case domain.StatusReleased, domain.StatusInProgress, domain.StatusPaused, domain.StatusCompleted, domain.StatusClosed:
			if len(rec.WorkOrders) == 0 {
				wos, err := domain.CutWorkOrders(rec.Order, rec.Routing)
				if err != nil {
					return domain.OrderChange{}, err
				}
				rec.WorkOrders = wos
			}
			for i := range rec.WorkOrders {
				if status == domain.StatusCompleted || status == domain.StatusClosed {
					rec.WorkOrders[i].Status = status
				}
			}
		}
		rec.Status = status
		return domain.OrderChange{Action: "test-force"}, nil
	})
	if err != nil {
		e.t.Fatalf("force %s to %s: %v", number, status, err)
	}
}

func (e *env) order(number string) domain.OrderRecord {
	e.t.Helper()
	rec, err := e.st.GetOrderRecord(context.Background(), number)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec
}
