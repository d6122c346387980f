package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/domain"
)

// TestExports: the CSV and XLSX exports of orders and work orders hold,
// for each filter, exactly what the order list (and each order's record)
// shows, with the documented header; they need a login.
func TestExports(t *testing.T) {
	e := newEnv(t)
	planner := e.as[domain.RolePlanner]
	for i, b := range []map[string]any{
		{"number": "A-1", "product": "P", "quantity": 100, "due": "2026-04-01T06:30:00Z", "customer_ref": "=HYPERLINK(\"x\")", "priority": 2},
		{"number": "A-2", "product": "P", "quantity": 20, "due": "2026-04-10"},
		{"number": "A-3", "product": "Q", "quantity": 30},
	} {
		if res, body := e.do(planner, "POST", "/api/v1/orders", b); res.StatusCode != 201 {
			t.Fatalf("create %d: %s", i, body)
		}
	}
	e.force("A-1", domain.StatusReleased)
	e.force("A-3", domain.StatusReleased)

	for _, path := range []string{"/api/v1/exports/orders.csv", "/api/v1/exports/orders.xlsx",
		"/api/v1/exports/work-orders.csv", "/api/v1/exports/work-orders.xlsx"} {
		res, body := e.do(nil, "GET", path, nil)
		e.problem(res, body, 401, "")
		res, body = e.do(planner, "GET", path+"?status=nope", nil)
		e.problem(res, body, 400, "status")
	}

	when := func(t *time.Time, xlsx bool) string {
		switch {
		case t == nil:
			return ""
		case xlsx:
			return t.UTC().Format("2006-01-02 15:04:05")
		}
		return t.UTC().Format(time.RFC3339)
	}
	text := func(s string, xlsx bool) string {
		if !xlsx && s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
			return "'" + s
		}
		return s
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	wantOrders := func(list []domain.Order, xlsx bool) [][]string {
		out := [][]string{{"number", "product", "product_name", "quantity", "unit", "due", "priority", "status",
			"good", "reject", "customer_ref", "order_type", "site"}}
		for _, o := range list {
			out = append(out, []string{o.Number, o.ProductCode, o.ProductName, n(o.Quantity), o.Unit, when(o.Due, xlsx),
				strconv.Itoa(o.Priority), string(o.Status), n(o.Good), n(o.Reject), text(o.CustomerRef, xlsx), o.OrderType, o.Site})
		}
		return out
	}
	wantWorkOrders := func(list []domain.Order, line string, xlsx bool) [][]string {
		out := [][]string{{"work_order", "order", "operation_seq", "line", "barcode", "product", "product_name",
			"quantity", "unit", "status", "order_status", "planned_start", "planned_end", "actual_start", "actual_end",
			"good", "reject", "due", "priority"}}
		for _, o := range list {
			for _, w := range e.order(o.Number).WorkOrders {
				if line != "" && w.LineID != line {
					continue
				}
				out = append(out, []string{w.ID, w.OrderNumber, strconv.Itoa(w.OperationSeq), w.LineID, w.Barcode, o.ProductCode,
					o.ProductName, n(w.Quantity), o.Unit, string(w.Status), string(o.Status), when(w.PlannedStart, xlsx),
					when(w.PlannedEnd, xlsx), when(w.ActualStart, xlsx), when(w.ActualEnd, xlsx), n(w.Good), n(w.Reject),
					when(o.Due, xlsx), strconv.Itoa(o.Priority)})
			}
		}
		return out
	}

	tests := []struct {
		query, line string
		orders      string // what the list shows, to know the filter bites
		workOrders  int
	}{
		{"", "", "A-1,A-2,A-3", 2},
		{"product=P", "", "A-1,A-2", 1},
		{"line=L2", "L2", "A-3", 1},
		{"status=released&line=L1", "L1", "A-1", 1},
		{"due_from=2026-04-05", "", "A-2", 0},
		{"limit=1&offset=2", "", "A-3", 1},
	}
	for _, tt := range tests {
		res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/orders?"+tt.query, nil)
		var list []domain.Order
		if err := json.Unmarshal(body, &list); err != nil || res.StatusCode != 200 {
			t.Fatalf("list %q: %d %s", tt.query, res.StatusCode, body)
		}
		var numbers []string
		for _, o := range list {
			numbers = append(numbers, o.Number)
		}
		if strings.Join(numbers, ",") != tt.orders {
			t.Fatalf("list %q: %v, want %s", tt.query, numbers, tt.orders)
		}
		for _, ex := range []struct {
			path string
			want [][]string
		}{
			{"orders.csv", wantOrders(list, false)},
			{"orders.xlsx", wantOrders(list, true)},
			{"work-orders.csv", wantWorkOrders(list, tt.line, false)},
			{"work-orders.xlsx", wantWorkOrders(list, tt.line, true)},
		} {
			name := ex.path + "?" + tt.query
			res, body := e.do(planner, "GET", "/api/v1/exports/"+name, nil)
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d %s", name, res.StatusCode, body)
			}
			if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="`+ex.path+`"` {
				t.Errorf("%s: Content-Disposition %q", name, cd)
			}
			var got [][]string
			if strings.HasSuffix(ex.path, ".xlsx") {
				if ct := res.Header.Get("Content-Type"); ct != xlsxType {
					t.Errorf("%s: Content-Type %q", name, ct)
				}
				got = readXLSX(t, body, len(ex.want[0]))
			} else {
				if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
					t.Errorf("%s: Content-Type %q", name, ct)
				}
				var err error
				if got, err = csv.NewReader(bytes.NewReader(body)).ReadAll(); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			if !slices.EqualFunc(got, ex.want, slices.Equal) {
				t.Errorf("%s:\n got %q\nwant %q", name, got, ex.want)
			}
			if strings.HasPrefix(ex.path, "work-orders") && len(got)-1 != tt.workOrders {
				t.Errorf("%s: %d work orders, want %d", name, len(got)-1, tt.workOrders)
			}
		}
	}

	// In the XLSX, numbers and times are typed cells and free text that
	// looks like a formula is plain text.
	res, body := e.do(planner, "GET", "/api/v1/exports/orders.xlsx?q=A-1", nil)
	if res.StatusCode != 200 {
		t.Fatalf("orders.xlsx: %d %s", res.StatusCode, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A number cell has no type attribute (excelize reports it unset).
	for cell, want := range map[string]excelize.CellType{"D2": excelize.CellTypeUnset, "F2": excelize.CellTypeUnset, "K2": excelize.CellTypeInlineString} {
		if got, err := f.GetCellType("orders", cell); err != nil || got != want {
			t.Errorf("cell %s type %v (%v), want %v", cell, got, err, want)
		}
	}
	if formula, _ := f.GetCellFormula("orders", "K2"); formula != "" {
		t.Errorf("customer ref became a formula: %q", formula)
	}
	if raw, _ := f.GetCellValue("orders", "D2", excelize.Options{RawCellValue: true}); raw != "100" {
		t.Errorf("quantity cell %q", raw)
	}
	raw, _ := f.GetCellValue("orders", "F2", excelize.Options{RawCellValue: true})
	if serial, err := strconv.ParseFloat(raw, 64); err != nil || fmt.Sprintf("%.4f", serial) != "46113.2708" { // 2026-04-01 06:30
		t.Errorf("due as a spreadsheet date: %q", raw)
	}

	// A full page says where the next one is, as the list does.
	res, _ = e.do(planner, "GET", "/api/v1/exports/work-orders.xlsx?limit=2", nil)
	if res.Header.Get("X-Next-Cursor") == "" {
		t.Errorf("no X-Next-Cursor on a full page")
	}
}

// readXLSX reads the only sheet, padding rows to width (excelize drops
// trailing empty cells).
func readXLSX(t *testing.T, body []byte, width int) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 1 {
		t.Fatalf("sheets %v", sheets)
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		for len(rows[i]) < width {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}
