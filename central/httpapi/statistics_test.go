package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/reports"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

// seedStatistics stores, entered 2026-03-01 08:00 (UTC, days from 00:00):
// S-1 (P, 100, ACME, due 03-02 12:00) completed 03-02 10:00, on time, 26 h
// after entry; S-2 (P, 50, ACME, due 03-02 12:00) completed 14:00, late,
// 30 h; S-3 (Q, 80, no customer, due 03-02 05:00) released and overdue at
// 06:00; S-4 (Q, 10) entered 02-20, outside. Output on 03-02: L1 100 good
// and 5 rejects of P (S-1's work order), L2 30 good on no work order.
func seedStatistics(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	due1, due3 := at(2, 12), at(2, 5)
	st.SetClock(func() time.Time { return at(1, 8) })
	for _, o := range []domain.Order{
		{Number: "S-1", ProductCode: "P", Quantity: 100, Due: &due1, Status: domain.StatusReleased},
		{Number: "S-2", ProductCode: "P", Quantity: 50, Due: &due1, Status: domain.StatusReleased},
		{Number: "S-3", ProductCode: "Q", Quantity: 80, Due: &due3, Status: domain.StatusReleased},
	} {
		must(st.CreateOrder(ctx, o))
		line := "L1"
		if o.ProductCode == "Q" {
			line = "L2"
		}
		must(st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "W" + o.Number, OrderNumber: o.Number, OperationSeq: 10, LineID: line,
			Barcode: "W" + o.Number, Quantity: o.Quantity, Status: domain.StatusReleased}))
	}
	st.SetClock(func() time.Time { return time.Date(2026, 2, 20, 8, 0, 0, 0, time.UTC) })
	must(st.CreateOrder(ctx, domain.Order{Number: "S-4", ProductCode: "Q", Quantity: 10, Status: domain.StatusReleased}))
	st.SetClock(time.Now)
	must(st.StartWorkOrder(ctx, "WS-1", at(2, 8)))
	_, err := st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{
		{EdgeID: "e1", Seq: 1, Line: "L1", Type: wire.TypeCount, SourceTime: at(2, 9), Count: &wire.Count{Counter: "parts", Good: 100, Reject: 5}},
		{EdgeID: "e1", Seq: 2, Line: "L2", Type: wire.TypeCount, SourceTime: at(2, 9), Count: &wire.Count{Counter: "parts", Good: 30}}}})
	must(err)
	must(st.StopWorkOrder(ctx, "WS-1", at(2, 10)))
	q := st.Handle().Read()
	for _, c := range []struct {
		order string
		end   time.Time
	}{{"S-1", at(2, 10)}, {"S-2", at(2, 14)}} {
		_, err := q.Exec(ctx, `UPDATE orders SET status = 'completed', customer_ref = 'ACME' WHERE number = ?`, c.order)
		must(err)
		_, err = q.Exec(ctx, `UPDATE work_orders SET status = 'completed', actual_end = ? WHERE order_number = ?`, c.end.UnixNano(), c.order)
		must(err)
	}
}

// TestStatisticsRoutes, on SQLite and PostgreSQL: order statistics by
// product, customer and status over the entry dates 03-01..03-02 (and by
// completion date), with on-time delivery, lead time and overdue orders as
// worked out in seedStatistics; output per day, line and product from the
// rollups; both as XLSX; bad parameters named.
func TestStatisticsRoutes(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		seedStatistics(t, e.st)
		get := func(path string, v any) {
			t.Helper()
			res, body := e.do(e.as[domain.RoleSales], "GET", path, nil)
			if res.StatusCode != 200 || json.Unmarshal(body, v) != nil {
				t.Fatalf("%s: %d %s", path, res.StatusCode, body)
			}
		}
		var byProduct reports.OrderStatistics
		get("/api/v1/statistics/orders?from=2026-03-01&to=2026-03-02", &byProduct)
		if len(byProduct.Groups) != 2 || byProduct.Basis != "created" || byProduct.By != "product" {
			t.Fatalf("by product: %+v", byProduct)
		}
		p, q, tot := byProduct.Groups[0], byProduct.Groups[1], byProduct.Total
		if p.Key != "P" || p.Orders != 2 || p.Quantity != 150 || p.Good != 100 || p.Completed != 2 || p.OnTime != 1 || p.Late != 1 ||
			!approx(p.OnTimeRate, 0.5) || !approx(p.LeadTimeH, 28) || p.Overdue != 0 {
			t.Errorf("P: %+v", p)
		}
		if q.Key != "Q" || q.Orders != 1 || q.Overdue != 1 || q.OnTimeRate != nil || q.LeadTimeH != nil {
			t.Errorf("Q: %+v", q)
		}
		if tot.Orders != 3 || tot.Completed != 2 || tot.Overdue != 1 || !approx(tot.OnTimeRate, 0.5) || !approx(tot.LeadTimeH, 28) || len(byProduct.Orders) != 3 {
			t.Errorf("total: %+v", tot)
		}
		var byCustomer, byStatus, completed reports.OrderStatistics
		get("/api/v1/statistics/orders?from=2026-03-01&to=2026-03-02&by=customer", &byCustomer)
		if len(byCustomer.Groups) != 2 || byCustomer.Groups[0].Key != "" || byCustomer.Groups[1].Key != "ACME" || byCustomer.Groups[1].Orders != 2 {
			t.Errorf("by customer: %+v", byCustomer.Groups)
		}
		get("/api/v1/statistics/orders?from=2026-03-01&to=2026-03-02&by=status", &byStatus)
		if len(byStatus.Groups) != 2 || byStatus.Groups[0].Key != "completed" || byStatus.Groups[0].Orders != 2 || byStatus.Groups[1].Key != "released" {
			t.Errorf("by status: %+v", byStatus.Groups)
		}
		get("/api/v1/statistics/orders?from=2026-03-02&to=2026-03-02&basis=completed", &completed)
		if completed.Total.Orders != 2 || completed.Total.OnTime != 1 {
			t.Errorf("completed on 03-02: %+v", completed.Total)
		}
		var out reports.OutputStatistics
		get("/api/v1/statistics/output?from=2026-03-01&to=2026-03-02", &out)
		if len(out.ByDay) != 2 || out.ByDay[0].Key != "2026-03-01" || out.ByDay[0].Produced != 0 || out.ByDay[1].Good != 130 || out.ByDay[1].Reject != 5 {
			t.Errorf("by day: %+v", out.ByDay)
		}
		if len(out.ByLine) != 2 || out.ByLine[0].Key != "L1" || out.ByLine[0].Good != 100 || out.ByLine[1].Good != 30 {
			t.Errorf("by line: %+v", out.ByLine)
		}
		if len(out.ByProduct) != 2 || out.ByProduct[0].Key != "" || out.ByProduct[0].Good != 30 || out.ByProduct[1].Key != "P" || !approx(out.ByProduct[1].ScrapRate, 5.0/105) {
			t.Errorf("by product: %+v", out.ByProduct)
		}
		if len(out.Rows) != 2 || out.Total.Produced != 135 {
			t.Errorf("rows %+v total %+v", out.Rows, out.Total)
		}

		xlsx := func(path string) *excelize.File {
			t.Helper()
			res, body := e.do(e.as[domain.RoleManager], "GET", path, nil)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("%s: %d", path, res.StatusCode)
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}
		row := func(f *excelize.File, sheet string, n int) string {
			t.Helper()
			rows, err := f.GetRows(sheet)
			if err != nil || len(rows) < n {
				t.Fatalf("%s: %d rows, %v", sheet, len(rows), err)
			}
			return strings.Join(rows[n-1], "|")
		}
		f := xlsx("/api/v1/statistics/orders.xlsx?from=2026-03-01&to=2026-03-02")
		if got := strings.Join(f.GetSheetList(), ","); got != "Order statistics,Orders" {
			t.Errorf("sheets %s", got)
		}
		for n, want := range map[int]string{
			3: "Product|Orders|Quantity (pcs)|Good (pcs)|Completed|On time|Late|Overdue (open)|On-time delivery|Mean lead time (h)",
			4: "P|2|150|100|2|1|1|0|50.0%|28.00",
			6: "Plant|3|230|100|2|1|1|1|50.0%|28.00",
		} {
			if got := row(f, "Order statistics", n); got != want {
				t.Errorf("Order statistics row %d = %q, want %q", n, got, want)
			}
		}
		if got := row(f, "Orders", 2); got != "S-1|P|ACME|completed|100|100|2026-03-01 08:00|2026-03-02 12:00|2026-03-02 10:00" {
			t.Errorf("first order %q", got)
		}
		f = xlsx("/api/v1/statistics/output.xlsx?from=2026-03-01&to=2026-03-02&lang=zh-CN")
		if got := strings.Join(f.GetSheetList(), ","); got != "产量,按日、产线和产品" {
			t.Errorf("Chinese sheets %s", got)
		}
		for n, want := range map[int]string{3: "工厂日|良品（件）|报废（件）|产出（件）|报废率", 5: "2026-03-02|130|5|135|3.7%", 6: "全厂|130|5|135|3.7%"} {
			if got := row(f, "产量", n); got != want {
				t.Errorf("产量 row %d = %q, want %q", n, got, want)
			}
		}

		for _, c := range []struct{ q, field string }{
			{"from=1.3.2026", "from"}, {"from=2026-03-02&to=2026-03-01", "to"}, {"from=2025-01-01&to=2026-03-02", "to"},
			{"basis=shipped", "basis"}, {"by=colour", "by"},
		} {
			res, body := e.do(e.as[domain.RoleSales], "GET", "/api/v1/statistics/orders?"+c.q, nil)
			e.problem(res, body, 400, c.field)
		}
		res, body := e.do(e.as[domain.RoleSales], "GET", "/api/v1/statistics/output?to=03-02", nil)
		e.problem(res, body, 400, "to")
	})
}

// TestStatisticsPageRoles: the page is for supervisors, managers,
// planners, sales and admins.
func TestStatisticsPageRoles(t *testing.T) {
	e := newEnvOn(t, store.DriverSQLite)
	for _, r := range domain.Roles() {
		res, _ := e.do(e.as[r], "GET", "/statistics", nil)
		want := http.StatusForbidden
		switch r {
		case domain.RoleSupervisor, domain.RoleManager, domain.RolePlanner, domain.RoleSales, domain.RoleAdmin:
			want = http.StatusOK
		}
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d", r, res.StatusCode, want)
		}
	}
}

// StatisticsSite is a server on SQLite holding seedStatistics' orders and
// output, for the browser test; it returns the base URL.
func StatisticsSite(t *testing.T) string {
	e := newEnvOn(t, store.DriverSQLite)
	seedStatistics(t, e.st)
	return e.srv.URL
}
