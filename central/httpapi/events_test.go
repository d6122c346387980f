package httpapi

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

// TestEventsPaging, on SQLite and PostgreSQL: GET /api/v1/events pages
// through a line's events newest first by cursor (following the Link
// header) without losing or repeating one, also where events share a
// source time; it filters by type, work order and source-time range, and
// names a bad parameter.
func TestEventsPaging(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := newEnvOn(t, driver)
			e.now = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
			seedScenario(t, e.st)                                // 15 state and 7 count events on L1 from edge e1
			tie := time.Date(2026, 3, 2, 11, 30, 0, 0, time.UTC) // the time of a count of e1
			_, err := e.st.ApplyBatch(context.Background(), wire.Batch{Version: wire.Version, EdgeID: "e2", Events: []wire.Event{
				{EdgeID: "e2", Seq: 1, Line: "L1", Type: wire.TypeCount, SourceTime: tie, Count: &wire.Count{Counter: "aux", Good: 1}},
				{EdgeID: "e2", Seq: 2, Line: "L1", Type: wire.TypeCount, SourceTime: tie, Count: &wire.Count{Counter: "aux", Good: 1}},
				{EdgeID: "e2", Seq: 3, Line: "L2", Type: wire.TypeCount, SourceTime: tie, Count: &wire.Count{Counter: "aux", Good: 1}},
			}})
			if err != nil {
				t.Fatal(err)
			}
			client := e.as[domain.RoleSupervisor]
			list := func(path string) ([]domain.EventRecord, string) {
				t.Helper()
				res, body := e.do(client, "GET", path, nil)
				if res.StatusCode != 200 {
					t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
				}
				var evs []domain.EventRecord
				if err := json.Unmarshal(body, &evs); err != nil {
					t.Fatal(err)
				}
				next := ""
				if link := res.Header.Get("Link"); link != "" {
					next = strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
					if res.Header.Get("X-Next-Cursor") == "" || !strings.Contains(next, "cursor="+res.Header.Get("X-Next-Cursor")) {
						t.Errorf("Link %q and X-Next-Cursor %q disagree", link, res.Header.Get("X-Next-Cursor"))
					}
				}
				return evs, next
			}

			// Every L1 event once, newest first, 4 per page.
			seen := map[string]bool{}
			var all []domain.EventRecord
			pages := 0
			for path := "/api/v1/events?line=L1&limit=4"; path != ""; pages++ {
				evs, next := list(path)
				if len(evs) == 0 || len(evs) > 4 {
					t.Fatalf("page %d of %s: %d events", pages, path, len(evs))
				}
				for _, ev := range evs {
					key := ev.EdgeID + "/" + strconvU(ev.Seq)
					if seen[key] {
						t.Errorf("event %s twice", key)
					}
					seen[key] = true
				}
				all = append(all, evs...)
				path = next
			}
			if len(all) != 24 || pages != 6 {
				t.Errorf("%d events in %d pages, want 24 in 6", len(all), pages)
			}
			for i := 1; i < len(all); i++ {
				if all[i].SourceTime.After(all[i-1].SourceTime) {
					t.Errorf("event %d (%v) newer than the one before (%v)", i, all[i].SourceTime, all[i-1].SourceTime)
				}
			}
			// Three events at 11:30: paging one at a time crosses them all.
			var atTie []string
			tieQuery := url.Values{"line": {"L1"}, "limit": {"1"}, "from": {tie.Format(time.RFC3339)},
				"to": {tie.Add(time.Second).Format(time.RFC3339)}}
			for path := "/api/v1/events?" + tieQuery.Encode(); path != ""; {
				evs, next := list(path)
				for _, ev := range evs {
					atTie = append(atTie, ev.EdgeID+"/"+strconvU(ev.Seq))
				}
				path = next
			}
			if strings.Join(atTie, " ") != "e2/2 e2/1 e1/20" { // e1/20: the scenario's count of 11:30
				t.Errorf("events at 11:30: %v, want e2/2 e2/1 e1/20", atTie)
			}

			// Filters: WO-B's counts (the scenario's four and e2's two); the
			// states of 07:00..09:00.
			evs, next := list("/api/v1/events?line=L1&type=count&work_order=WO-B")
			if len(evs) != 6 || next != "" || *evs[0].WorkOrderID != "WO-B" || !evs[0].SourceTime.Equal(time.Date(2026, 3, 2, 13, 59, 0, 0, time.UTC)) {
				t.Errorf("WO-B counts: %d, next %q: %+v", len(evs), next, evs)
			}
			evs, _ = list("/api/v1/events?line=L1&type=state&from=2026-03-02T07:00:00Z&to=2026-03-02T09:00:00Z")
			if len(evs) != 6 || evs[0].Type != "state" || !evs[5].SourceTime.Equal(time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)) {
				t.Errorf("states 07:00..09:00: %d %+v", len(evs), evs)
			}

			for _, tc := range []struct{ query, field string }{
				{"?line=L1&type=alarm", "type"},
				{"?line=L1&work_order=WO%20B", "work_order"},
				{"?line=L1&from=today", "from"},
				{"?line=L1&from=2026-03-02T09:00:00Z&to=2026-03-02T09:00:00Z", "to"},
				{"?line=L1&cursor=not-a-cursor", "cursor"},
				{"?line=L1&cursor=" + url.QueryEscape("!!"), "cursor"},
			} {
				res, body := e.do(client, "GET", "/api/v1/events"+tc.query, nil)
				e.problem(res, body, 400, tc.field)
			}
		})
	}
}

func strconvU(u uint64) string {
	b, _ := json.Marshal(u)
	return string(b)
}
