package purchasing

import (
	"errors"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// sentPO writes, approves and sends purchase order number for ACME.
func (x *fixture) sentPO(number string, lines ...domain.POLine) domain.PurchaseOrder {
	x.t.Helper()
	_, err := x.po(number, "ACME", lines...)
	x.must(err)
	_, err = x.pur.ActPO(x.ctx, number, domain.POActApprove, "", buyer)
	x.must(err)
	po, err := x.pur.ActPO(x.ctx, number, domain.POActSend, "", buyer)
	x.must(err)
	return po
}

// steelPlan: STEEL is inspected on receipt, 3 pieces of the sample, for
// thickness 1.95..2.05 mm (a gauge reads 0..20 mm) and hardness 150..180 HB.
func (x *fixture) steelPlan() {
	x.t.Helper()
	_, err := x.pur.PutInspectionPlan(x.ctx, domain.InspectionPlan{Material: "STEEL", Required: true, SampleSize: 3,
		Characteristics: []domain.Characteristic{
			{Name: "thickness", Unit: "mm", Lower: 1.95, Upper: 2.05, PhysicalMin: 0, PhysicalMax: 20},
			{Name: "hardness", Unit: "HB", Lower: 150, Upper: 180, PhysicalMin: 0, PhysicalMax: 700},
		}}, qa)
	x.must(err)
}

func TestReceiptTolerancesAndRefusalsOnBoth(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		x.sentPO("PO-1", domain.POLine{Material: "BOLT", Quantity: 1000_000, DueDate: "2026-03-05"},
			domain.POLine{Material: "STEEL", Quantity: 200_000, DueDate: "2026-03-05"})
		// BOLT needs no inspection: straight to the warehouse, released.
		rc, err := x.pur.Receive(x.ctx, "PO-1", 1, ReceiptRequest{Quantity: 400_000, SupplierLot: "ACME-77"}, wh)
		x.must(err)
		lot, err := x.inv.GetLot(x.ctx, rc.Lot)
		x.must(err)
		if rc.Lot != "PO-1-1-1" || rc.Location != "WH-A" || rc.Inspection != "none" || !rc.OnTime || lot.Status != domain.LotReleased ||
			lot.OnHand != 400_000 || lot.SupplierLot != "ACME-77" {
			t.Fatalf("receipt %+v lot %+v", rc, lot)
		}
		po, err := x.pur.GetPO(x.ctx, "PO-1")
		x.must(err)
		if po.Status != domain.POPartiallyReceived || po.Lines[0].Received != 400_000 {
			t.Fatalf("after a partial receipt %+v", po)
		}
		// 1000 ordered, 5 % tolerance: at most 1050 in all.
		_, err = x.pur.Receive(x.ctx, "PO-1", 1, ReceiptRequest{Quantity: 651_000}, wh)
		fieldErr(t, err, "quantity", "beyond the 5 % tolerance (at most 650 more)")
		// Late (after the due date of the 5th): not on time.
		x.now = time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
		rc, err = x.pur.Receive(x.ctx, "PO-1", 1, ReceiptRequest{Quantity: 650_000}, wh)
		x.must(err)
		if rc.OnTime || rc.PromisedBy != "2026-03-05" || rc.Lot != "PO-1-1-2" {
			t.Fatalf("late receipt %+v", rc)
		}
		_, err = x.pur.Receive(x.ctx, "PO-1", 9, ReceiptRequest{Quantity: 1}, wh)
		if !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("line 9: %v", err)
		}
		_, err = x.pur.Receive(x.ctx, "PO-1", 2, ReceiptRequest{Quantity: 1000, Lot: "PO-1-1-1"}, wh)
		fieldErr(t, err, "lot", "lot PO-1-1-1 exists")
		// Closing the order closes the steel line short: nothing more comes.
		_, err = x.pur.ActPO(x.ctx, "PO-1", domain.POActClose, "rest not needed", buyer)
		x.must(err)
		_, err = x.pur.Receive(x.ctx, "PO-1", 2, ReceiptRequest{Quantity: 1000}, wh)
		fieldErr(t, err, "status", "purchase order PO-1 is closed")
		// A cancelled order and a draft take no receipts.
		x.sentPO("PO-2", domain.POLine{Material: "BOLT", Quantity: 1000, DueDate: "2026-03-20"})
		_, err = x.pur.ActPO(x.ctx, "PO-2", domain.POActCancel, "duplicate", buyer)
		x.must(err)
		_, err = x.pur.Receive(x.ctx, "PO-2", 1, ReceiptRequest{Quantity: 1000}, wh)
		fieldErr(t, err, "status", "purchase order PO-2 is cancelled")
		_, err = x.po("PO-3", "ACME", domain.POLine{Material: "BOLT", Quantity: 1000, DueDate: "2026-03-20"})
		x.must(err)
		_, err = x.pur.Receive(x.ctx, "PO-3", 1, ReceiptRequest{Quantity: 1000}, wh)
		fieldErr(t, err, "status", "purchase order PO-3 is draft")
	})
}

func TestReceiptInspectionReleaseAndBlockOnBoth(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		x.steelPlan()
		x.sentPO("PO-1", domain.POLine{Material: "STEEL", Quantity: 300_000, DueDate: "2026-03-05"})
		_, err := x.pur.Receive(x.ctx, "PO-1", 1, ReceiptRequest{Quantity: 100_000, Location: "WH-A"}, wh)
		fieldErr(t, err, "location", "receive it into a quarantine location, not WH-A")
		good, err := x.pur.Receive(x.ctx, "PO-1", 1, ReceiptRequest{Quantity: 100_000, Lot: "S-GOOD"}, wh)
		x.must(err)
		lot, err := x.inv.GetLot(x.ctx, "S-GOOD")
		x.must(err)
		if good.Location != "QA" || good.Inspection != "pending" || lot.Status != domain.LotQuarantine {
			t.Fatalf("into quarantine: %+v %+v", good, lot)
		}
		ok := []domain.InspectionResult{{Characteristic: "thickness", Values: []float64{2.00, 1.98, 2.02}},
			{Characteristic: "hardness", Values: []float64{160, 165, 170}}}
		// Bad entries name the value.
		_, err = x.pur.Inspect(x.ctx, good.ID, InspectionRequest{Decision: domain.InspectAccept, Results: []domain.InspectionResult{
			{Characteristic: "thickness", Values: []float64{2.00, 200, 2.02}}, ok[1]}}, qa)
		fieldErr(t, err, "results[0].values[1]", "200 mm is outside what thickness can physically measure (0 to 20)")
		_, err = x.pur.Inspect(x.ctx, good.ID, InspectionRequest{Decision: domain.InspectAccept, Results: ok[:1]}, qa)
		fieldErr(t, err, "results", `characteristic "hardness" of the inspection plan has no values`)
		_, err = x.pur.Inspect(x.ctx, good.ID, InspectionRequest{Decision: domain.InspectAccept, Results: []domain.InspectionResult{
			ok[0], {Characteristic: "hardness", Values: []float64{160}}}}, qa)
		fieldErr(t, err, "results[1].values", "must hold the sample's 3 values (has 1)")
		_, err = x.pur.Inspect(x.ctx, good.ID, InspectionRequest{Decision: domain.InspectAccept, Results: []domain.InspectionResult{
			ok[0], {Characteristic: "hardness", Values: []float64{160, 190, 170}}}}, qa)
		fieldErr(t, err, "decision", "1 measured values are outside their limits")
		_, err = x.pur.Inspect(x.ctx, good.ID, InspectionRequest{Decision: domain.InspectReject, Results: ok}, qa)
		fieldErr(t, err, "reason", "is required to reject")

		in, err := x.pur.Inspect(x.ctx, good.ID, InspectionRequest{Decision: domain.InspectAccept, Results: ok}, qa)
		x.must(err)
		lot, err = x.inv.GetLot(x.ctx, "S-GOOD")
		x.must(err)
		stock, err := x.inv.Stock(x.ctx, domain.StockFilter{Lot: "S-GOOD"})
		x.must(err)
		if in.Decision != domain.InspectAccept || lot.Status != domain.LotReleased || len(stock) != 1 || stock[0].Location != "WH-A" ||
			stock[0].Quantity != 100_000 {
			t.Fatalf("accepted: %+v lot %+v stock %+v", in, lot, stock)
		}
		_, err = x.pur.Inspect(x.ctx, good.ID, InspectionRequest{Decision: domain.InspectAccept, Results: ok}, qa)
		fieldErr(t, err, "receipt", "has inspection accept")

		// A second lot is soft: rejected, blocked, returned.
		bad, err := x.pur.Receive(x.ctx, "PO-1", 1, ReceiptRequest{Quantity: 100_000, Lot: "S-BAD"}, wh)
		x.must(err)
		in, err = x.pur.Inspect(x.ctx, bad.ID, InspectionRequest{Decision: domain.InspectReject, Reason: "too soft", Results: []domain.InspectionResult{
			ok[0], {Characteristic: "hardness", Values: []float64{120, 125, 130}}}}, qa)
		x.must(err)
		lot, err = x.inv.GetLot(x.ctx, "S-BAD")
		x.must(err)
		rets, err := x.pur.ListReturns(x.ctx, "ACME", "open")
		x.must(err)
		if lot.Status != domain.LotBlocked || in.Return == "" || len(rets) != 1 || rets[0].Lot != "S-BAD" || rets[0].Quantity != 100_000 ||
			in.Results[1].Out != 3 {
			t.Fatalf("rejected: %+v lot %+v returns %+v", in, lot, rets)
		}
		// A third within a deviation: released with the reason.
		dev, err := x.pur.Receive(x.ctx, "PO-1", 1, ReceiptRequest{Quantity: 100_000, Lot: "S-DEV"}, wh)
		x.must(err)
		_, err = x.pur.Inspect(x.ctx, dev.ID, InspectionRequest{Decision: domain.InspectDeviation, Reason: "hardness 182 accepted by engineering",
			Results: []domain.InspectionResult{ok[0], {Characteristic: "hardness", Values: []float64{160, 182, 170}}}}, qa)
		x.must(err)
		lot, err = x.inv.GetLot(x.ctx, "S-DEV")
		x.must(err)
		got, err := x.pur.GetInspection(x.ctx, dev.ID)
		x.must(err)
		if lot.Status != domain.LotReleased || got.Decision != domain.InspectDeviation || got.Results[1].Out != 1 {
			t.Fatalf("deviation: lot %+v inspection %+v", lot, got)
		}
		po, err := x.pur.GetPO(x.ctx, "PO-1")
		x.must(err)
		if po.Status != domain.POReceived || po.Lines[0].Received != 300_000 {
			t.Fatalf("all received: %+v", po)
		}
		pend, err := x.pur.ListReceipts(x.ctx, ReceiptFilter{Inspection: "pending"})
		x.must(err)
		if len(pend) != 0 {
			t.Fatalf("pending %+v", pend)
		}
	})
}
