package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// TestChangeoversOverAPIAndImport, on SQLite and PostgreSQL: products take
// a family (PATCH and the products import), a line's changeover matrix is
// replaced with PUT /api/v1/lines/{id}/changeovers (planner and admin;
// audited; bad cells named), and the changeovers import checks every row
// (all or nothing, or ?partial=true), adding and updating pairs by key.
func TestChangeoversOverAPIAndImport(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := newEnvOn(t, driver)
			admin, planner := e.as[domain.RoleAdmin], e.as[domain.RolePlanner]
			type co struct {
				From   string  `json:"from_family"`
				To     string  `json:"to_family"`
				SetupS float64 `json:"setup_s"`
			}
			matrix := func(line string) []co {
				t.Helper()
				res, body := e.do(e.as[domain.RoleOperator], "GET", "/api/v1/lines/"+line+"/changeovers", nil)
				if res.StatusCode != 200 {
					t.Fatalf("GET changeovers of %s: %d %s", line, res.StatusCode, body)
				}
				var out []co
				if err := json.Unmarshal(body, &out); err != nil {
					t.Fatal(err)
				}
				return out
			}

			// Families of products.
			res, body := e.do(planner, "PATCH", "/api/v1/products/P", map[string]any{"family": "FP"})
			if res.StatusCode != 200 || !strings.Contains(string(body), `"family":"FP"`) {
				t.Fatalf("PATCH family: %d %s", res.StatusCode, body)
			}
			res, body = e.raw(planner, "POST", "/api/v1/import/products", "text/csv", "code,name,unit,family\nQ,Other part,kg,FQ\n")
			if res.StatusCode != 200 || !strings.Contains(string(body), `"updated":1`) {
				t.Fatalf("import products with family: %d %s", res.StatusCode, body)
			}
			res, body = e.raw(planner, "POST", "/api/v1/import/products", "text/csv", "code,name,unit,family\nQ,Other part,kg,F Q\n")
			e.problem(res, body, 422, "family")
			if p, err := e.st.GetProduct(e.t.Context(), "Q"); err != nil || p.Family != "FQ" {
				t.Fatalf("product Q: %+v %v", p, err)
			}

			// The API.
			if m := matrix("L1"); len(m) != 0 {
				t.Fatalf("L1 starts with %+v", m)
			}
			res, body = e.do(planner, "PUT", "/api/v1/lines/L1/changeovers", []co{{"FQ", "FP", 600}, {"FP", "FQ", 900}})
			if res.StatusCode != 200 {
				t.Fatalf("PUT: %d %s", res.StatusCode, body)
			}
			if m := matrix("L1"); len(m) != 2 || m[0] != (co{"FP", "FQ", 900}) || m[1] != (co{"FQ", "FP", 600}) {
				t.Fatalf("L1 after PUT: %+v", m)
			}
			res, body = e.do(e.as[domain.RoleSupervisor], "PUT", "/api/v1/lines/L1/changeovers", []co{})
			e.problem(res, body, 403, "role")
			res, body = e.do(admin, "PUT", "/api/v1/lines/L9/changeovers", []co{})
			e.problem(res, body, 404, "id")
			res, body = e.do(admin, "GET", "/api/v1/lines/L9/changeovers", nil)
			e.problem(res, body, 404, "id")
			res, body = e.do(admin, "PUT", "/api/v1/lines/L1/changeovers", []co{{"FP", "FQ", 1}, {"FP", "FQ", 2}})
			e.problem(res, body, 400, "[1].to_family")
			res, body = e.do(admin, "PUT", "/api/v1/lines/L1/changeovers", []co{{"FP", "FP", 1}})
			e.problem(res, body, 400, "[0].to_family")
			res, body = e.do(admin, "PUT", "/api/v1/lines/L1/changeovers", []co{{"FP", "FQ", -1}})
			e.problem(res, body, 400, "[0].setup_s")
			if m := matrix("L1"); len(m) != 2 {
				t.Fatalf("a refused PUT changed L1: %+v", m)
			}
			res, body = e.do(admin, "GET", "/api/v1/audit?entity=changeovers:L1", nil)
			if res.StatusCode != 200 || !strings.Contains(string(body), `"replace"`) || !strings.Contains(string(body), `"setup_s":900`) {
				t.Fatalf("audit of the PUT: %d %s", res.StatusCode, body)
			}

			// The import: every broken row reported, nothing written...
			csv := "line,from_family,to_family,setup_s\n" +
				"L2,FP,FQ,300\n" + // row 2: good
				"L9,FP,FQ,300\n" + // row 3: no such line
				"L2,FQ,FQ,10\n" + // row 4: same family
				"L2,FP,FQ,60\n" + // row 5: repeats row 2's key
				"L2,FQ,FP,x\n" + // row 6: not a number
				"L2,FQ,FP,\n" // row 7: setup_s missing
			res, body = e.raw(planner, "POST", "/api/v1/import/changeovers", "text/csv", csv)
			p := e.problem(res, body, 422, "line")
			var got struct {
				Errors []domain.RowError `json:"errors"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			want := map[int]string{3: "line", 4: "to_family", 5: "line", 6: "setup_s", 7: "setup_s"}
			if len(got.Errors) != len(want) {
				t.Fatalf("errors %+v (%s), want rows %v", got.Errors, p.Detail, want)
			}
			for _, re := range got.Errors {
				if want[re.Row] != re.Field {
					t.Errorf("row %d: field %q (%s), want %q", re.Row, re.Field, re.Rule, want[re.Row])
				}
			}
			if m := matrix("L2"); len(m) != 0 {
				t.Fatalf("a refused import wrote %+v", m)
			}
			// ...or, with ?partial=true, the good row written.
			res, body = e.raw(planner, "POST", "/api/v1/import/changeovers?partial=true", "text/csv", csv)
			if res.StatusCode != 200 || !strings.Contains(string(body), `"created":1`) {
				t.Fatalf("partial import: %d %s", res.StatusCode, body)
			}
			if m := matrix("L2"); len(m) != 1 || m[0] != (co{"FP", "FQ", 300}) {
				t.Fatalf("L2 after the partial import: %+v", m)
			}
			// Rows, not files: the import updates L1's FP→FQ and leaves FQ→FP.
			res, body = e.raw(admin, "POST", "/api/v1/import/changeovers", "text/csv", "LINE,from_family,to_family,setup_s\nL1,FP,FQ,1200\n")
			if res.StatusCode != 200 || !strings.Contains(string(body), `"updated":1`) {
				t.Fatalf("import update: %d %s", res.StatusCode, body)
			}
			if m := matrix("L1"); len(m) != 2 || m[0] != (co{"FP", "FQ", 1200}) || m[1] != (co{"FQ", "FP", 600}) {
				t.Fatalf("L1 after the import: %+v", m)
			}
			res, body = e.do(admin, "GET", "/api/v1/audit?entity=changeover:L1/FP/FQ", nil)
			if res.StatusCode != 200 || !strings.Contains(string(body), `"import"`) || !strings.Contains(string(body), `"after":{"from_family":"FP","line":"L1","setup_s":1200,`) {
				t.Fatalf("audit of the import: %d %s", res.StatusCode, body)
			}
			res, body = e.raw(e.as[domain.RoleSupervisor], "POST", "/api/v1/import/changeovers", "text/csv", "line,from_family,to_family,setup_s\nL1,FP,FQ,1\n")
			e.problem(res, body, 403, "role")
		})
	}
}
