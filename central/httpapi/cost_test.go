package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// TestCostAPI: a planner sets rates (audited; an operator may not; a
// float or a fifth decimal is a 400 naming the field), enters a priced
// order, reads its cost settlement (the standard for what is made, the
// margin note, the missing rates named) and downloads it as a workbook.
func TestCostAPI(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := newEnvOn(t, driver)
			plan := e.as[domain.RolePlanner]
			if res, body := e.do(e.as[domain.RoleOperator], "PUT", "/api/v1/cost/labour-grades/G1", map[string]any{"labour_hour": "40"}); res.StatusCode != 403 {
				t.Errorf("operator sets a rate: %d %s", res.StatusCode, body)
			}
			res, body := e.do(plan, "PUT", "/api/v1/cost/labour-grades/G1", map[string]any{"labour_hour": 40.5})
			e.problem(res, body, http.StatusBadRequest, "labour_hour")
			res, body = e.do(plan, "PUT", "/api/v1/cost/labour-grades/G1", map[string]any{"labour_hour": "40.12345"})
			e.problem(res, body, http.StatusBadRequest, "labour_hour")
			for _, c := range []struct{ path, body string }{
				{"/api/v1/cost/labour-grades/G1", `{"name":"operator","labour_hour":"40.00"}`},
				{"/api/v1/cost/lines/L1", `{"machine_hour":"120","labour_grade":"G1"}`},
				{"/api/v1/cost/materials/Q", `{"standard_cost":"2.5"}`},
				{"/api/v1/users/operator/labour-grade", `{"grade":"G1"}`},
			} {
				var v any
				_ = json.Unmarshal([]byte(c.body), &v)
				if res, body := e.do(plan, "PUT", c.path, v); res.StatusCode != 200 {
					t.Fatalf("PUT %s: %d %s", c.path, res.StatusCode, body)
				}
			}
			res, body = e.do(plan, "PUT", "/api/v1/cost/lines/L9", map[string]any{"machine_hour": "1"})
			e.problem(res, body, http.StatusNotFound, "")
			res, body = e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/cost/rates", nil)
			var rates struct {
				Currency string               `json:"currency"`
				Lines    []domain.LineRate    `json:"lines"`
				Grades   []domain.LabourGrade `json:"labour_grades"`
			}
			if res.StatusCode != 200 || json.Unmarshal(body, &rates) != nil || rates.Currency != "CNY" || len(rates.Lines) != 1 ||
				rates.Lines[0].MachineHour.String() != "120.0000" || !bytes.Contains(body, []byte(`"machine_hour":"120.0000"`)) {
				t.Fatalf("rates: %d %s", res.StatusCode, body)
			}

			// A priced order: price needs its currency.
			res, body = e.do(plan, "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 10, "price": "30.00"})
			e.problem(res, body, http.StatusBadRequest, "currency")
			res, body = e.do(plan, "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 10, "price": "30.00", "currency": "cny"})
			e.problem(res, body, http.StatusBadRequest, "currency")
			res, body = e.do(plan, "POST", "/api/v1/orders", map[string]any{"number": "PO-77", "product": "P", "quantity": 10, "price": "30.00", "currency": "CNY"})
			if res.StatusCode != 201 || !bytes.Contains(body, []byte(`"price":"30.0000","currency":"CNY"`)) {
				t.Fatalf("priced order: %d %s", res.StatusCode, body)
			}
			res, body = e.do(plan, "GET", "/api/v1/orders/PO-77/cost", nil)
			var cs domain.CostSheet
			if res.StatusCode != 200 || json.Unmarshal(body, &cs) != nil || cs.Order != "PO-77" || cs.Frozen || cs.Currency != "CNY" ||
				cs.Margin == nil || cs.Margin.String() != "0.0000" || cs.Actual.Total != 0 {
				t.Fatalf("cost of a fresh order: %d %s", res.StatusCode, body)
			}
			if res, body := e.do(e.as[domain.RoleOperator], "GET", "/api/v1/orders/PO-77/cost", nil); res.StatusCode != 403 {
				t.Errorf("operator reads the cost: %d %s", res.StatusCode, body)
			}
			res, body = e.do(plan, "GET", "/api/v1/orders/PO-77/cost.xlsx", nil)
			if res.StatusCode != 200 {
				t.Fatalf("xlsx: %d %s", res.StatusCode, body)
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if v, _ := f.GetCellValue("Cost settlement", "B1"); v != "PO-77" {
				t.Errorf("workbook order cell %q", v)
			}
			if v, _ := f.GetCellValue("Cost settlement", "A12"); v != "Total" {
				t.Errorf("workbook total row: %q", v)
			}
			audit, _ := e.st.ListAudit(t.Context(), domain.AuditFilter{Entity: "labour_grade"})
			if len(audit) != 1 || audit[0].Actor != "planner" {
				t.Errorf("labour grade audit: %+v", audit)
			}
		})
	}
}
