package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// TestInspectionFailureHoldsTheWorkOrder: quality sets KIT-300's IPQC
// plan; an operator's inspection at ST-L2 with a value outside the limits
// fails (judged by central), opens a nonconformance, a quality_failure
// exception and a hold; the station then refuses scans and reports of the
// work order with the reason until quality releases the hold, and quality
// decides the nonconformance — on SQLite and PostgreSQL.
func TestInspectionFailureHoldsTheWorkOrder(t *testing.T) {
	onBackends(t, func(t *testing.T, backend func(*Config)) {
		start := time.Now().UTC().Truncate(time.Second)
		a := startApp(t, backend, func(c *Config) {
			c.DemoStart = start.Add(-time.Minute)
			c.Exceptions.Poll = time.Hour
			c.Planning.Auto = false
			c.Execution.ScanRepeatWindow = 0 // the refused scan below repeats the start's code at once
		})
		ctx := context.Background()
		op := newStationClient(t, a)
		qa := newStationClient(t, a)
		qa.must("/api/v1/login", map[string]string{"username": "qa", "password": "qa-demo"}, "qa")
		put := func(c *stationClient, path string, body any) (int, string) {
			t.Helper()
			code, out, _ := c.send("PUT", path, body)
			return code, out
		}
		plan := map[string]any{"sample_size": 3, "hold_on_fail": true, "characteristics": []map[string]any{
			{"name": "thickness_mm", "unit": "mm", "lower": 11.8, "upper": 12.2}, {"name": "weight_g", "lower": 400}}}
		if code, out := put(op, "/api/v1/products/KIT-300/inspection-plans/ipqc", plan); code != 401 && code != 403 {
			t.Errorf("an operator set a plan: %d %s", code, out)
		}
		if code, out := put(qa, "/api/v1/products/KIT-300/inspection-plans/ipqc", map[string]any{"sample_size": 0, "characteristics": []any{}}); code != 400 || !strings.Contains(out, `"field":"sample_size"`) {
			t.Errorf("bad plan: %d %s", code, out)
		}
		if code, out := put(qa, "/api/v1/products/KIT-300/inspection-plans/ipqc", plan); code != 200 {
			t.Fatalf("plan: %d %s", code, out)
		}
		op.must("/api/v1/stations/ST-L2/scan", map[string]string{"code": "B-1001"}, "signed in")
		op.must("/api/v1/stations/ST-L2/scan", map[string]string{"code": "WO-1005-10", "client_id": "s1"}, "started WO-1005-10")
		op.must("/api/v1/stations/ST-L2/output", map[string]any{"work_order": "WO-1005-10", "good": 10, "client_id": "o1"}, "reported 10 good")

		// A sample of the wrong size is refused; a passing one passes.
		if code, out, _ := op.post("/api/v1/stations/ST-L2/inspections", map[string]any{"work_order": "WO-1005-10", "kind": "ipqc", "client_id": "i0",
			"measurements": []map[string]any{{"characteristic": "thickness_mm", "values": []float64{12}}, {"characteristic": "weight_g", "values": []float64{410, 411, 412}}}}); code != 400 || !strings.Contains(out, "sample size is 3") {
			t.Errorf("short sample: %d %s", code, out)
		}
		op.must("/api/v1/stations/ST-L2/inspections", map[string]any{"work_order": "WO-1005-10", "kind": "ipqc", "client_id": "i1",
			"measurements": []map[string]any{{"characteristic": "thickness_mm", "values": []float64{12, 12.1, 11.9}}, {"characteristic": "weight_g", "values": []float64{410, 411, 412}}}}, `"pass":true`)
		// One thickness outside 11.8..12.2: fail, hold, nonconformance.
		fail := map[string]any{"work_order": "WO-1005-10", "kind": "ipqc", "client_id": "i2",
			"measurements": []map[string]any{{"characteristic": "thickness_mm", "values": []float64{12, 12.6, 11.9}}, {"characteristic": "weight_g", "values": []float64{410, 411, 412}}}}
		out := op.must("/api/v1/stations/ST-L2/inspections", fail, `"pass":false`)
		if !strings.Contains(out, `"hold":"HOLD-`) || !strings.Contains(out, `"nonconformance":"NC-`) || !strings.Contains(out, `"failed":1`) {
			t.Fatalf("failed inspection: %s", out)
		}
		// The retry is the same inspection, not a second one.
		if code, again, h := op.post("/api/v1/stations/ST-L2/inspections", fail); code != 200 || again != out || h.Get("Idempotent-Replayed") != "true" {
			t.Errorf("retry: %d %s", code, again)
		}
		// On hold: reports, completion and scans are refused with the reason.
		for _, try := range []struct {
			path string
			body any
		}{
			{"/api/v1/stations/ST-L2/output", map[string]any{"work_order": "WO-1005-10", "good": 5, "client_id": "o2"}},
			{"/api/v1/stations/ST-L2/complete", map[string]any{"work_order": "WO-1005-10", "client_id": "c1"}},
			{"/api/v1/stations/ST-L2/scan", map[string]any{"code": "WO-1005-10", "client_id": "s2"}},
		} {
			if code, body, _ := op.post(try.path, try.body); code != 409 || !strings.Contains(body, "on quality hold") || !strings.Contains(body, "thickness_mm 1 of 3 outside 11.8..12.2") {
				t.Errorf("%s on hold: %d %s", try.path, code, body)
			}
		}
		// The qc event went through ingest: quality_failure is open on L2.
		var xs []domain.Exception
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			_ = a.Exceptions().Evaluate(ctx)
			xs, _ = a.Store().ListExceptions(ctx, domain.ExceptionFilter{Line: "L2", Kind: []domain.ExceptionKind{domain.ExceptionQualityFailure}})
			if len(xs) > 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(xs) != 1 || xs[0].WorkOrder != "WO-1005-10" || !strings.Contains(xs[0].Detail, "thickness_mm = 12.6") {
			t.Fatalf("quality_failure: %+v", xs)
		}

		// Quality sees the hold and the nonconformance, releases and decides.
		_, holds := qa.get("/api/v1/quality/holds")
		id := between(holds, `"id":"`, `"`)
		if !strings.Contains(holds, "WO-1005-10") || id == "" {
			t.Fatalf("holds: %s", holds)
		}
		if code, body, _ := op.post("/api/v1/quality/holds/"+id+"/release", map[string]string{"note": "ok"}); code != 403 {
			t.Errorf("an operator released a hold: %d %s", code, body)
		}
		qa.must("/api/v1/quality/holds/"+id+"/release", map[string]string{"note": "gauge re-checked, parts sorted"}, `"released_by":"qa"`)
		_, ncs := qa.get("/api/v1/quality/nonconformances")
		nc := between(ncs, `"id":"`, `"`)
		if code, body, _ := qa.post("/api/v1/quality/nonconformances/"+nc+"/disposition", map[string]string{"disposition": "use_as_is"}); code != 400 || !strings.Contains(body, `"field":"note"`) {
			t.Errorf("use as is without a note: %d %s", code, body)
		}
		qa.must("/api/v1/quality/nonconformances/"+nc+"/disposition", map[string]string{"disposition": "rework", "note": "regrind"}, `"decided_by":"qa"`)
		if _, left := qa.get("/api/v1/quality/nonconformances"); strings.TrimSpace(left) != "[]" {
			t.Errorf("open nonconformances after the decision: %s", left)
		}
		// Released: the station reports again.
		op.must("/api/v1/stations/ST-L2/output", map[string]any{"work_order": "WO-1005-10", "good": 5, "client_id": "o3"}, "reported 5 good")
		audit, err := a.Store().ListAudit(ctx, domain.AuditFilter{Entity: "work_order", EntityID: "WO-1005-10"})
		if err != nil {
			t.Fatal(err)
		}
		var acts []string
		for _, e := range audit {
			acts = append(acts, e.Action+":"+e.Actor)
		}
		got := strings.Join(acts, " ")
		for _, want := range []string{"inspect_fail:op1", "hold:op1", "release_hold:qa", "inspect_pass:op1"} {
			if !strings.Contains(got, want) {
				t.Errorf("audit lacks %s: %s", want, got)
			}
		}
	})
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}
