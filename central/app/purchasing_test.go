package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store/purchasing"
)

// TestPurchasingKeys: the defaults, and each bad key named with its line.
func TestPurchasingKeys(t *testing.T) {
	d := DefaultConfig().Purchasing
	if d.Currency != "CNY" || d.ApprovalLimits["buyer"] != "50000" || d.ApprovalLimits["manager"] != "unlimited" || d.ReceiptTolerancePct != 5 {
		t.Fatalf("defaults %+v", d)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	body := "purchasing:\n  currency: cny\n  approval_limits:\n    buyer: lots\n    boss: \"1\"\n  exchange_rates:\n    USD: \"-1\"\n  receipt_tolerance_pct: 300\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	for _, want := range []string{
		":2: purchasing.currency:",
		":4: purchasing.approval_limits.buyer:",
		":5: purchasing.approval_limits.boss: \"boss\" is not a role",
		":7: purchasing.exchange_rates.USD:",
		":8: purchasing.receipt_tolerance_pct: 300 must be a percentage from 0 to 100",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
	if err := os.WriteFile(path, []byte("purchasing:\n  approval_limits:\n    buyer: \"1000\"\n    planner: \"200.50\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil || cfg.Purchasing.ApprovalLimits["buyer"] != "1000" || cfg.Purchasing.ApprovalLimits["manager"] != "unlimited" ||
		cfg.Purchasing.ApprovalLimits["planner"] != "200.50" {
		t.Fatalf("limits %+v %v", cfg.Purchasing.ApprovalLimits, err)
	}
}

// TestDemoPurchasingAndOutsourcing: the demo plant has the supplier file,
// purchase order PUR-2601 sent to FDY, and one outsourced operation —
// PO-1003's pressing at PLT, approved by the manager (its subcontract
// purchase order sent) with the 1,200 blanks at PLT's location.
func TestDemoPurchasingAndOutsourcing(t *testing.T) {
	a := startApp(t)
	ctx := t.Context()
	po, err := a.Purchasing().GetPO(ctx, "PUR-2601")
	if err != nil || po.Status != domain.POSent || po.Supplier != "FDY" {
		t.Fatalf("PUR-2601: %v %+v", err, po)
	}
	scs, err := a.Purchasing().ListSubcontracts(ctx, purchasing.SubcontractFilter{})
	if err != nil || len(scs) != 1 {
		t.Fatalf("subcontracts: %v %+v", err, scs)
	}
	sc := scs[0]
	if sc.WorkOrder != "WO-1003-10" || sc.Supplier != "PLT" || sc.Status != domain.SubAtSupplier || sc.ApprovedBy != "mgr" ||
		sc.RequestedBy != "plan" || sc.Sent != 1200 || sc.AtSupplier != 1200 || sc.Location != "SUB-PLT" {
		t.Fatalf("the outsourced operation: %+v", sc)
	}
	sub, err := a.Purchasing().GetPO(ctx, sc.PO)
	if err != nil || !sub.Subcontract || sub.Status != domain.POSent || sub.Total.String() != "1440.00" {
		t.Fatalf("subcontract purchase order: %v %+v", err, sub)
	}
	bs, err := a.Inventory().Stock(ctx, domain.StockFilter{Location: "SUB-PLT"})
	if err != nil || len(bs) != 1 || bs[0].Lot != "BLK280-2612" || bs[0].Quantity != 1200*domain.QtyScale {
		t.Fatalf("stock at PLT: %v %+v", err, bs)
	}
}

// TestPurchasingAlertsThroughCentral: ten days into the demo, purchase
// order PUR-2601 (3,000 blanks, promised for day 7) has not arrived and
// the outsourced pressing of PO-1003 (due back on day 5) is still at PLT:
// late_purchase opens on the work orders that need the blanks and
// subcontract_late on WO-1003-10. Receiving both resolves them.
func TestPurchasingAlertsThroughCentral(t *testing.T) {
	e := newExcEnv(t)
	ctx := context.Background()
	e.clock.Set(e.start.Add(10 * 24 * time.Hour))
	all := func(kind domain.ExceptionKind) []domain.Exception {
		xs, err := e.a.Store().ListExceptions(ctx, domain.ExceptionFilter{Kind: []domain.ExceptionKind{kind}})
		if err != nil {
			t.Fatal(err)
		}
		return xs
	}
	evaluate := func() {
		t.Helper()
		if err := e.a.Exceptions().Evaluate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	evaluate()
	late := all(domain.ExceptionLatePurchase)
	if len(late) == 0 {
		t.Fatal("no late_purchase")
	}
	wos := map[string]bool{}
	for _, x := range late {
		wos[x.WorkOrder] = true
		if x.Status != domain.ExceptionOpen || !strings.Contains(x.Detail, "purchase order PUR-2601 line 1 (BLK-280 from FDY): 3000 of 3000 still to come") ||
			!strings.Contains(x.Detail, "at risk") {
			t.Errorf("late_purchase: %+v", x)
		}
	}
	if !wos["WO-1001-10"] || !wos["WO-1003-10"] {
		t.Errorf("late_purchase on work orders %v; want those of the brake discs BRK-100 (WO-1001-10, WO-1003-10)", wos)
	}
	sub := all(domain.ExceptionSubcontractLate)
	if len(sub) != 1 || sub[0].WorkOrder != "WO-1003-10" || sub[0].Line != "L2" || !strings.Contains(sub[0].Detail, "1200 parts not back") {
		t.Fatalf("subcontract_late: %+v", sub)
	}

	wh := domain.Actor{Name: "wh", Role: domain.RoleWarehouse}
	if _, err := e.a.Purchasing().Receive(ctx, "PUR-2601", 1, purchasing.ReceiptRequest{Quantity: 3000 * domain.QtyScale}, wh); err != nil {
		t.Fatal(err)
	}
	scs, err := e.a.Purchasing().ListSubcontracts(ctx, purchasing.SubcontractFilter{WorkOrder: "WO-1003-10"})
	if err != nil || len(scs) != 1 {
		t.Fatal(err, scs)
	}
	if _, err := e.a.Purchasing().ReceiveSubcontract(ctx, scs[0].ID, purchasing.ReturnRequest{Quantity: 1200}, wh); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.start.Add(10*24*time.Hour + time.Minute))
	evaluate()
	for _, kind := range []domain.ExceptionKind{domain.ExceptionLatePurchase, domain.ExceptionSubcontractLate} {
		for _, x := range all(kind) {
			if x.Status != domain.ExceptionResolved || x.ResolvedBy != domain.SystemActor {
				t.Errorf("%s after the receipts: %+v", kind, x)
			}
		}
	}
}
