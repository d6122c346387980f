package purchasing

import (
	"fmt"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// TestScorecardFromScriptedHistoryOnBoth: ACME delivers 300 kg of steel
// ordered at 13.00/kg (listed 12.50) due 2026-03-05 in three receipts —
// 03-04 and 03-05 on time, 03-06 late — and quality accepts one lot,
// rejects one and accepts one with a deviation; 1000 bolts come in April.
// March by hand: on time 2/3 = 66.67 %; quality 2/3 = 66.67 %; paid
// 300 × 13.00 = 3900.00, listed 300 × 12.50 = 3750.00, variance 150.00 =
// 4.00 %. April: one receipt, on time (due 04-10), nothing inspected, no
// variance.
func TestScorecardFromScriptedHistoryOnBoth(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		x.steelPlan()
		x.sentPO("PO-1", domain.POLine{Material: "STEEL", Quantity: 300_000, Price: 130000, DueDate: "2026-03-05"})
		ok := []domain.InspectionResult{{Characteristic: "thickness", Values: []float64{2, 2, 2}}, {Characteristic: "hardness", Values: []float64{160, 160, 160}}}
		for i, d := range []struct {
			day      int
			decision domain.InspectionDecision
		}{{4, domain.InspectAccept}, {6, domain.InspectReject}, {5, domain.InspectDeviation}} {
			x.now = time.Date(2026, 3, d.day, 10, 0, 0, 0, time.UTC)
			rc, err := x.pur.Receive(x.ctx, "PO-1", 1, ReceiptRequest{Quantity: 100_000, Lot: fmt.Sprintf("S-%d", i)}, wh)
			x.must(err)
			_, err = x.pur.Inspect(x.ctx, rc.ID, InspectionRequest{Decision: d.decision, Results: ok, Reason: "scripted"}, qa)
			x.must(err)
		}
		x.now = time.Date(2026, 3, 31, 10, 0, 0, 0, time.UTC)
		x.sentPO("PO-2", domain.POLine{Material: "BOLT", Quantity: 1000_000, DueDate: "2026-04-10"})
		x.now = time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC)
		_, err := x.pur.Receive(x.ctx, "PO-2", 1, ReceiptRequest{Quantity: 1000_000}, wh)
		x.must(err)

		march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		scs, err := x.pur.Scorecards(x.ctx, "", march, march.AddDate(0, 1, 0))
		x.must(err)
		var acme Scorecard
		for _, sc := range scs {
			if sc.Supplier == "ACME" {
				acme = sc
			}
		}
		f := func(p *float64) string {
			if p == nil {
				return "null"
			}
			return fmt.Sprintf("%.2f", *p)
		}
		got := fmt.Sprintf("%d %d %s | %d %d %d %d %s | %s %s %s %s", acme.Receipts, acme.OnTime, f(acme.OnTimePct), acme.Inspected, acme.Accepted,
			acme.Deviations, acme.Rejected, f(acme.QualityPct), acme.Paid, acme.Listed, acme.PriceVariance, f(acme.PriceVarPct))
		if want := "3 2 66.67 | 3 2 1 1 66.67 | 3900.00 3750.00 150.00 4.00"; got != want {
			t.Fatalf("March: %s\nwant  %s", got, want)
		}
		if len(scs) != 3 || scs[1].Supplier != "GONE" || scs[1].OnTimePct != nil {
			t.Fatalf("every supplier, null without receipts: %+v", scs)
		}
		trend, err := x.pur.Trend(x.ctx, "ACME", march, march.AddDate(0, 2, 0))
		x.must(err)
		if len(trend) != 2 || trend[1].Receipts != 1 || f(trend[1].OnTimePct) != "100.00" || trend[1].QualityPct != nil ||
			trend[1].PriceVariance != 0 || trend[0].Receipts != 3 {
			t.Fatalf("trend %+v", trend)
		}
	})
}
