package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// TestLotHoldBlocksTheLot: quality puts the demo's coating lot CT-2612 on
// hold; the lot is blocked, the station refuses to load it with the
// reason, a second hold on it is a conflict, and releasing the hold
// releases the lot, which then loads. A failed inspection that names a
// lot holds the lot with the work order; a lot that does not exist is
// refused before anything is written — on SQLite and PostgreSQL.
func TestLotHoldBlocksTheLot(t *testing.T) {
	onBackends(t, func(t *testing.T, backend func(*Config)) {
		a := startApp(t, backend, func(c *Config) {
			c.DemoStart = time.Now().UTC().Add(-time.Minute)
			c.Exceptions.Poll = time.Hour
			c.Planning.Auto = false
			c.Execution.ScanRepeatWindow = 0
		})
		ctx := context.Background()
		op := newStationClient(t, a)
		qa := newStationClient(t, a)
		qa.must("/api/v1/login", map[string]string{"username": "qa", "password": "qa-demo"}, "qa")
		lotStatus := func(id string) domain.LotStatus {
			t.Helper()
			l, err := a.Inventory().GetLot(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return l.Status
		}

		for _, bad := range []struct {
			body  map[string]string
			code  int
			field string
		}{
			{map[string]string{"lot": "CT-0000", "reason": "x"}, 404, "lot"},
			{map[string]string{"lot": "CT-2612", "work_order": "WO-1001-10", "reason": "x"}, 400, "lot"},
			{map[string]string{"lot": "CT-2612"}, 400, "reason"},
		} {
			if code, out, _ := qa.post("/api/v1/quality/holds", bad.body); code != bad.code || !strings.Contains(out, `"field":"`+bad.field+`"`) {
				t.Errorf("hold %v: %d %s", bad.body, code, out)
			}
		}
		if s := lotStatus("CT-2612"); s != domain.LotReleased {
			t.Fatalf("refused holds left CT-2612 %s", s)
		}
		code, out, _ := qa.post("/api/v1/quality/holds", map[string]string{"lot": "CT-2612", "reason": "viscosity out of spec"})
		if code != 201 || !strings.Contains(out, `"lot":"CT-2612"`) || !strings.Contains(out, `"work_order":""`) {
			t.Fatalf("lot hold: %d %s", code, out)
		}
		hold := between(out, `"id":"`, `"`)
		if s := lotStatus("CT-2612"); s != domain.LotBlocked {
			t.Fatalf("held CT-2612 is %s", s)
		}
		if code, out, _ := qa.post("/api/v1/quality/holds", map[string]string{"lot": "CT-2612", "reason": "again"}); code != 409 || !strings.Contains(out, "already on hold") {
			t.Errorf("second hold: %d %s", code, out)
		}
		op.must("/api/v1/stations/ST-L1/scan", map[string]string{"code": "B-1001"}, "signed in")
		if code, out, _ := op.post("/api/v1/stations/ST-L1/scan", map[string]string{"code": "CT-2612", "client_id": "l1"}); code != 409 || !strings.Contains(out, "blocked") {
			t.Errorf("scan of the held lot: %d %s", code, out)
		}
		qa.must("/api/v1/quality/holds/"+hold+"/release", map[string]string{"note": "re-tested: in spec"}, `"released_by":"qa"`)
		if s := lotStatus("CT-2612"); s != domain.LotReleased {
			t.Fatalf("released hold left CT-2612 %s", s)
		}
		op.must("/api/v1/stations/ST-L1/scan", map[string]string{"code": "CT-2612", "client_id": "l2"}, "loaded lot CT-2612")

		// An inspection that names a lot holds it with the work order.
		qa.send("PUT", "/api/v1/products/KIT-300/inspection-plans/oqc", map[string]any{"sample_size": 1, "hold_on_fail": true,
			"characteristics": []map[string]any{{"name": "weight_g", "lower": 400}}})
		op2 := newStationClient(t, a)
		op2.must("/api/v1/stations/ST-L2/scan", map[string]string{"code": "B-1001"}, "signed in")
		op2.must("/api/v1/stations/ST-L2/scan", map[string]string{"code": "WO-1005-10", "client_id": "s1"}, "started WO-1005-10")
		fail := map[string]any{"work_order": "WO-1005-10", "kind": "oqc", "lot": "CT-0000", "client_id": "i1",
			"measurements": []map[string]any{{"characteristic": "weight_g", "values": []float64{390}}}}
		if code, out, _ := op2.post("/api/v1/stations/ST-L2/inspections", fail); code != 404 || !strings.Contains(out, `"field":"lot"`) {
			t.Errorf("inspection of an unknown lot: %d %s", code, out)
		}
		if ins, _ := a.Store().ListInspections(ctx, "WO-1005-10"); len(ins) != 0 {
			t.Errorf("a refused inspection was stored: %+v", ins)
		}
		fail["lot"], fail["client_id"] = "CT-2609", "i2"
		out = op2.must("/api/v1/stations/ST-L2/inspections", fail, `"pass":false`)
		if !strings.Contains(out, `"lot":"CT-2609"`) || !strings.Contains(out, `"lot_hold":"HOLD-`) || !strings.Contains(out, `"hold":"HOLD-`) {
			t.Fatalf("failed inspection of a lot: %s", out)
		}
		// The station's refusal in the operator's language.
		if code, out, _ := op2.post("/api/v1/stations/ST-L2/output?lang=zh-CN", map[string]any{"work_order": "WO-1005-10", "good": 1, "client_id": "o1"}); code != 409 ||
			!strings.Contains(out, "工单 WO-1005-10 已被质量冻结（oqc failed: weight_g 1 of 1 outside") || !strings.Contains(out, `"title":"冲突"`) {
			t.Errorf("refusal in zh-CN: %d %s", code, out)
		}
		if s := lotStatus("CT-2609"); s != domain.LotBlocked {
			t.Errorf("CT-2609 after the failed inspection is %s", s)
		}
		_, holds := qa.get("/api/v1/quality/holds")
		if !strings.Contains(holds, `"lot":"CT-2609"`) || !strings.Contains(holds, `"work_order":"WO-1005-10"`) {
			t.Errorf("open holds: %s", holds)
		}
		audit, err := a.Store().ListAudit(ctx, domain.AuditFilter{Entity: "lot", EntityID: "CT-2612"})
		if err != nil {
			t.Fatal(err)
		}
		var acts []string
		for _, e := range audit {
			acts = append(acts, e.Action+":"+e.Actor)
		}
		got := strings.Join(acts, " ")
		for _, want := range []string{"hold:qa", "status_blocked:qa", "release_hold:qa", "status_released:qa"} {
			if !strings.Contains(got, want) {
				t.Errorf("CT-2612's audit lacks %s: %s", want, got)
			}
		}
	})
}
