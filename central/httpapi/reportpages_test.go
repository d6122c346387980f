package httpapi

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

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

// TestDailyXLSXFromStoredReport, on SQLite and PostgreSQL: the workbook of
// a stored day is its latest revision (?revision=1 the first), with the
// production part (planned vs actual per line and product, plant totals,
// scrap by reason, the order at risk), the Pareto with its chart, and the
// chart sheet; in Chinese the sheets and headers are Chinese; an unknown
// revision is a 404 and a bad one a 400 naming it.
func TestDailyXLSXFromStoredReport(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		seedReportDay(t, e.st)
		open := func(path string) (*excelize.File, string) {
			t.Helper()
			res, body := e.do(e.as[domain.RoleManager], "GET", path, nil)
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d %s", path, res.StatusCode, body)
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
			if err != nil {
				t.Fatal(err)
			}
			charts := 0
			for _, zf := range zr.File {
				if strings.HasPrefix(zf.Name, "xl/charts/chart") {
					charts++
				}
			}
			if charts != 2 {
				t.Errorf("%s: %d charts, want the OEE chart sheet and the Pareto", path, charts)
			}
			return f, res.Header.Get("Content-Disposition")
		}
		cells := func(f *excelize.File, sheet string, refs ...string) string {
			t.Helper()
			var out []string
			for _, ref := range refs {
				v, err := f.GetCellValue(sheet, ref)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, v)
			}
			return strings.Join(out, "|")
		}
		f, disp := open("/api/v1/reports/daily.xlsx?date=2026-03-02")
		if disp != `attachment; filename="daily-2026-03-02-r2.xlsx"` {
			t.Errorf("Content-Disposition %q", disp)
		}
		if got := strings.Join(f.GetSheetList(), ","); got != "Daily report,Production,Downtime,Pareto,Chart" {
			t.Errorf("sheets %s", got)
		}
		if got := cells(f, "Daily report", "A1", "A2"); got != "Daily production report 2026-03-02 (plant day from 00:00)|Revision 2, generated 2026-03-03 00:30" {
			t.Errorf("title rows %q", got)
		}
		if got := cells(f, "Daily report", "A6", "F6", "G6", "K6"); got != "Plant|780|19|76.9%" {
			t.Errorf("plant OEE row %q", got)
		}
		for ref, want := range map[string]string{
			"A1:G1": "Line|Product|Planned (pcs)|Good (pcs)|Scrap (pcs)|Attainment|Scrap rate",
			"A2:G2": "L1|A|200|330|10|165.0%|2.9%",
			"A3:G3": "L1|B|0|450|9||2.0%",
			"A4:G4": "Plant||200|780|19|390.0%|2.4%",
			"A6:A6": "Scrap by reason",
			"A8:C8": "L1|burr|3",
			"A9:C9": "Plant||3",
		} {
			from, to, _ := strings.Cut(ref, ":")
			var refs []string
			for c := from[0]; c <= to[0]; c++ {
				refs = append(refs, string(c)+from[1:])
			}
			if got := cells(f, "Production", refs...); got != want {
				t.Errorf("Production!%s = %q, want %q", ref, got, want)
			}
		}
		rows, err := f.GetRows("Production")
		if err != nil {
			t.Fatal(err)
		}
		var atRisk []string
		for i, r := range rows {
			if len(r) > 0 && r[0] == "Orders at risk" && i+2 < len(rows) {
				atRisk = rows[i+2]
			}
		}
		if strings.Join(atRisk, "|") != "PO-C|A||200|0|200|2026-03-03 02:00|on time" {
			t.Errorf("order at risk row %q", atRisk)
		}
		if got := cells(f, "Pareto", "A2", "C2", "F2"); got != "changeover|25.00|43.1%" {
			t.Errorf("Pareto first row %q", got)
		}

		f, disp = open("/api/v1/reports/daily.xlsx?date=2026-03-02&revision=1")
		if disp != `attachment; filename="daily-2026-03-02.xlsx"` || cells(f, "Daily report", "A2", "F6") != "Revision 1, generated 2026-03-03 00:05|770" {
			t.Errorf("revision 1: %q %q", disp, cells(f, "Daily report", "A2", "F6"))
		}
		f, _ = open("/api/v1/reports/daily.xlsx?date=2026-03-02&lang=zh-CN")
		if got := strings.Join(f.GetSheetList(), ","); got != "日报,产量,停机,帕累托,图表" {
			t.Errorf("Chinese sheets %s", got)
		}
		if got := cells(f, "产量", "A1", "C1", "A4"); got != "产线|计划（件）|全厂" {
			t.Errorf("Chinese production header %q", got)
		}
		// A shift's stored report as its own workbook.
		res, body := e.do(e.as[domain.RoleManager], "GET", "/api/v1/reports/daily.xlsx?date=2026-03-02&shift=early", nil)
		if res.StatusCode != 200 || res.Header.Get("Content-Disposition") != `attachment; filename="shift-2026-03-02-early-r2.xlsx"` {
			t.Fatalf("shift xlsx: %d %q %s", res.StatusCode, res.Header.Get("Content-Disposition"), body)
		}
		sf, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer sf.Close()
		if got := cells(sf, "Shift report", "A1", "A2", "A4", "B4", "F4", "K4", "A5", "K5"); got != "Shift report 2026-03-02, shift early|Revision 2, generated 2026-03-03 00:30|L1|early|780|76.9%|Plant|76.9%" {
			t.Errorf("shift workbook %q", got)
		}
		res, body = e.do(e.as[domain.RoleManager], "GET", "/api/v1/reports/daily.xlsx?date=2026-03-02&shift=late", nil)
		e.problem(res, body, 404, "")
		res, body = e.do(e.as[domain.RoleManager], "GET", "/api/v1/reports/daily.xlsx?date=2026-03-02&revision=9", nil)
		e.problem(res, body, 404, "")
		res, body = e.do(e.as[domain.RoleManager], "GET", "/api/v1/reports/daily.xlsx?date=2026-03-02&revision=x", nil)
		e.problem(res, body, 400, "revision")
	})
}
