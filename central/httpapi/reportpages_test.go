package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/reports"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

// seedReportDay stores the README's scripted shift of 2026-03-02 on L1
// (seedScenario) with what a day report adds: PO-C (product A, 200, due
// 02:00 the next day) planned on L1 14:00–18:00 and never started, so it
// is planned and at risk; 3 parts of WO-B scrapped for "burr". Then the
// day's report is generated at 00:05 the next day (revision 1), a late
// count of 10 good parts at 13:00 arrives, and at 00:30 revision 2 is
// stored. Times are UTC, the plant day starts at 00:00.
func seedReportDay(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	seedScenario(t, st)
	at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	due, ps, pe := at(26, 0), at(14, 0), at(18, 0)
	must(st.CreateOrder(ctx, domain.Order{Number: "PO-C", ProductCode: "A", Quantity: 200, Due: &due, Status: domain.StatusReleased}))
	must(st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-C", OrderNumber: "PO-C", OperationSeq: 10, LineID: "L1",
		Barcode: "WO-C", Quantity: 200, PlannedStart: &ps, PlannedEnd: &pe, Status: domain.StatusReleased}))
	st.SetClock(func() time.Time { return at(13, 50) })
	_, err := st.RecordScrap(ctx, "WO-B", 3, "burr", domain.Actor{Name: "olga", Role: domain.RoleOperator})
	must(err)
	st.SetClock(time.Now)
	gen := reports.New(st, oee.DefaultConfig(), nil)
	if _, err := gen.Tick(ctx, at(24, 5)); err != nil {
		t.Fatal(err)
	}
	_, err = st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{{EdgeID: "e1", Seq: 10000, Line: "L1",
		Type: wire.TypeCount, SourceTime: at(13, 0), Count: &wire.Count{Counter: "parts", Good: 10}}}})
	must(err)
	got, err := gen.Tick(ctx, at(24, 30))
	must(err)
	revised := false
	for _, r := range got {
		revised = revised || r.Kind == reports.KindDay && r.Revision == 2
	}
	if !revised {
		t.Fatalf("the late count made no revision 2 of the day report: %+v", got)
	}
}

// ReportSite is a server on SQLite holding seedReportDay's reports, with
// a user per role (username the role, password "<role>-password"), for
// the browser tests; it returns the base URL.
func ReportSite(t *testing.T) string {
	e := newEnvOn(t, store.DriverSQLite)
	e.now = time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	seedReportDay(t, e.st)
	return e.srv.URL
}

// TestReportsPageRoles: the report page is for supervisors, managers,
// planners and admins; other roles are refused, anonymous is sent to sign in.
func TestReportsPageRoles(t *testing.T) {
	e := newEnvOn(t, store.DriverSQLite)
	for _, r := range domain.Roles() {
		res, body := e.do(e.as[r], "GET", "/reports?date=2026-03-02", nil)
		want := http.StatusForbidden
		switch r {
		case domain.RoleSupervisor, domain.RoleManager, domain.RolePlanner, domain.RoleAdmin:
			want = http.StatusOK
		}
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d", r, res.StatusCode, want)
		}
		if want == http.StatusOK && !strings.Contains(string(body), `id="pareto"`) && !strings.Contains(string(body), `"pareto"`) {
			t.Errorf("%s: not the report page", r)
		}
	}
	res, _ := e.do(nil, "GET", "/api/v1/reports/stored", nil)
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", res.StatusCode)
	}
}

// TestReportDaySeed: the seeded day's stored report, revision 2, holds the
// late parts and the at-risk order the page test reads.
func TestReportDaySeed(t *testing.T) {
	e := newEnvOn(t, store.DriverSQLite)
	seedReportDay(t, e.st)
	res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/reports/stored/day/2026-03-02", nil)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	t.Logf("%s", body)
}
