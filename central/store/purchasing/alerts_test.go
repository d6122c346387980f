package purchasing

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// TestPurchaseAlertsOnBoth: ACME delivers steel three times in March, one
// late, and quality rejects one lot: ACME is below both scorecard
// thresholds (2 of 3 on time, 2 of 3 accepted) and the rejected lot's
// return is open. Order O-1 makes PAN from steel: the rejected receipt puts
// its work order at risk. A second purchase order line still open after
// its confirmed date is late; received, it is not.
func TestPurchaseAlertsOnBoth(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		x.steelPlan()
		x.must(x.st.CreateProduct(x.ctx, domain.Product{Code: "PAN", Name: "Pan", Unit: "pcs", IdealCycle: time.Second}))
		x.must(x.st.ReplaceBOM(x.ctx, "PAN", []domain.BOMItem{{Component: "STEEL", Quantity: 0.5}}, domain.Actor{Name: "t", Role: domain.RoleAdmin}))
		x.must(x.st.CreateLine(x.ctx, domain.Line{ID: "L1", Name: "Line 1"}))
		x.must(x.st.CreateOrder(x.ctx, domain.Order{Number: "O-1", ProductCode: "PAN", Quantity: 100, Status: domain.StatusReleased}))
		x.must(x.st.CreateWorkOrder(x.ctx, domain.WorkOrder{ID: "O-1-10", OrderNumber: "O-1", OperationSeq: 10, LineID: "L1", Barcode: "O-1-10",
			Quantity: 100, Status: domain.StatusReleased}))
		x.sentPO("PO-1", domain.POLine{Material: "STEEL", Quantity: 300_000, DueDate: "2026-03-05"})
		ok := []domain.InspectionResult{{Characteristic: "thickness", Values: []float64{2, 2, 2}}, {Characteristic: "hardness", Values: []float64{160, 160, 160}}}
		for i, d := range []struct {
			day      int
			decision domain.InspectionDecision
		}{{4, domain.InspectAccept}, {6, domain.InspectReject}, {5, domain.InspectAccept}} {
			x.now = time.Date(2026, 3, d.day, 10, 0, 0, 0, time.UTC)
			rc, err := x.pur.Receive(x.ctx, "PO-1", 1, ReceiptRequest{Quantity: 100_000, Lot: fmt.Sprintf("S-%d", i)}, wh)
			x.must(err)
			_, err = x.pur.Inspect(x.ctx, rc.ID, InspectionRequest{Decision: d.decision, Results: ok, Reason: "scripted"}, qa)
			x.must(err)
		}
		x.sentPO("PO-2", domain.POLine{Material: "STEEL", Quantity: 100_000, DueDate: "2026-03-10", ConfirmedDate: "2026-03-12"})
		show := func(now time.Time) string {
			as, err := x.pur.PurchaseAlerts(x.ctx, now)
			x.must(err)
			var got []string
			for _, a := range as {
				got = append(got, fmt.Sprintf("%s %s %s %s: %s", a.Kind, a.Line, a.WorkOrder, a.Key, a.Detail))
			}
			return strings.Join(got, "\n")
		}
		got := show(time.Date(2026, 3, 12, 18, 0, 0, 0, time.UTC))
		for _, want := range []string{
			"receipt_rejected L1 O-1-10 rejected/", "lot S-1 of STEEL from ACME (purchase order PO-1) rejected by incoming inspection; return RT-",
			"puts order O-1 (work order O-1-10) at risk",
			"supplier_below   supplier/ACME: supplier ACME (Acme Steel) over the last 90 days: on time 66.7 % of 3 receipts (threshold 85 %); accepted 66.7 % of 3 inspected lots (threshold 90 %)",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("alerts on 03-12 lack %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "late_purchase") {
			t.Errorf("PO-2 is not late on its confirmed date:\n%s", got)
		}
		got = show(time.Date(2026, 3, 13, 8, 0, 0, 0, time.UTC))
		if want := "late_purchase L1 O-1-10 late/PO-2/1: purchase order PO-2 line 1 (STEEL from ACME): 100 of 100 still to come, promised for 2026-03-12; puts order O-1"; !strings.Contains(got, want) {
			t.Errorf("alerts on 03-13 lack %q:\n%s", want, got)
		}
		_, err := x.pur.Receive(x.ctx, "PO-2", 1, ReceiptRequest{Quantity: 100_000}, wh)
		x.must(err)
		if got := show(time.Date(2026, 3, 13, 8, 0, 0, 0, time.UTC)); strings.Contains(got, "late_purchase") {
			t.Errorf("received, still late:\n%s", got)
		}
	})
}
