package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// TestRecallAndTraceExport: supplier lot SUP-7 comes in as lot K-7; WO-1
// (order PO-1) consumes 5 kg of it and makes F-1, of which 4 are shipped
// against the customer's order PO-7 (ref ACME-4711). The recall question is
// one call: PO-7 shipped (with the customer's reference) and PO-1 made from
// it, each with the path of lots. The trace exports as XLSX with the header
// in the reader's language, one row per lot with its level and parent.
func TestRecallAndTraceExport(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		materialsFixture(t, e)
		wh := e.as[domain.RoleWarehouse]
		if err := e.st.CreateOrder(t.Context(), domain.Order{Number: "PO-7", ProductCode: "P", Quantity: 4, Status: domain.StatusReleased,
			CustomerRef: "ACME-4711"}); err != nil {
			t.Fatal(err)
		}
		if err := e.st.Handle().InTx(t.Context(), func(q store.Q) error {
			_, err := q.Exec(t.Context(), `UPDATE orders SET customer_ref = ? WHERE number = ?`, "ACME-4711", "PO-7")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, m := range []struct {
			path string
			body map[string]any
		}{
			{"receipt", map[string]any{"lot": "K-7", "material": "Q", "supplier_lot": "SUP-7", "quantity": 20, "to": "WH-A"}},
			{"issue", map[string]any{"lot": "K-7", "quantity": 5, "from": "WH-A", "work_order": "WO-1"}},
			{"fg_receipt", map[string]any{"lot": "F-1", "quantity": 10, "to": "WH-A", "work_order": "WO-1"}},
			{"shipment", map[string]any{"lot": "F-1", "quantity": 4, "from": "WH-A", "order": "PO-7"}},
		} {
			if res, body := e.do(wh, "POST", "/api/v1/movements/"+m.path, m.body); res.StatusCode != 201 {
				t.Fatalf("%s: %d %s", m.path, res.StatusCode, body)
			}
		}
		var lots []domain.Lot
		e.getInto(e.as[domain.RoleOperator], "/api/v1/lots?supplier_lot=SUP-7", &lots)
		if len(lots) != 1 || lots[0].ID != "K-7" {
			t.Errorf("lots of SUP-7: %+v", lots)
		}
		var r domain.Recall
		e.getInto(e.as[domain.RoleOperator], "/api/v1/trace/recall?supplier_lot=SUP-7", &r)
		if len(r.Lots) != 1 || r.Lots[0] != "K-7" || len(r.Orders) != 2 {
			t.Fatalf("recall of SUP-7: %+v", r)
		}
		if o := r.Orders[0]; o.Order != "PO-7" || o.Kind != "shipped" || o.CustomerRef != "ACME-4711" || o.Lot != "F-1" || o.Quantity != 4000 ||
			strings.Join(o.Path, ">") != "K-7>F-1" {
			t.Errorf("shipped: %+v", o)
		}
		if o := r.Orders[1]; o.Order != "PO-1" || o.Kind != "made" || o.Lot != "F-1" || o.WorkOrder != "WO-1" || o.Line != "L1" || o.Quantity != 5000 {
			t.Errorf("made: %+v", o)
		}
		res, body := e.do(wh, "GET", "/api/v1/trace/recall?supplier_lot=NOBODY", nil)
		if p := e.problem(res, body, 404, ""); !strings.Contains(p.Detail, `no lot was received under supplier lot "NOBODY"`) {
			t.Errorf("unknown supplier lot: %s", p.Detail)
		}
		res, body = e.do(wh, "GET", "/api/v1/trace/recall", nil)
		e.problem(res, body, 400, "supplier_lot")
		res, body = e.do(wh, "GET", "/api/v1/lots?supplier_lot=%00x", nil)
		e.problem(res, body, 400, "supplier_lot")

		// The backward trace of F-1 as XLSX, in Chinese.
		res, body = e.do(wh, "GET", "/api/v1/exports/trace.xlsx?lot=F-1&lang=zh-CN", nil)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("trace.xlsx: %d %s", res.StatusCode, body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("trace-backward")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || strings.Join(rows[0][:4], ",") != "层级,批次,上级批次,物料" ||
			strings.Join(rows[1][:5], ",") != "0,F-1,,P,10" || strings.Join(rows[2][:8], ",") != "1,K-7,F-1,Q,5,kg,放行,SUP-7" {
			t.Errorf("trace.xlsx rows: %q", rows)
		}
		// Forward as CSV, in English: the shipment with the customer's reference.
		res, body = e.do(wh, "GET", "/api/v1/exports/trace.csv?lot=K-7&direction=forward", nil)
		if lines := strings.Split(strings.TrimSpace(string(body)), "\n"); res.StatusCode != 200 || len(lines) != 3 ||
			!strings.HasPrefix(lines[0], "level,lot,parent lot,material,quantity,unit,status,supplier lot,work order,order,line,") ||
			!strings.HasPrefix(lines[1], "0,K-7,,Q,20,kg,released,SUP-7,,,,") ||
			!strings.HasPrefix(lines[2], "1,F-1,K-7,P,5,pcs,released,,WO-1,PO-1,L1,") || !strings.HasSuffix(lines[2], ",PO-7 4 pcs (ACME-4711)") {
			t.Errorf("trace.csv: %d %s", res.StatusCode, body)
		}
		// Lots and stock alerts export, the header in the reader's language.
		res, body = e.do(wh, "GET", "/api/v1/exports/lots.csv?supplier_lot=SUP-7&lang=zh-CN", nil)
		if lines := strings.Split(strings.TrimSpace(string(body)), "\n"); res.StatusCode != 200 || len(lines) != 2 ||
			!strings.HasPrefix(lines[0], "批次,物料,状态,数量,现存量,单位,供应商批次") || !strings.HasPrefix(lines[1], "K-7,Q,released,20,15,kg,SUP-7,") {
			t.Errorf("lots.csv: %d %s", res.StatusCode, body)
		}
		if res, body := e.do(e.as[domain.RolePlanner], "PUT", "/api/v1/materials/Q/levels", []map[string]any{{"safety_stock": 100, "reorder_point": 120}}); res.StatusCode != 200 {
			t.Fatalf("levels: %d %s", res.StatusCode, body)
		}
		res, body = e.do(wh, "GET", "/api/v1/exports/stock-alerts.csv", nil)
		if lines := strings.Split(strings.TrimSpace(string(body)), "\n"); res.StatusCode != 200 || len(lines) != 2 ||
			lines[0] != "material,location,alert,stock,safety stock,reorder point,maximum,unit" || lines[1] != "Q,,below safety stock,15,100,120,,kg" {
			t.Errorf("stock-alerts.csv: %d %s", res.StatusCode, body)
		}
		res, body = e.do(wh, "GET", "/api/v1/exports/trace.xlsx?lot=F-1&direction=sideways", nil)
		e.problem(res, body, 400, "direction")
		res, body = e.do(wh, "GET", "/api/v1/exports/trace.xlsx?lot=NOPE", nil)
		e.problem(res, body, 404, "")

		// The pages are there for every signed-in role.
		for _, p := range []string{"/materials", "/materials/lots/F-1"} {
			req, _ := http.NewRequest("GET", e.srv.URL+p, nil)
			res, err := e.as[domain.RoleOperator].Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: %d %s", p, res.StatusCode, res.Header.Get("Content-Type"))
			}
		}
	})
}

// TestSerialsAtTheStation: P is made serial-tracked (prefix SN-); with
// WO-1 running on L1 the operator scans SN-77 at ST-L1, which registers it
// for WO-1, and generates two more; a code without the prefix is still
// unknown. The serial reads back with its work order and traces backward
// from its work order (no finished lot yet, so forward is refused).
func TestSerialsAtTheStation(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		materialsFixture(t, e)
		op := e.as[domain.RoleOperator]
		res, body := e.do(e.as[domain.RolePlanner], "PUT", "/api/v1/materials/P/serials", map[string]any{"tracked": true})
		e.problem(res, body, 400, "prefix")
		res, body = e.do(e.as[domain.RolePlanner], "PUT", "/api/v1/materials/P/serials", map[string]any{"tracked": true, "prefix": "SN-"})
		if res.StatusCode != 200 || !strings.Contains(string(body), `"prefix":"SN-"`) {
			t.Fatalf("serial config: %d %s", res.StatusCode, body)
		}
		if _, err := e.st.StartWorkOrderAs(t.Context(), "WO-1", e.now, domain.Actor{Name: "operator", Role: domain.RoleOperator}, "start"); err != nil {
			t.Fatal(err)
		}
		var scan struct {
			Action  string          `json:"action"`
			Message string          `json:"message"`
			Serials []domain.Serial `json:"serials"`
		}
		res, body = e.do(op, "POST", "/api/v1/stations/ST-L1/scan", map[string]any{"code": "SN-77"})
		if res.StatusCode != 200 || json.Unmarshal(body, &scan) != nil || scan.Action != "serial" || scan.Message != "serial SN-77 registered for WO-1" ||
			len(scan.Serials) != 1 || scan.Serials[0].WorkOrder != "WO-1" || scan.Serials[0].Station != "ST-L1" {
			t.Fatalf("scan SN-77: %d %s", res.StatusCode, body)
		}
		res, body = e.do(op, "POST", "/api/v1/stations/ST-L1/scan?lang=zh-CN", map[string]any{"code": "SN-88"})
		if res.StatusCode != 200 || !strings.Contains(string(body), "序列号 SN-88 已登记到 WO-1") {
			t.Errorf("scan SN-88 in Chinese: %d %s", res.StatusCode, body)
		}
		res, body = e.do(op, "POST", "/api/v1/stations/ST-L1/scan", map[string]any{"code": "XX-77"})
		e.problem(res, body, 404, "code")
		res, body = e.do(op, "POST", "/api/v1/stations/ST-L1/serials", map[string]any{"work_order": "WO-1", "generate": 2})
		if res.StatusCode != 200 || json.Unmarshal(body, &scan) != nil || len(scan.Serials) != 2 || scan.Serials[0].Serial != "SN-000001" ||
			scan.Message != "2 serials for WO-1: SN-000001 … SN-000002" {
			t.Fatalf("generate: %d %s", res.StatusCode, body)
		}
		res, body = e.do(op, "POST", "/api/v1/stations/ST-L1/serials", map[string]any{"work_order": "WO-1", "generate": 0})
		e.problem(res, body, 400, "generate")
		res, body = e.do(e.as[domain.RoleSupervisor], "POST", "/api/v1/work-orders/WO-1/serials", map[string]any{"serials": []string{"SN-90", "SN-77"}})
		if p := e.problem(res, body, 409, "serials[1]"); !strings.Contains(p.Detail, "serial SN-77 already belongs to work order WO-1") {
			t.Errorf("duplicate: %s", p.Detail)
		}

		var s domain.Serial
		e.getInto(e.as[domain.RoleQuality], "/api/v1/serials/SN-77", &s)
		if s.WorkOrder != "WO-1" || s.Order != "PO-1" || s.Line != "L1" || s.Source != "scanned" || s.Product != "P" {
			t.Errorf("SN-77: %+v", s)
		}
		res, body = e.do(op, "GET", "/api/v1/serials/SN-90", nil)
		e.problem(res, body, 404, "")
		var list []domain.Serial
		e.getInto(op, "/api/v1/work-orders/WO-1/serials", &list)
		if len(list) != 4 {
			t.Errorf("serials of WO-1: %+v", list)
		}
		var tree domain.TraceNode
		e.getInto(op, "/api/v1/trace/backward?serial=SN-77", &tree)
		if tree.Serial != "SN-77" || tree.WorkOrder != "WO-1" || tree.Lot != "" {
			t.Errorf("backward of SN-77: %+v", tree)
		}
		res, body = e.do(op, "GET", "/api/v1/trace/forward?serial=SN-77", nil)
		e.problem(res, body, 409, "serial")
		res, body = e.do(op, "GET", "/api/v1/trace/backward?serial=a%20b", nil)
		e.problem(res, body, 400, "serial")
	})
}
