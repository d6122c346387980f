package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// onBothStores runs f on SQLite and on PostgreSQL (pgtest: skipped
// without a server, failed with CI=true).
func onBothStores(t *testing.T, f func(t *testing.T, e *env)) {
	if onAnotherReplica { // replicas_test.go
		t.Run("replica", func(t *testing.T) { f(t, newReplicaEnv(t)) })
		return
	}
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) { f(t, newEnvOn(t, driver)) })
	}
}

// send posts body as is (a nil client is anonymous); contentLength -1
// sends it chunked, without a Content-Length.
func (e *env) send(c *http.Client, method, path, contentType string, body io.Reader, contentLength int64) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.ContentLength = contentLength
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", e.srv.URL) // as the browser a session belongs to sends it
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, out
}

// on is e reporting to t, for a subtest.
func (e *env) on(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

func (e *env) orderCount() int {
	e.t.Helper()
	res, body := e.do(e.as[domain.RolePlanner], "GET", "/api/v1/orders", nil)
	var list []domain.Order
	if res.StatusCode != 200 || json.Unmarshal(body, &list) != nil {
		e.t.Fatalf("orders: %d %s", res.StatusCode, body)
	}
	return len(list)
}

func wantDetail(t *testing.T, p Problem, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if !strings.Contains(p.Detail, s) {
			t.Errorf("detail %q does not say %q", p.Detail, s)
		}
	}
}

// TestInputRefusesNULAndInvalidUTF8: a NUL pasted into a customer
// reference, a product name saved from a Latin-1 editor (invalid UTF-8),
// and the same in query, path and CSV cells are 400s (422 per row for an
// import) naming the field, on both databases — never a 500 — and nothing
// is written.
func TestInputRefusesNULAndInvalidUTF8(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		planner, admin := e.as[domain.RolePlanner], e.as[domain.RoleAdmin]
		before := e.orderCount()
		for _, tc := range []struct {
			name, method, path, body, field, says string
			c                                     *http.Client
		}{
			{"NUL in an order's customer_ref", "POST", "/api/v1/orders", `{"product":"P","quantity":10,"customer_ref":"ACME\u0000GmbH"}`, "customer_ref", "NUL", planner},
			{"invalid UTF-8 in an order's customer_ref", "POST", "/api/v1/orders", "{\"product\":\"P\",\"quantity\":10,\"customer_ref\":\"M\xfcller\"}", "customer_ref", "UTF-8", planner},
			{"NUL in an order number", "POST", "/api/v1/orders", `{"number":"PO-9\u0000","product":"P","quantity":10}`, "number", "", planner},
			{"NUL in an order's product", "POST", "/api/v1/orders", `{"product":"P\u0000","quantity":10}`, "product", "NUL", planner},
			{"NUL in a change reason", "PATCH", "/api/v1/orders/PO-1", `{"quantity":5,"reason":"typo\u0000"}`, "reason", "NUL", planner},
			{"NUL in a product name", "POST", "/api/v1/products", `{"code":"X1","name":"Schraube\u0000M4","unit":"pcs"}`, "name", "NUL", planner},
			{"invalid UTF-8 in a product name", "POST", "/api/v1/products", "{\"code\":\"X1\",\"name\":\"Schraube \xe4\",\"unit\":\"pcs\"}", "name", "UTF-8", planner},
			{"invalid UTF-8 in a line name", "PATCH", "/api/v1/lines/L1", "{\"name\":\"Linie \xff\"}", "name", "UTF-8", admin},
			{"invalid UTF-8 deep in a calendar", "PUT", "/api/v1/calendars/L1", "{\"shifts\":[{\"name\":\"early\",\"start\":\"06:00\",\"end\":\"14:00\"},{\"name\":\"sp\xe4t\",\"start\":\"14:00\",\"end\":\"22:00\"}]}", "shifts[1].name", "UTF-8", admin},
			{"NUL in a BOM unit", "PUT", "/api/v1/products/P/bom", `[{"component":"Q","quantity":1,"unit":"k\u0000g"}]`, "[0].unit", "NUL", planner},
			{"NUL in a search", "GET", "/api/v1/orders?q=AC%00ME", "", "q", "NUL", planner},
			{"invalid UTF-8 in a search", "GET", "/api/v1/orders?q=M%FCller", "", "q", "UTF-8", planner},
			{"NUL in an order number in the path", "GET", "/api/v1/orders/PO-1%00", "", "number", "NUL", planner},
			{"invalid UTF-8 in a product in the path", "GET", "/api/v1/products/P%FF", "", "sku", "UTF-8", planner},
			{"NUL in a cursor", "GET", "/api/v1/orders?cursor=UE8tAA", "", "cursor", "", planner},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := e.on(t)
				var body io.Reader
				if tc.body != "" {
					body = strings.NewReader(tc.body)
				}
				res, out := e.send(tc.c, tc.method, tc.path, "application/json", body, int64(len(tc.body)))
				p := e.problem(res, out, 400, tc.field)
				wantDetail(t, p, tc.says)
			})
		}
		// The same in CSV cells: a per-row report naming the column.
		res, out := e.raw(planner, "POST", "/api/v1/import/products", "text/csv",
			"code,name,unit\nX2,Mutter\x00M4,pcs\nX3,ok,pcs\n")
		p := e.problem(res, out, 422, "name")
		if len(p.Errors) != 1 || p.Errors[0].Row != 2 || p.Errors[0].Field != "name" || !strings.Contains(p.Errors[0].Rule, "NUL") {
			t.Errorf("import report: %s", out)
		}
		if n := e.orderCount(); n != before {
			t.Errorf("%d orders after the refusals, want %d", n, before)
		}
		for _, sku := range []string{"X1", "X2", "X3"} {
			if res, _ := e.do(planner, "GET", "/api/v1/products/"+sku, nil); res.StatusCode != 404 {
				t.Errorf("product %s: %d, want 404 (nothing written)", sku, res.StatusCode)
			}
		}
		if res, body := e.do(admin, "GET", "/api/v1/lines/L1", nil); !strings.Contains(string(body), `"name":"Line 1"`) {
			t.Errorf("line L1 changed: %d %s", res.StatusCode, body)
		}
	})
}

// TestLengthsCountCharacters: a Chinese product name of 100 characters
// (300 bytes) fits the 100-character limit; 101 are refused with the limit.
func TestLengthsCountCharacters(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		planner := e.as[domain.RolePlanner]
		name := strings.Repeat("螺", 100)
		res, body := e.do(planner, "POST", "/api/v1/products", map[string]any{"code": "CN-1", "name": name, "unit": "件"})
		if res.StatusCode != 201 {
			t.Fatalf("100-character Chinese name: %d %s", res.StatusCode, body)
		}
		var got productJSON
		if res, body := e.do(planner, "GET", "/api/v1/products/CN-1", nil); json.Unmarshal(body, &got) != nil || got.Name != name || got.Unit != "件" {
			t.Errorf("read back: %d %s", res.StatusCode, body)
		}
		res, body = e.do(planner, "POST", "/api/v1/products", map[string]any{"code": "CN-2", "name": name + "钉", "unit": "件"})
		p := e.problem(res, body, 400, "name")
		wantDetail(t, p, "at most 100 characters", "has 101")
		// An order's customer reference likewise: 100 characters.
		res, body = e.do(planner, "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 1, "customer_ref": strings.Repeat("客", 100)})
		if res.StatusCode != 201 {
			t.Fatalf("100-character customer_ref: %d %s", res.StatusCode, body)
		}
		res, body = e.do(planner, "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 1, "customer_ref": strings.Repeat("客", 101)})
		wantDetail(t, e.problem(res, body, 400, "customer_ref"), "at most 100 characters")
	})
}

// TestImportEncodings: a CSV saved by a Chinese Excel (GB18030), one with a
// UTF-8 byte order mark and one from a German Latin-1 tool are all stored
// as the text they show.
func TestImportEncodings(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		planner := e.as[domain.RolePlanner]
		gb, err := simplifiedchinese.GB18030.NewEncoder().String("code,name,unit\r\nGB-1,螺丝刀套装,件\r\nGB-2,六角螺母 M8,个\r\n")
		if err != nil {
			t.Fatal(err)
		}
		latin1, err := charmap.ISO8859_1.NewEncoder().String("code,name,unit\nDE-1,Müller Schraube Ø4,Stück\n")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, body, format string
			want               map[string][2]string
		}{
			{"gb18030", gb, "csv (gb18030)", map[string][2]string{"GB-1": {"螺丝刀套装", "件"}, "GB-2": {"六角螺母 M8", "个"}}},
			{"utf-8 with BOM", "\xEF\xBB\xBFcode,name,unit\nBOM-1,Zahnrad 齿轮,pcs\n", "csv (utf-8)", map[string][2]string{"BOM-1": {"Zahnrad 齿轮", "pcs"}}},
			{"latin-1", latin1, "csv (windows-1252)", map[string][2]string{"DE-1": {"Müller Schraube Ø4", "Stück"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := e.on(t)
				res, body := e.raw(planner, "POST", "/api/v1/import/products", "text/csv", tc.body)
				if res.StatusCode != 200 {
					t.Fatalf("import: %d %s", res.StatusCode, body)
				}
				if f := res.Header.Get("X-Import-Format"); f != tc.format {
					t.Errorf("X-Import-Format %q, want %q", f, tc.format)
				}
				for code, want := range tc.want {
					var got productJSON
					res, body := e.do(planner, "GET", "/api/v1/products/"+code, nil)
					if json.Unmarshal(body, &got) != nil || got.Name != want[0] || got.Unit != want[1] {
						t.Errorf("product %s: %d %s; want name %q unit %q", code, res.StatusCode, body, want[0], want[1])
					}
				}
			})
		}
	})
}

// xlsxFile is a workbook whose first sheet holds rows.
func xlsxFile(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportXLSX: a planner uploads the product list as the Excel file it
// is; one row has a word where the cycle time goes: the report names that
// row and column and nothing is written, then ?partial=true writes the
// good rows. A workbook sent as application/octet-stream is known by its
// signature.
func TestImportXLSX(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		planner := e.as[domain.RolePlanner]
		file := xlsxFile(t, [][]any{
			{"code", "name", "unit", "ideal_cycle_s"},
			{"XL-1", "齿轮", "pcs", 1.5},
			{"XL-2", "Bracket", "pcs", "fast"},
			{},
			{"XL-3", "Shaft", "pcs"}, // the cycle left empty: the row is shorter
		})
		res, body := e.send(planner, "POST", "/api/v1/import/products", xlsxType, bytes.NewReader(file), int64(len(file)))
		p := e.problem(res, body, 422, "ideal_cycle_s")
		if len(p.Errors) != 1 || p.Errors[0].Row != 3 || !strings.Contains(p.Errors[0].Rule, `"fast" is not a number`) {
			t.Fatalf("report: %s", body)
		}
		wantDetail(t, p, "1 of 3 rows")
		if res, _ := e.do(planner, "GET", "/api/v1/products/XL-1", nil); res.StatusCode != 404 {
			t.Fatalf("XL-1 written despite the error: %d", res.StatusCode)
		}
		res, body = e.send(planner, "POST", "/api/v1/import/products?partial=true", "application/octet-stream", bytes.NewReader(file), int64(len(file)))
		if res.StatusCode != 200 || res.Header.Get("X-Import-Format") != "xlsx" {
			t.Fatalf("partial: %d %q %s", res.StatusCode, res.Header.Get("X-Import-Format"), body)
		}
		var rep domain.ImportReport
		if err := json.Unmarshal(body, &rep); err != nil || len(rep.Errors) != 1 || rep.Errors[0].Row != 3 {
			t.Errorf("partial report: %s", body)
		}
		var got productJSON
		if res, body := e.do(planner, "GET", "/api/v1/products/XL-1", nil); json.Unmarshal(body, &got) != nil || got.Name != "齿轮" || got.IdealCycleS != 1.5 {
			t.Errorf("XL-1: %d %s", res.StatusCode, body)
		}
		if res, _ := e.do(planner, "GET", "/api/v1/products/XL-3", nil); res.StatusCode != 200 {
			t.Errorf("XL-3: %d", res.StatusCode)
		}
		// Declared XLSX but not one.
		res, body = e.raw(planner, "POST", "/api/v1/import/products", xlsxType, "code,name,unit\nA,B,C\n")
		e.problem(res, body, 400, "body")
	})
}

// TestBodyLimits: a 5 MiB JSON body (declared or chunked) is a 413 saying
// the 1 MiB limit; an import over 16 MiB likewise.
func TestBodyLimits(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		planner := e.as[domain.RolePlanner]
		before := e.orderCount()
		big := `{"product":"P","quantity":1,"customer_ref":"` + strings.Repeat("x", 5<<20) + `"}`
		res, body := e.send(planner, "POST", "/api/v1/orders", "application/json", strings.NewReader(big), int64(len(big)))
		wantDetail(t, e.problem(res, body, 413, "body"), "1 MiB", "1048576 bytes")
		res, body = e.send(planner, "POST", "/api/v1/orders", "application/json", io.MultiReader(strings.NewReader(big)), -1)
		wantDetail(t, e.problem(res, body, 413, "body"), "1 MiB")
		csv := "code,name,unit\n" + strings.Repeat("A,B,C\n", (17<<20)/6)
		res, body = e.send(planner, "POST", "/api/v1/import/products", "text/csv", io.MultiReader(strings.NewReader(csv)), -1)
		wantDetail(t, e.problem(res, body, 413, "body"), "16 MiB")
		if n := e.orderCount(); n != before {
			t.Errorf("%d orders, want %d", n, before)
		}
	})
}

// TestJSONBodyShape: a client that sends `null`, two objects, or an
// object with trailing garbage gets a 400 saying so; nothing is created.
func TestJSONBodyShape(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		planner := e.as[domain.RolePlanner]
		before := e.orderCount()
		for _, tc := range []struct{ name, method, path, body, field, says string }{
			{"null order", "POST", "/api/v1/orders", `null`, "body", "not null"},
			{"null patch", "PATCH", "/api/v1/products/P", ` null `, "body", "not null"},
			{"null list", "PUT", "/api/v1/products/P/bom", `null`, "body", "JSON array, not null"},
			{"two objects", "POST", "/api/v1/orders", `{"product":"P","quantity":1} {"product":"P","quantity":2}`, "body", "more data after it"},
			{"trailing garbage", "POST", "/api/v1/orders", `{"product":"P","quantity":1}]`, "body", "more data after it"},
			{"unknown field", "POST", "/api/v1/orders", `{"product":"P","quantity":1,"qty":2}`, "qty", "unknown field"},
			{"array for an object", "POST", "/api/v1/orders", `[{"product":"P"}]`, "body", "JSON object"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := e.on(t)
				res, body := e.send(planner, tc.method, tc.path, "application/json", strings.NewReader(tc.body), int64(len(tc.body)))
				wantDetail(t, e.problem(res, body, 400, tc.field), tc.says)
			})
		}
		if n := e.orderCount(); n != before {
			t.Errorf("%d orders, want %d", n, before)
		}
		if res, body := e.do(planner, "GET", "/api/v1/products/P", nil); !strings.Contains(string(body), `"name":"Part"`) {
			t.Errorf("P after a null patch: %d %s", res.StatusCode, body)
		}
	})
}

// TestDuplicatesConflict: creating an order or a product under a key that
// is taken is a 409 naming the key, on both databases.
func TestDuplicatesConflict(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		planner, admin := e.as[domain.RolePlanner], e.as[domain.RoleAdmin]
		res, body := e.do(planner, "POST", "/api/v1/orders", map[string]any{"number": "PO-77", "product": "P", "quantity": 5})
		if res.StatusCode != 201 {
			t.Fatalf("first PO-77: %d %s", res.StatusCode, body)
		}
		res, body = e.do(planner, "POST", "/api/v1/orders", map[string]any{"number": "PO-77", "product": "Q", "quantity": 9})
		wantDetail(t, e.problem(res, body, 409, "number"), "PO-77 already exists")
		if rec := e.order("PO-77"); rec.ProductCode != "P" || rec.Quantity != 5 {
			t.Errorf("PO-77 changed: %+v", rec.Order)
		}
		res, body = e.do(planner, "POST", "/api/v1/products", map[string]any{"code": "P", "name": "again", "unit": "pcs"})
		wantDetail(t, e.problem(res, body, 409, "sku"), "already exists")
		res, body = e.do(admin, "POST", "/api/v1/lines", map[string]any{"id": "L1", "name": "again"})
		e.problem(res, body, 409, "id")
		// A badge another user holds.
		res, body = e.do(admin, "PATCH", "/api/v1/users/quality", map[string]any{"badge": "B-1001"})
		wantDetail(t, e.problem(res, body, 409, "badge"), "already another user's badge")
	})
}

// TestRanges: a quantity of 10^15, a due date in 2300 (which Unix
// nanoseconds cannot hold), a cycle time of 10^12 seconds and a planned
// stop in 2300 are 400s that say the limit.
func TestRanges(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		planner, admin := e.as[domain.RolePlanner], e.as[domain.RoleAdmin]
		before := e.orderCount()
		for _, tc := range []struct {
			name, method, path string
			body               any
			field, says        string
			c                  *http.Client
		}{
			{"quantity 1e15", "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": int64(1e15)}, "quantity", "from 1 to 1000000000", planner},
			{"quantity 0", "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 0}, "quantity", "from 1 to 1000000000", planner},
			{"quantity beyond int64", "POST", "/api/v1/orders", json.RawMessage(`{"product":"P","quantity":1e30}`), "quantity", "whole number", planner},
			{"due in 2300", "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 1, "due": "2300-01-01"}, "due", "before 2200-01-01", planner},
			{"due in 1900", "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 1, "due": "1900-01-01T00:00:00Z"}, "due", "from 1970-01-01", planner},
			{"priority 10", "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 1, "priority": 10}, "priority", "0 (normal) to 9", planner},
			{"patch quantity 1e15", "PATCH", "/api/v1/orders/PO-1", map[string]any{"quantity": int64(1e15), "reason": "x"}, "quantity", "1000000000", planner},
			{"patch due in 2300", "PATCH", "/api/v1/orders/PO-1", map[string]any{"due": "2300-06-01", "reason": "x"}, "due", "2200-01-01", planner},
			{"list due_to in 2300", "GET", "/api/v1/orders?due_to=2300-01-01", nil, "due_to", "2200-01-01", planner},
			{"cycle of 1e12 s", "POST", "/api/v1/products", map[string]any{"code": "SLOW", "name": "x", "unit": "pcs", "ideal_cycle_s": 1e12}, "ideal_cycle_s", "604800", planner},
			{"setup of 1e300 s", "PUT", "/api/v1/lines/L1/changeovers", []map[string]any{{"from_family": "A", "to_family": "B", "setup_s": 1e300}}, "[0].setup_s", "604800", planner},
			{"BOM quantity 1e15", "PUT", "/api/v1/products/P/bom", []map[string]any{{"component": "Q", "quantity": 1e15}}, "[0].quantity", "1000000000", planner},
			{"planned stop in 2300", "PUT", "/api/v1/calendars/L1", map[string]any{"planned_stops": []map[string]any{{"id": "S1", "start": "2300-01-01T00:00:00Z", "end": "2300-01-02T00:00:00Z"}}}, "planned_stops[0].start", "2200-01-01", admin},
			{"token expiring in 2300", "POST", "/api/v1/tokens", map[string]any{"name": "t1", "role": "operator", "expires_at": "2300-01-01T00:00:00Z"}, "expires_at", "2200-01-01", admin},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := e.on(t)
				res, body := e.do(tc.c, tc.method, tc.path, tc.body)
				wantDetail(t, e.problem(res, body, 400, tc.field), tc.says)
			})
		}
		// A quantity that fits alone but not with the product's cycle:
		// 10^9 parts at an hour each is 114,000 years of work.
		res, body := e.do(planner, "POST", "/api/v1/products", map[string]any{"code": "HOUR", "name": "slow part", "unit": "pcs", "ideal_cycle_s": 3600})
		if res.StatusCode != 201 {
			t.Fatalf("product HOUR: %d %s", res.StatusCode, body)
		}
		res, body = e.do(planner, "POST", "/api/v1/orders", map[string]any{"product": "HOUR", "quantity": int64(1e9)})
		wantDetail(t, e.problem(res, body, 400, "quantity"), "years of work", fmt.Sprint(int64(domain.MaxWork/3600e9)))
		if n := e.orderCount(); n != before {
			t.Errorf("%d orders, want %d", n, before)
		}
		// CSV: a cycle of NaN or 1e12 seconds is that row's error.
		res, body = e.raw(planner, "POST", "/api/v1/import/products", "text/csv", "code,name,unit,ideal_cycle_s\nN1,a,pcs,NaN\nN2,b,pcs,1e12\n")
		p := e.problem(res, body, 422, "ideal_cycle_s")
		if len(p.Errors) != 2 || p.Errors[0].Row != 2 || p.Errors[1].Row != 3 {
			t.Errorf("import report: %s", body)
		}
		// A planned stop in 2300 from a spreadsheet: the row names the date.
		res, body = e.raw(admin, "POST", "/api/v1/import/planned_stops", "text/csv", "id,line,start,end\nPS-1,L1,2300-01-01,2300-01-02\n")
		p = e.problem(res, body, 422, "start")
		if len(p.Errors) != 2 || !strings.Contains(p.Errors[0].Rule, "before 2200-01-01") || p.Errors[1].Field != "end" {
			t.Errorf("planned stop report: %s", body)
		}
	})
}

// TestJSONPathAt: the invalid byte of a body is named by the path of the
// value or key that holds it, at any depth, as checkStrings names fields.
func TestJSONPathAt(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"{\"a\":\"x\xff\"}", "a"},
		{"{\"a\":1,\"b\":[true,null,\"ok\",{\"c\":\"\xff\"}]}", "b[3].c"},
		{"[{\"a\":\"ok\"},{\"a\":[1,2],\"b\":\"\xfe\"}]", "[1].b"},
		{"{\"x\xff\":1}", "x\ufffd"},
		{"{\"a\":{\"b\":{}},\"c\":[[],[\"\xff\"]]}", "c[1][0]"},
		{"\"\xff\"", "body"},
		{"{\"a\":\xff}", "body"},
	} {
		if got := jsonPathAt([]byte(tc.body), firstInvalidUTF8([]byte(tc.body))); got != tc.want {
			t.Errorf("jsonPathAt(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}
