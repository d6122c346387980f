package purchasing

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/inventory"
	"github.com/linewise/linewise/central/store/pgtest"
)

var (
	buyer   = domain.Actor{Name: "bea", Role: domain.RoleBuyer}
	manager = domain.Actor{Name: "max", Role: domain.RoleManager}
	wh      = domain.Actor{Name: "wh", Role: domain.RoleWarehouse}
	qa      = domain.Actor{Name: "qa", Role: domain.RoleQuality}
)

// fixture: materials STEEL (kg) and BOLT (pcs); supplier ACME approved
// for both (STEEL 12.50/kg, MOQ 100 kg in 50s; BOLT 0.0125/pc), supplier
// SHADY approved for nothing, supplier GONE blocked; locations WH-A and
// QA (quarantine). The clock is 2026-03-02 08:00 UTC.
type fixture struct {
	t   *testing.T
	st  *store.Store
	inv *inventory.Store
	pur *Store
	ctx context.Context
	now time.Time
}

func onBoth(t *testing.T, f func(t *testing.T, x *fixture)) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) { f(t, newFixture(t, driver)) })
	}
}

func newFixture(t *testing.T, driver string) *fixture {
	t.Helper()
	ctx := context.Background()
	dsn := store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db"))
	if driver == store.DriverPostgres {
		dsn = pgtest.Schema(t)
	}
	x := &fixture{t: t, ctx: ctx, now: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	st, err := store.Open(ctx, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	x.st, x.inv = st, inventory.New(st.Handle())
	x.pur = New(st.Handle(), x.inv, domain.DefaultPurchasingRules())
	x.pur.SetClock(func() time.Time { return x.now })
	x.must(st.CreateProduct(ctx, domain.Product{Code: "STEEL", Name: "Steel strip", Unit: "kg"}))
	x.must(st.CreateProduct(ctx, domain.Product{Code: "BOLT", Name: "Bolt M6", Unit: "pcs"}))
	for _, l := range []domain.Location{
		{ID: "WH-A", Name: "Rack A", Kind: domain.LocWarehouse, Warehouse: "WH1"},
		{ID: "QA", Name: "Quarantine", Kind: domain.LocQuarantine, Warehouse: "WH1"},
	} {
		_, err := x.inv.CreateLocation(ctx, l, wh)
		x.must(err)
	}
	for _, sp := range []domain.Supplier{
		{Code: "ACME", Name: "Acme Steel", Status: domain.SupplierApproved, Contacts: []domain.Contact{{Name: "Li Wei", Email: "li@acme.example"}}},
		{Code: "SHADY", Name: "Shady Metals", Status: domain.SupplierProbation},
		{Code: "GONE", Name: "Gone Ltd", Status: domain.SupplierBlocked},
	} {
		_, _, err := x.pur.PutSupplier(ctx, sp, buyer)
		x.must(err)
	}
	_, err = x.pur.ReplaceSupplierItems(ctx, "ACME", []domain.SupplierItem{
		{Material: "STEEL", LeadTimeDays: 10, Price: 125000, Currency: "CNY", ValidTo: "2026-12-31", MOQ: 100_000, Multiple: 50_000, Preferred: true},
		{Material: "BOLT", LeadTimeDays: 5, Price: 125, Currency: "CNY"},
	}, buyer)
	x.must(err)
	_, err = x.pur.ReplaceSupplierItems(ctx, "GONE", []domain.SupplierItem{{Material: "BOLT", Price: 100, Currency: "CNY"}}, buyer)
	x.must(err)
	return x
}

func (x *fixture) must(err error) {
	x.t.Helper()
	if err != nil {
		x.t.Fatal(err)
	}
}

// fieldErr asserts err is a field error of field whose rule says want.
func fieldErr(t *testing.T, err error, field, want string) {
	t.Helper()
	var fe *domain.FieldError
	if !errors.As(err, &fe) || fe.Field != field || !strings.Contains(fe.Rule, want) {
		t.Fatalf("got %v; want a field error of %s saying %q", err, field, want)
	}
}

func (x *fixture) po(number, supplier string, lines ...domain.POLine) (domain.PurchaseOrder, error) {
	return x.pur.CreatePO(x.ctx, domain.PurchaseOrder{Number: number, Supplier: supplier, Lines: lines}, buyer)
}

func TestSupplierFileOnBoth(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		sp, err := x.pur.GetSupplier(x.ctx, "ACME")
		x.must(err)
		if len(sp.Items) != 2 || sp.Items[1].Material != "STEEL" || sp.Items[1].Price.String() != "12.50" || sp.Items[1].Unit != "kg" ||
			sp.Contacts[0].Email != "li@acme.example" {
			t.Fatalf("ACME %+v", sp)
		}
		// STEEL preferred at SHADY takes the mark from ACME.
		_, err = x.pur.ReplaceSupplierItems(x.ctx, "SHADY", []domain.SupplierItem{{Material: "STEEL", Price: 110000, Currency: "CNY", Preferred: true}}, buyer)
		x.must(err)
		items, err := x.pur.SuppliersOf(x.ctx, "STEEL")
		x.must(err)
		if len(items) != 2 || items[0].Supplier != "SHADY" || !items[0].Preferred || items[1].Preferred {
			t.Fatalf("suppliers of STEEL %+v", items)
		}
		_, err = x.pur.ReplaceSupplierItems(x.ctx, "ACME", []domain.SupplierItem{{Material: "NOPE", Currency: "CNY"}}, buyer)
		fieldErr(t, err, "[0].material", "does not exist")
		_, err = x.pur.ReplaceSupplierItems(x.ctx, "ACME", []domain.SupplierItem{{Material: "BOLT", Currency: "cny"}}, buyer)
		fieldErr(t, err, "[0].currency", "three-letter")
		_, _, err = x.pur.PutSupplier(x.ctx, domain.Supplier{Code: "X", Name: "X", Status: "maybe"}, buyer)
		fieldErr(t, err, "status", "approved, probation, blocked")
	})
}

func TestPurchaseOrderRefusesBadSupplierAndTermsOnBoth(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		due := "2026-03-20"
		_, err := x.po("PO-1", "SHADY", domain.POLine{Material: "STEEL", Quantity: 100_000, DueDate: due})
		fieldErr(t, err, "lines[0].material", "supplier SHADY is not approved for material STEEL")
		_, err = x.po("PO-1", "GONE", domain.POLine{Material: "BOLT", Quantity: 100_000, DueDate: due})
		fieldErr(t, err, "supplier", "supplier GONE is blocked")
		_, err = x.po("PO-1", "ACME", domain.POLine{Material: "STEEL", Quantity: 60_000, DueDate: due})
		fieldErr(t, err, "lines[0].quantity", "minimum order quantity of 100 kg")
		_, err = x.po("PO-1", "ACME", domain.POLine{Material: "STEEL", Quantity: 120_000, DueDate: due})
		fieldErr(t, err, "lines[0].quantity", "not a multiple of 50 kg")
		_, err = x.po("PO-1", "ACME", domain.POLine{Material: "STEEL", Quantity: 100_000, DueDate: "March"})
		fieldErr(t, err, "lines[0].due_date", "date")
		// The price is the supplier's while valid; after it expires one must be given.
		x.now = time.Date(2027, 1, 5, 8, 0, 0, 0, time.UTC)
		_, err = x.po("PO-1", "ACME", domain.POLine{Material: "STEEL", Quantity: 100_000, DueDate: due})
		fieldErr(t, err, "lines[0].price", "valid open to 2026-12-31, not today (2027-01-05)")
		po, err := x.po("PO-1", "ACME", domain.POLine{Material: "STEEL", Quantity: 100_000, Price: 130000, DueDate: due})
		x.must(err)
		if po.Total.String() != "1300.00" || po.Currency != "CNY" || po.Status != domain.PODraft {
			t.Fatalf("PO-1 %+v", po)
		}
		_, err = x.po("PO-1", "ACME", domain.POLine{Material: "BOLT", Quantity: 1000, DueDate: due})
		fieldErr(t, err, "number", "already exists")
	})
}

// TestPurchaseOrderLifecycleWithApprovalLimitsOnBoth: the default limits
// are a buyer up to 50,000 CNY and a manager any amount; nobody else.
func TestPurchaseOrderLifecycleWithApprovalLimitsOnBoth(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		due := "2026-03-20"
		// 4,000 kg × 12.50 = 50,000.00: exactly the buyer's limit.
		small, err := x.po("PO-S", "ACME", domain.POLine{Material: "STEEL", Quantity: 4_000_000, DueDate: due})
		x.must(err)
		// 4,000 kg + 200 bolts × 0.0125 = 50,002.50: above it.
		big, err := x.po("PO-B", "ACME", domain.POLine{Material: "STEEL", Quantity: 4_000_000, DueDate: due},
			domain.POLine{Material: "BOLT", Quantity: 200_000, DueDate: due})
		x.must(err)
		if small.Total.String() != "50000.00" || big.Total.String() != "50002.50" || big.Lines[1].Amount.String() != "2.50" {
			t.Fatalf("totals %s %s %s", small.Total, big.Total, big.Lines[1].Amount)
		}
		po, err := x.pur.ActPO(x.ctx, "PO-S", domain.POActApprove, "", buyer)
		x.must(err)
		if po.Status != domain.POApproved || po.ApprovedBy != "bea" || po.ApprovedAt == nil {
			t.Fatalf("approved %+v", po)
		}
		_, err = x.pur.ActPO(x.ctx, "PO-B", domain.POActApprove, "", buyer)
		var le *domain.ApprovalLimitError
		if !errors.As(err, &le) || !errors.Is(err, domain.ErrForbidden) ||
			!strings.Contains(err.Error(), "totals 50002.50 CNY, above role buyer's approval limit of 50000.00 CNY; roles that may approve it: manager") {
			t.Fatalf("buyer above limit: %v", err)
		}
		_, err = x.pur.ActPO(x.ctx, "PO-B", domain.POActApprove, "", domain.Actor{Name: "root", Role: domain.RoleAdmin})
		if !errors.Is(err, domain.ErrForbidden) || !strings.Contains(err.Error(), "role admin has no approval limit") {
			t.Fatalf("admin: %v", err)
		}
		if po, err = x.pur.ActPO(x.ctx, "PO-B", domain.POActApprove, "big order", manager); err != nil || po.ApprovedBy != "max" {
			t.Fatalf("manager: %+v %v", po, err)
		}
		// Once approved the content is fixed.
		_, err = x.pur.UpdatePO(x.ctx, domain.PurchaseOrder{Number: "PO-B", Supplier: "ACME",
			Lines: []domain.POLine{{Material: "BOLT", Quantity: 1000, DueDate: due}}}, buyer)
		fieldErr(t, err, "status", "only a draft may be changed")
		_, err = x.pur.ActPO(x.ctx, "PO-B", domain.POActClose, "", buyer)
		fieldErr(t, err, "status", "close needs it received or partially_received")
		po, err = x.pur.ActPO(x.ctx, "PO-B", domain.POActSend, "", buyer)
		if err != nil || po.Status != domain.POSent || po.SentAt == nil {
			t.Fatalf("send: %+v %v", po, err)
		}
		po, err = x.pur.ConfirmDates(x.ctx, "PO-B", []LineDate{{Line: 1, ConfirmedDate: "2026-03-18"}}, buyer)
		if err != nil || po.Lines[0].ConfirmedDate != "2026-03-18" {
			t.Fatalf("confirm: %+v %v", po, err)
		}
		_, err = x.pur.ConfirmDates(x.ctx, "PO-B", []LineDate{{Line: 9, ConfirmedDate: "2026-03-18"}}, buyer)
		fieldErr(t, err, "[0].line", "has no line 9")
		po, err = x.pur.ActPO(x.ctx, "PO-B", domain.POActCancel, "supplier cannot deliver", buyer)
		if err != nil || po.Status != domain.POCancelled || !po.Lines[0].Closed {
			t.Fatalf("cancel: %+v %v", po, err)
		}
		_, err = x.pur.ActPO(x.ctx, "PO-B", domain.POActSend, "", buyer)
		fieldErr(t, err, "status", "purchase order PO-B is cancelled")
		// A draft may be changed and re-priced.
		po, err = x.pur.UpdatePO(x.ctx, domain.PurchaseOrder{Number: "PO-D", Supplier: "ACME",
			Lines: []domain.POLine{{Material: "BOLT", Quantity: 1000, DueDate: due}}}, buyer)
		if !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("update of a missing order: %v", err)
		}
		x.must(err2(x.po("PO-D", "ACME", domain.POLine{Material: "BOLT", Quantity: 1000, DueDate: due})))
		po, err = x.pur.UpdatePO(x.ctx, domain.PurchaseOrder{Number: "PO-D", Supplier: "ACME",
			Lines: []domain.POLine{{Material: "BOLT", Quantity: 8000_000, DueDate: due}}}, buyer)
		if err != nil || po.Total.String() != "100.00" {
			t.Fatalf("update: %+v %v", po, err)
		}
		// The audit trail has every step.
		entries, err := x.st.ListAudit(x.ctx, domain.AuditFilter{Entity: "purchase_order", EntityID: "PO-B"})
		x.must(err)
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, ","); !strings.Contains(got, "create") || !strings.Contains(got, "approve") ||
			!strings.Contains(got, "send") || !strings.Contains(got, "confirm_dates") || !strings.Contains(got, "cancel") {
			t.Fatalf("audit of PO-B: %s", got)
		}
	})
}

func err2[T any](_ T, err error) error { return err }

func TestApprovalInAnotherCurrency(t *testing.T) {
	r := domain.DefaultPurchasingRules()
	po := domain.PurchaseOrder{Number: "PO-U", Currency: "USD", Total: 7000 * domain.MoneyScale}
	if err := r.CheckApproval(domain.RoleBuyer, po); err == nil || !strings.Contains(err.Error(), "no rate to CNY") {
		t.Fatalf("no rate: %v", err)
	}
	r.ExchangeRates = map[string]string{"USD": "7.2"}
	// 7,000 USD × 7.2 = 50,400 CNY: above the buyer's 50,000.
	if err := r.CheckApproval(domain.RoleBuyer, po); err == nil || !strings.Contains(err.Error(), "totals 50400.00 CNY") {
		t.Fatalf("converted: %v", err)
	}
	if err := r.CheckApproval(domain.RoleManager, po); err != nil {
		t.Fatal(err)
	}
}
