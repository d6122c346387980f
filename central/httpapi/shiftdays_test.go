package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// TestShiftDays: a shift's days go through PUT /api/v1/calendars/:line and
// the shifts import, stored in their canonical spelling; a bad day list is
// a 400 naming shifts[i].days, and in an import that row's error (the
// others still go in with ?partial=true).
func TestShiftDays(t *testing.T) {
	e := newEnv(t)
	admin := e.as[domain.RoleAdmin]
	res, body := e.do(admin, "PUT", "/api/v1/calendars/L1", map[string]any{
		"shifts": []map[string]any{{"name": "early", "start": "06:00", "end": "14:00", "days": "monday-friday"},
			{"name": "sat", "start": "06:00", "end": "12:00", "days": "Sat"}, {"name": "late", "start": "14:00", "end": "22:00"}}})
	var cal domain.LineCalendar
	if res.StatusCode != 200 || json.Unmarshal(body, &cal) != nil {
		t.Fatalf("put calendar: %d %s", res.StatusCode, body)
	}
	days := map[string]string{}
	for _, sh := range cal.Shifts {
		days[sh.Name] = sh.Days
	}
	if days["early"] != "Mon-Fri" || days["sat"] != "Sat" || days["late"] != "" {
		t.Errorf("days %v, want early Mon-Fri, sat Sat, late every day (\"\")", days)
	}
	res, body = e.do(admin, "PUT", "/api/v1/calendars/L1", map[string]any{
		"shifts": []map[string]any{{"name": "early", "start": "06:00", "end": "14:00"}, {"name": "late", "start": "14:00", "end": "22:00", "days": "Mo-Fr"}}})
	p := e.problem(res, body, 400, "shifts[1].days")
	if !strings.Contains(p.Detail, `"Mo" is not a day`) {
		t.Errorf("detail %q", p.Detail)
	}

	imp := "line,name,start,end,days\n" +
		"L2,early,06:00,14:00,Mon-Fri\n" + // row 2
		"L2,late,14:00,22:00,Mon;Tue\n" + // row 3: ';' is not a separator
		"L2,night,22:00,06:00,\n" // row 4: every day
	res, body = e.raw(admin, "POST", "/api/v1/import/shifts", "text/csv", imp)
	e.problem(res, body, 422, "days")
	var rej struct {
		Errors []domain.RowError `json:"errors"`
	}
	if err := json.Unmarshal(body, &rej); err != nil || len(rej.Errors) != 1 || rej.Errors[0].Row != 3 || rej.Errors[0].Field != "days" ||
		!strings.Contains(rej.Errors[0].Rule, "Mon-Fri") {
		t.Errorf("errors %+v", rej.Errors)
	}
	if c, _ := e.st.Calendar(context.Background(), "L2"); len(c.Shifts) != 0 {
		t.Errorf("a rejected import wrote shifts: %+v", c.Shifts)
	}
	res, body = e.raw(admin, "POST", "/api/v1/import/shifts?partial=true", "text/csv", imp)
	var rep domain.ImportReport
	if res.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || rep.Created != 2 || len(rep.Errors) != 1 {
		t.Fatalf("partial import: %d %s", res.StatusCode, body)
	}
	c, err := e.st.Calendar(context.Background(), "L2")
	if err != nil || len(c.Shifts) != 2 {
		t.Fatalf("L2 calendar: %+v %v", c, err)
	}
	for _, sh := range c.Shifts {
		if want := map[string]string{"early": "Mon-Fri", "night": ""}[sh.Name]; sh.Days != want {
			t.Errorf("shift %s days %q, want %q", sh.Name, sh.Days, want)
		}
	}
	// The old four-column file still imports (every day).
	res, body = e.raw(admin, "POST", "/api/v1/import/shifts", "text/csv", "line,name,start,end\nL2,early,06:00,14:00\n")
	if res.StatusCode != 200 {
		t.Fatalf("four columns: %d %s", res.StatusCode, body)
	}
	if c, _ := e.st.Calendar(context.Background(), "L2"); c.Shifts[0].Name != "early" || c.Shifts[0].Days != "" {
		t.Errorf("re-import without days: %+v", c.Shifts)
	}
}
