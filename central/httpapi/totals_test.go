package httpapi

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

// TestLineTotalsRoute, on SQLite and PostgreSQL: GET /api/v1/lines/{id}/totals
// sums L1's count events by source time over from..to (default: the 24 h
// before now), per work order and unattributed; it needs a sign-in, names a
// bad parameter and 404s an unknown line.
func TestLineTotalsRoute(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := newEnvOn(t, driver)
			ctx := context.Background()
			now := e.now // 2026-03-02 06:00 UTC
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(e.st.CreateOrder(ctx, domain.Order{Number: "PO-9", ProductCode: "P", Quantity: 100, Status: domain.StatusScheduled}))
			must(e.st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-9-10", OrderNumber: "PO-9", OperationSeq: 10, LineID: "L1",
				Barcode: "WO-9-10", Quantity: 100, Status: domain.StatusScheduled}))
			must(e.st.StartWorkOrder(ctx, "WO-9-10", now.Add(-2*time.Hour)))
			ev := func(seq uint64, line string, at time.Time, good, reject int64) wire.Event {
				return wire.Event{EdgeID: "e1", Seq: seq, Line: line, Type: wire.TypeCount, SourceTime: at,
					Count: &wire.Count{Counter: "parts", Good: good, Reject: reject}}
			}
			_, err := e.st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{
				ev(1, "L1", now.Add(-30*time.Hour), 500, 50), // older than 24 h
				ev(2, "L1", now.Add(-3*time.Hour), 8, 1),     // before the run: unattributed
				ev(3, "L1", now.Add(-90*time.Minute), 20, 2), // WO-9-10
				ev(4, "L1", now.Add(-10*time.Minute), 12, 0), // WO-9-10
				ev(5, "L2", now.Add(-time.Hour), 99, 9),      // another line
			}})
			must(err)

			type totals struct {
				Line               string    `json:"line"`
				From               time.Time `json:"from"`
				To                 time.Time `json:"to"`
				Good               int64     `json:"good"`
				Reject             int64     `json:"reject"`
				UnattributedGood   int64     `json:"unattributed_good"`
				UnattributedReject int64     `json:"unattributed_reject"`
				CountEvents        int64     `json:"count_events"`
				WorkOrders         []struct {
					WorkOrder string `json:"work_order"`
					Order     string `json:"order"`
					Good      int64  `json:"good"`
					Reject    int64  `json:"reject"`
				} `json:"work_orders"`
			}
			get := func(query string) totals {
				t.Helper()
				res, body := e.do(e.as[domain.RoleOperator], "GET", "/api/v1/lines/L1/totals"+query, nil)
				if res.StatusCode != 200 {
					t.Fatalf("GET totals%s: %d %s", query, res.StatusCode, body)
				}
				var out totals
				if err := json.Unmarshal(body, &out); err != nil {
					t.Fatal(err)
				}
				return out
			}

			// Default: the 24 hours before now.
			d := get("")
			if d.Good != 40 || d.Reject != 3 || d.UnattributedGood != 8 || d.UnattributedReject != 1 || d.CountEvents != 3 ||
				len(d.WorkOrders) != 1 || d.WorkOrders[0].WorkOrder != "WO-9-10" || d.WorkOrders[0].Order != "PO-9" ||
				d.WorkOrders[0].Good != 32 || d.WorkOrders[0].Reject != 2 {
				t.Errorf("default range: %+v", d)
			}
			if !d.From.Equal(now.Add(-24 * time.Hour)) {
				t.Errorf("default from %v, want %v", d.From, now.Add(-24*time.Hour))
			}
			if !d.To.Equal(now) {
				t.Errorf("default to %v, want now %v", d.To, now)
			}
			// An explicit range, from in another offset: 04:00Z..05:45Z holds event 3 only.
			q := "?" + url.Values{"from": {"2026-03-02T05:00:00+01:00"}, "to": {"2026-03-02T05:45:00Z"}}.Encode()
			if r := get(q); r.Good != 20 || r.Reject != 2 || r.UnattributedGood != 0 || len(r.WorkOrders) != 1 || !r.From.Equal(now.Add(-2*time.Hour)) {
				t.Errorf("04:00Z..05:45Z: %+v, want 20 good 2 reject on WO-9-10", r)
			}
			// to alone: the 24 hours before it.
			if r := get("?to=2026-03-01T12:00:00Z"); r.Good != 500 || r.CountEvents != 1 {
				t.Errorf("24 h before 2026-03-01T12:00Z: %+v, want the old event's 500", r)
			}

			res, body := e.do(nil, "GET", "/api/v1/lines/L1/totals", nil)
			e.problem(res, body, 401, "")
			for _, tc := range []struct{ query, field string }{
				{"?from=yesterday", "from"},
				{"?to=2026-03-02", "to"},
				{"?from=2026-03-02T06:00:00Z&to=2026-03-02T05:00:00Z", "to"},
				{"?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to"},
				{"?from=2026-01-01T00:00:00Z", "from"},
			} {
				res, body := e.do(e.as[domain.RoleOperator], "GET", "/api/v1/lines/L1/totals"+tc.query, nil)
				e.problem(res, body, 400, tc.field)
			}
			res, body = e.do(e.as[domain.RoleOperator], "GET", "/api/v1/lines/L9/totals", nil)
			e.problem(res, body, 404, "id")
		})
	}
}
