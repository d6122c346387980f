package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

// bothDBs runs fn on an env on SQLite and on PostgreSQL.
func bothDBs(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(d, func(t *testing.T) { fn(t, newEnvOn(t, d)) })
	}
}

func auditActions(t *testing.T, e *env, entity, id string) []string {
	t.Helper()
	entries, err := e.st.ListAudit(context.Background(), domain.AuditFilter{Entity: entity, EntityID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range entries {
		if a.Action != "create" {
			out = append(out, a.Action)
		}
	}
	return out
}

// The scanner bounces: the operator scans a work order once and the
// station receives the code twice. The work order starts, and stays
// started (not start then pause); the second answer is the first's.
func TestStationDoubleScanStartsOnce(t *testing.T) {
	bothDBs(t, func(t *testing.T, e *env) {
		station := e.client()
		n := e.draft("P")
		e.force(n, domain.StatusReleased)
		wo := domain.WorkOrderID(n, 10)
		if res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": "B-1001"}); res.StatusCode != 200 {
			t.Fatalf("badge: %d %s", res.StatusCode, body)
		}
		var first, second ScanResult
		res1, body1 := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": wo, "client_id": "a1"})
		e.now = e.now.Add(300 * time.Millisecond)
		res2, body2 := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": wo, "client_id": "a2"})
		if res1.StatusCode != 200 || res2.StatusCode != 200 || json.Unmarshal(body1, &first) != nil || json.Unmarshal(body2, &second) != nil {
			t.Fatalf("scans: %d %s / %d %s", res1.StatusCode, body1, res2.StatusCode, body2)
		}
		if first.Action != "start" || second.Action != "start" || second.Message != first.Message || res2.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("bounce answered %+v after %+v", second, first)
		}
		if w := e.order(n).WorkOrders[0]; w.Status != domain.StatusInProgress {
			t.Errorf("after a bounced scan the work order is %s", w.Status)
		}
		if got := auditActions(t, e, "work_order", wo); len(got) != 1 || got[0] != "start" {
			t.Errorf("audit of %s: %v, want one start", wo, got)
		}
		// A retry of the first request (same client id) later is still the same scan.
		e.now = e.now.Add(time.Minute)
		res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": wo, "client_id": "a1"})
		if res.StatusCode != 200 || res.Header.Get("Idempotent-Replayed") != "true" || e.order(n).WorkOrders[0].Status != domain.StatusInProgress {
			t.Errorf("retry of a1: %d %s", res.StatusCode, body)
		}
		// Past the window a new scan of the code is a new action: pause.
		res, body = e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": wo, "client_id": "a3"})
		var r ScanResult
		if res.StatusCode != 200 || json.Unmarshal(body, &r) != nil || r.Action != "pause" {
			t.Errorf("scan after the window: %d %s", res.StatusCode, body)
		}
	})
}

// The operator presses "Book scrap" and the page sends the entry twice at
// once (a double tap, a retried request): 5 scrapped are booked once.
func TestStationScrapTwiceAtOnceBooksOnce(t *testing.T) {
	bothDBs(t, func(t *testing.T, e *env) {
		n := e.draft("P")
		e.force(n, domain.StatusReleased)
		wo := domain.WorkOrderID(n, 10)
		if err := e.st.StartWorkOrder(context.Background(), wo, e.now); err != nil {
			t.Fatal(err)
		}
		op := e.as[domain.RoleOperator]
		var wg sync.WaitGroup
		codes := make([]int, 4)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, _ := e.do(op, "POST", "/api/v1/stations/ST-L1/scrap",
					map[string]any{"work_order": wo, "quantity": 5, "reason": "burr", "client_id": "scrap-7"})
				codes[i] = res.StatusCode
			}()
		}
		wg.Wait()
		for i, c := range codes {
			if c != 200 {
				t.Errorf("request %d: %d", i, c)
			}
		}
		if w := e.order(n).WorkOrders[0]; w.Reject != 5 {
			t.Errorf("reject %d after one scrap entry sent 4 times, want 5", w.Reject)
		}
	})
}

// Two planners open the same order; the second saves a change on top of
// the first's without reloading: refused with 412, the first's change stands.
func TestOrderEditWithStaleETagIsRefused(t *testing.T) {
	bothDBs(t, func(t *testing.T, e *env) {
		n := e.draft("P")
		pl := e.as[domain.RolePlanner]
		res, body := e.do(pl, "GET", "/api/v1/orders/"+n, nil)
		tag := res.Header.Get("ETag")
		if res.StatusCode != 200 || tag == "" {
			t.Fatalf("get: %d %q %s", res.StatusCode, tag, body)
		}
		res, body = e.do(pl, "PATCH", "/api/v1/orders/"+n, map[string]any{"quantity": 20, "reason": "customer"}, "If-Match", tag)
		if res.StatusCode != 200 || res.Header.Get("ETag") == "" || res.Header.Get("ETag") == tag {
			t.Fatalf("first edit: %d %s (etag %q)", res.StatusCode, body, res.Header.Get("ETag"))
		}
		res, body = e.do(pl, "PATCH", "/api/v1/orders/"+n, map[string]any{"quantity": 30, "reason": "other"}, "If-Match", tag)
		e.problem(res, body, 412, "If-Match")
		if q := e.order(n).Quantity; q != 20 {
			t.Errorf("quantity %d after a stale edit, want 20", q)
		}
		res, body = e.do(pl, "DELETE", "/api/v1/orders/"+n, nil, "If-Match", tag)
		e.problem(res, body, 412, "If-Match")
		res, body = e.do(pl, "POST", "/api/v1/orders/"+n+"/submit", nil, "If-Match", tag)
		e.problem(res, body, 412, "If-Match")

		// A master data record the same way.
		admin := e.as[domain.RoleAdmin]
		res, _ = e.do(admin, "GET", "/api/v1/products/P", nil)
		ptag := res.Header.Get("ETag")
		if ptag == "" {
			t.Fatal("product has no ETag")
		}
		if res, body := e.do(admin, "PATCH", "/api/v1/products/P", map[string]any{"name": "Part A"}, "If-Match", ptag); res.StatusCode != 200 {
			t.Fatalf("product edit: %d %s", res.StatusCode, body)
		}
		res, body = e.do(admin, "PUT", "/api/v1/products/P", map[string]any{"name": "Part B", "unit": "pcs", "ideal_cycle_s": 1}, "If-Match", ptag)
		e.problem(res, body, 412, "If-Match")
		if p, _ := e.st.GetProduct(context.Background(), "P"); p.Name != "Part A" {
			t.Errorf("product name %q after a stale PUT", p.Name)
		}
	})
}

// A supervisor pauses an order while its work order runs and later
// resumes the order: the work order runs again.
func TestOrderResumeResumesItsWorkOrder(t *testing.T) {
	bothDBs(t, func(t *testing.T, e *env) {
		n := e.draft("P")
		e.force(n, domain.StatusReleased)
		wo := domain.WorkOrderID(n, 10)
		if err := e.st.StartWorkOrder(context.Background(), wo, e.now); err != nil {
			t.Fatal(err)
		}
		super := e.as[domain.RoleSupervisor]
		e.now = e.now.Add(time.Minute)
		if res, body := e.do(super, "POST", "/api/v1/orders/"+n+"/pause", nil); res.StatusCode != 200 {
			t.Fatalf("pause: %d %s", res.StatusCode, body)
		}
		e.now = e.now.Add(time.Minute)
		if res, body := e.do(super, "POST", "/api/v1/orders/"+n+"/resume", nil); res.StatusCode != 200 {
			t.Fatalf("resume: %d %s", res.StatusCode, body)
		}
		rec := e.order(n)
		if rec.Status != domain.StatusInProgress || rec.WorkOrders[0].Status != domain.StatusInProgress {
			t.Errorf("after resume: order %s, work order %s", rec.Status, rec.WorkOrders[0].Status)
		}
	})
}

// A line keeps making parts past the order: the station's answer and the
// lines it shows carry the overrun warning once good passes quantity + 5 %.
func TestOverrunShowsAtStation(t *testing.T) {
	bothDBs(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		n := e.draft("P") // quantity 10: the limit is 10 (5 % of 10 rounds down)
		e.force(n, domain.StatusReleased)
		wo := domain.WorkOrderID(n, 10)
		if err := e.st.StartWorkOrder(ctx, wo, e.now); err != nil {
			t.Fatal(err)
		}
		count := func(seq uint64, good int64) {
			t.Helper()
			if _, err := e.st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{{EdgeID: "e1", Seq: seq, Line: "L1",
				Type: wire.TypeCount, SourceTime: e.now.Add(time.Duration(seq) * time.Second), Count: &wire.Count{Good: good}}}}); err != nil {
				t.Fatal(err)
			}
		}
		lines := func() lineJSON {
			t.Helper()
			res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/lines", nil)
			var ls []lineJSON
			if res.StatusCode != 200 || json.Unmarshal(body, &ls) != nil {
				t.Fatalf("lines: %d %s", res.StatusCode, body)
			}
			for _, l := range ls {
				if l.ID == "L1" {
					return l
				}
			}
			t.Fatal("no L1")
			return lineJSON{}
		}
		count(1, 10)
		if l := lines(); l.Overrun || l.OverrunAt != 10 {
			t.Errorf("at quantity: overrun %v at %d", l.Overrun, l.OverrunAt)
		}
		count(2, 1)
		if l := lines(); !l.Overrun || l.Good != 11 {
			t.Errorf("past quantity + tolerance: overrun %v, good %d", l.Overrun, l.Good)
		}
		res, body := e.do(e.as[domain.RoleOperator], "POST", "/api/v1/stations/ST-L1/scrap",
			map[string]any{"work_order": wo, "quantity": 1, "reason": "burr"})
		var r ScanResult
		if res.StatusCode != 200 || json.Unmarshal(body, &r) != nil || !r.Overrun || r.OverrunAt != 10 {
			t.Errorf("station answer: %d %s", res.StatusCode, body)
		}
	})
}

// A three-step order of 100 made 100 at every step: it shows 100 good,
// not 300, and each step's yield on its own.
func TestOrderGoodIsLastOperation(t *testing.T) {
	bothDBs(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sys := domain.Actor{Name: "t", Role: domain.RoleAdmin}
		if err := e.st.ReplaceRouting(ctx, "P", []domain.RoutingOp{{Seq: 10, LineID: "L1"}, {Seq: 20, LineID: "L2"}, {Seq: 30, LineID: "L1"}}, sys); err != nil {
			t.Fatal(err)
		}
		n := e.draft("P")
		e.force(n, domain.StatusReleased)
		seq := uint64(0)
		for i, op := range []struct {
			line    string
			good    int64
			reject  int64
			started time.Duration
		}{{"L1", 100, 4, 0}, {"L2", 100, 0, time.Hour}, {"L1", 100, 1, 2 * time.Hour}} {
			wo := domain.WorkOrderID(n, 10*(i+1))
			at := e.now.Add(op.started)
			if err := e.st.StartWorkOrder(ctx, wo, at); err != nil {
				t.Fatal(err)
			}
			seq++
			if _, err := e.st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{{EdgeID: "e1", Seq: seq, Line: op.line,
				Type: wire.TypeCount, SourceTime: at.Add(time.Minute), Count: &wire.Count{Good: op.good, Reject: op.reject}}}}); err != nil {
				t.Fatal(err)
			}
			if err := e.st.StopWorkOrder(ctx, wo, at.Add(30*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		res, body := e.do(e.as[domain.RolePlanner], "GET", "/api/v1/orders/"+n, nil)
		var got struct {
			Good       int64                   `json:"good"`
			Reject     int64                   `json:"reject"`
			Operations []domain.OperationYield `json:"operations"`
		}
		if res.StatusCode != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("order: %d %s", res.StatusCode, body)
		}
		if got.Good != 100 || got.Reject != 5 || len(got.Operations) != 3 || got.Operations[0].YieldPct == nil ||
			*got.Operations[0].YieldPct < 96.1 || *got.Operations[0].YieldPct > 96.2 || got.Operations[1].Good != 100 {
			t.Errorf("order shows good %d reject %d operations %s", got.Good, got.Reject, body)
		}
	})
}

// The operator at the second line scans operation 20's traveler while
// operation 10 has not started: refused with a reason naming operation 10.
func TestStationRefusesOperationBeforeItsPredecessor(t *testing.T) {
	bothDBs(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sys := domain.Actor{Name: "t", Role: domain.RoleAdmin}
		if err := e.st.ReplaceRouting(ctx, "P", []domain.RoutingOp{{Seq: 10, LineID: "L1"}, {Seq: 20, LineID: "L2"}}, sys); err != nil {
			t.Fatal(err)
		}
		n := e.draft("P")
		e.force(n, domain.StatusReleased)
		station := e.client()
		if res, body := e.do(station, "POST", "/api/v1/stations/ST-L2/scan", map[string]string{"code": "B-1001"}); res.StatusCode != 200 {
			t.Fatalf("badge: %d %s", res.StatusCode, body)
		}
		res, body := e.do(station, "POST", "/api/v1/stations/ST-L2/scan", map[string]string{"code": domain.WorkOrderID(n, 20)})
		p := e.problem(res, body, 409, "code")
		if !strings.Contains(p.Detail, "operation 10") {
			t.Errorf("refusal says %q", p.Detail)
		}
		if w := e.order(n).WorkOrders[1]; w.Status != domain.StatusReleased {
			t.Errorf("operation 20 is %s after a refused scan", w.Status)
		}
	})
}
