package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// TestCustomersAndOrderCustomer walks the customer master on SQLite and
// PostgreSQL: sales creates a customer, a bad grade is refused naming the
// field, a CSV import with one bad row writes nothing and names the row,
// an order gets a customer and shows its grade, an unknown customer is
// refused, the list filters and searches by customer, and an order from
// before (no customer) stays valid.
func TestCustomersAndOrderCustomer(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := newEnvOn(t, driver)
			sales := e.as[domain.RoleSales]
			old := e.draft("P") // an order without a customer, as before migration 0540

			res, body := e.do(sales, "POST", "/api/v1/customers", map[string]any{"code": "ACME", "name": "Acme 机械", "grade": "A", "contacts": "Li Wei 138-0000-0000"})
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("create customer: %d %s", res.StatusCode, body)
			}
			res, body = e.do(sales, "POST", "/api/v1/customers", map[string]any{"code": "BAD", "name": "Bad", "grade": "D"})
			e.problem(res, body, http.StatusBadRequest, "grade")
			res, body = e.do(e.as[domain.RoleOperator], "POST", "/api/v1/customers", map[string]any{"code": "OPS", "name": "Ops", "grade": "B"})
			e.problem(res, body, http.StatusForbidden, "role")

			res, body = e.raw(e.as[domain.RolePlanner], "POST", "/api/v1/import/customers", "text/csv",
				"code,name,grade,contacts\nBETA,Beta Co,B,\nGAMMA,Gamma Co,Z,x\n")
			p := e.problem(res, body, http.StatusUnprocessableEntity, "grade")
			if !strings.Contains(p.Detail, "row 3") || !strings.Contains(p.Detail, "nothing was written") {
				t.Fatalf("import problem: %s", body)
			}
			if _, err := e.st.GetCustomer(context.Background(), "BETA"); err == nil {
				t.Fatal("BETA was written by a rejected import")
			}
			res, body = e.raw(e.as[domain.RolePlanner], "POST", "/api/v1/import/customers", "text/csv", "code,name,grade\nBETA,Beta Co,b\n")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("import: %d %s", res.StatusCode, body)
			}

			res, body = e.do(sales, "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 5, "customer": "NOPE"})
			e.problem(res, body, http.StatusBadRequest, "customer")
			res, body = e.do(sales, "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 5, "customer": "ACME"})
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("order: %d %s", res.StatusCode, body)
			}
			var o domain.Order
			if err := json.Unmarshal(body, &o); err != nil {
				t.Fatal(err)
			}
			if o.Customer != "ACME" || o.CustomerGrade != "A" || o.CustomerName != "Acme 机械" {
				t.Fatalf("order customer: %+v", o)
			}
			for _, q := range []string{"customer=ACME", "q=" + "Acme"} {
				var list []domain.Order
				if res := e.getInto(sales, "/api/v1/orders?"+q, &list); res.StatusCode != 200 || len(list) != 1 || list[0].Number != o.Number {
					t.Fatalf("%s: %d %+v", q, res.StatusCode, list)
				}
			}
			if rec := e.order(old); rec.Customer != "" || rec.Status != domain.StatusDraft {
				t.Fatalf("old order: %+v", rec.Order)
			}
			res, body = e.do(e.as[domain.RoleAdmin], "GET", "/api/v1/audit?entity=customer:ACME", nil)
			if res.StatusCode != 200 || !strings.Contains(string(body), `"create"`) {
				t.Fatalf("audit: %d %s", res.StatusCode, body)
			}
		})
	}
}
