package httpapi

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/reports"
	"github.com/linewise/linewise/central/store"
)

// TestStoredReportRoutes: after the scripted shift ends the generator
// stores its report; any role lists it and reads it with its figures (the
// hand-computed OEE); a bad kind, date or missing shift is a 400 naming
// the field, an unknown report a 404.
func TestStoredReportRoutes(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := newEnvOn(t, driver)
			e.now = time.Date(2026, 3, 2, 14, 1, 0, 0, time.UTC)
			cfg := oee.DefaultConfig()
			cfg.DayStart, cfg.Timezone = "06:00", "UTC"
			seedScenario(t, e.st)
			got, err := reports.New(e.st, cfg, nil).Tick(context.Background(), e.now)
			if err != nil {
				t.Fatal(err)
			}
			var shift string
			for _, r := range got {
				if r.Kind == reports.KindShift {
					shift = r.Shift
				}
			}
			if shift == "" {
				t.Fatalf("no shift report stored at 14:01: %d reports", len(got))
			}
			res, body := e.do(e.as[domain.RoleOperator], "GET", "/api/v1/reports/stored?from=2026-03-02&to=2026-03-02", nil)
			var list struct {
				Reports []store.StoredReport `json:"reports"`
			}
			if res.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list.Reports) == 0 || list.Reports[0].Revision != 1 {
				t.Fatalf("list: %d %s", res.StatusCode, body)
			}
			res, body = e.do(e.as[domain.RoleManager], "GET", "/api/v1/reports/stored/shift/2026-03-02?shift="+shift, nil)
			var one struct {
				Revision int `json:"revision"`
				Content  struct {
					Lines []struct {
						Line string   `json:"line"`
						OEE  *float64 `json:"oee"`
					} `json:"lines"`
				} `json:"content"`
			}
			if res.StatusCode != 200 || json.Unmarshal(body, &one) != nil || one.Revision != 1 || len(one.Content.Lines) == 0 ||
				one.Content.Lines[0].Line != "L1" || !approx(one.Content.Lines[0].OEE, 0.76089935804301) {
				t.Fatalf("shift report: %d %s", res.StatusCode, body)
			}
			res, body = e.do(e.as[domain.RoleOperator], "GET", "/api/v1/reports/stored/week/2026-03-02", nil)
			e.problem(res, body, 400, "kind")
			res, body = e.do(e.as[domain.RoleOperator], "GET", "/api/v1/reports/stored/shift/2026-03-02", nil)
			e.problem(res, body, 400, "shift")
			res, body = e.do(e.as[domain.RoleOperator], "GET", "/api/v1/reports/stored/day/02-03-2026", nil)
			e.problem(res, body, 400, "date")
			res, body = e.do(e.as[domain.RoleOperator], "GET", "/api/v1/reports/stored/day/2026-02-01", nil)
			e.problem(res, body, 404, "")
		})
	}
}
