package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// TestStationLotScan: with work order WO-1 (product P, 0.5 kg of Q per
// part) running on L1, an operator scans component lots at station ST-L1:
// a lot of Q in the warehouse moves to the line side and is listed as
// loaded; a lot of another material, a quarantined lot and an unknown code
// are refused saying why, and move nothing.
func TestStationLotScan(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		materialsFixture(t, e)
		ctx := t.Context()
		admin := domain.Actor{Name: "t", Role: domain.RoleAdmin}
		if err := e.st.CreateProduct(ctx, domain.Product{Code: "X", Name: "Other steel", Unit: "kg"}); err != nil {
			t.Fatal(err)
		}
		if err := e.st.ReplaceBOM(ctx, "P", []domain.BOMItem{{Product: "P", Component: "Q", Quantity: 0.5}}, admin); err != nil {
			t.Fatal(err)
		}
		wh := e.as[domain.RoleWarehouse]
		for _, r := range []map[string]any{
			{"lot": "K-1", "material": "Q", "quantity": 20, "to": "WH-A"},
			{"lot": "K-Q", "material": "Q", "quantity": 5, "to": "QA"},
			{"lot": "K-X", "material": "X", "quantity": 5, "to": "WH-A"},
		} {
			if res, body := e.do(wh, "POST", "/api/v1/movements/receipt", r); res.StatusCode != 201 {
				t.Fatalf("receipt %v: %d %s", r["lot"], res.StatusCode, body)
			}
		}
		station := e.client()
		scan := func(code string) ([]byte, int) {
			t.Helper()
			res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": code})
			return body, res.StatusCode
		}
		if body, code := scan("B-1001"); code != 200 {
			t.Fatalf("badge: %d %s", code, body)
		}
		refused := func(code string, status int, want string) {
			t.Helper()
			res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": code})
			if p := e.problem(res, body, status, "code"); !strings.Contains(p.Detail, want) {
				t.Errorf("scan %s: %q; want %q", code, p.Detail, want)
			}
		}
		refused("K-1", 409, "nothing runs on line L1; scan the work order first")
		if body, code := scan("WO-1"); code != 200 || scanResult(t, body).Action != "start" {
			t.Fatalf("start WO-1: %d %s", code, body)
		}
		refused("K-X", 409, "lot K-X is material X, not a component of P (work order WO-1)")
		refused("K-Q", 409, "lot K-Q is quarantine: quality must release it before it is used")
		refused("NOPE-1", 404, "unknown code NOPE-1: not a badge, a work order or a lot")

		body, code := scan("K-1")
		var r LotScanResult
		if err := json.Unmarshal(body, &r); err != nil || code != 200 {
			t.Fatalf("scan K-1: %d %s", code, body)
		}
		if r.Action != "load_lot" || r.Message != "loaded lot K-1 (Q) for WO-1: 20 kg to LS-L1" || r.Load.Moved != 20000 ||
			len(r.Load.Loaded) != 1 || r.Load.Loaded[0].Lot != "K-1" || r.Load.Loaded[0].Quantity != 20000 {
			t.Errorf("scan K-1: %+v", r)
		}
		var loaded []domain.Balance
		e.getInto(station, "/api/v1/stations/ST-L1/material", &loaded)
		if len(loaded) != 1 || loaded[0].Lot != "K-1" || loaded[0].Location != "LS-L1" || loaded[0].Unit != "kg" {
			t.Errorf("loaded at ST-L1: %+v", loaded)
		}
		var bs []domain.Balance
		e.getInto(wh, "/api/v1/stock?material=X", &bs)
		if len(bs) != 1 || bs[0].Location != "WH-A" {
			t.Errorf("refused lot moved: %+v", bs)
		}
		var mvs []domain.Movement
		e.getInto(wh, "/api/v1/movements?lot=K-1&type=transfer", &mvs)
		if len(mvs) != 1 || mvs[0].Actor != "operator" || mvs[0].Reason != "loaded at line L1 for WO-1" {
			t.Errorf("K-1 transfers: %+v", mvs)
		}
	})
}
