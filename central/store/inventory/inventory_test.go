package inventory

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
)

var (
	wh      = domain.Actor{Name: "wh", Role: domain.RoleWarehouse}
	quality = domain.Actor{Name: "qa", Role: domain.RoleQuality}
)

// fixture: line L1; material M (base unit m) and product P (pcs) made
// from it; order PO-1 for P released with work order WO-1 on L1;
// locations WH-A (warehouse), LS-L1 (line side of L1), QA (quarantine).
type fixture struct {
	t   *testing.T
	st  *store.Store
	inv *Store
	ctx context.Context
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
	st, err := store.Open(ctx, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	x := &fixture{t: t, st: st, inv: New(st.Handle()), ctx: ctx}
	x.must(st.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}))
	x.must(st.CreateProduct(ctx, domain.Product{Code: "M", Name: "Steel strip", Unit: "m"}))
	x.must(st.CreateProduct(ctx, domain.Product{Code: "P", Name: "Bracket", Unit: "pcs", IdealCycle: time.Second}))
	x.order("PO-1", "P", "WO-1", domain.StatusReleased)
	for _, l := range []domain.Location{
		{ID: "WH-A", Name: "Rack A", Kind: domain.LocWarehouse, Warehouse: "WH1"},
		{ID: "LS-L1", Name: "Line 1 feeder", Kind: domain.LocLineSide, LineID: "L1"},
		{ID: "QA", Name: "Quarantine", Kind: domain.LocQuarantine, Warehouse: "WH1"},
	} {
		_, err := x.inv.CreateLocation(ctx, l, wh)
		x.must(err)
	}
	return x
}

func (x *fixture) must(err error) {
	x.t.Helper()
	if err != nil {
		x.t.Fatal(err)
	}
}

// order adds an order of product with one work order on L1, in status.
func (x *fixture) order(number, product, wo string, status domain.OrderStatus) {
	x.t.Helper()
	x.must(x.st.CreateOrder(x.ctx, domain.Order{Number: number, ProductCode: product, Quantity: 100, Status: status}))
	x.must(x.st.CreateWorkOrder(x.ctx, domain.WorkOrder{ID: wo, OrderNumber: number, OperationSeq: 10, LineID: "L1",
		Barcode: wo, Quantity: 100, Status: status}))
}

func (x *fixture) book(m domain.MovementRequest) domain.Movement {
	x.t.Helper()
	mv, err := x.inv.Book(x.ctx, m, wh)
	if err != nil {
		x.t.Fatalf("%s of %s: %v", m.Type, m.Lot, err)
	}
	return mv
}

// refused books m and wants a field error on field (conflict: 409) whose
// rule contains want.
func (x *fixture) refused(m domain.MovementRequest, field string, conflict bool, want string) {
	x.t.Helper()
	_, err := x.inv.Book(x.ctx, m, wh)
	var fe *domain.FieldError
	if !errors.As(err, &fe) || fe.Field != field || fe.Conflict != conflict || !strings.Contains(fe.Rule, want) {
		x.t.Errorf("%s of %s: %v; want field %s (conflict %v) saying %q", m.Type, m.Lot, err, field, conflict, want)
	}
}

// stock is the balance of lot at location, in thousandths.
func (x *fixture) stock(lot, loc string) domain.Qty {
	x.t.Helper()
	bs, err := x.inv.Stock(x.ctx, domain.StockFilter{Lot: lot, Location: loc, WithZero: true})
	x.must(err)
	if len(bs) == 0 {
		return 0
	}
	return bs[0].Quantity
}

func (x *fixture) lot(id string) domain.Lot {
	x.t.Helper()
	l, err := x.inv.GetLot(x.ctx, id)
	x.must(err)
	return l
}

func q(units float64) domain.Qty { return domain.Qty(units * domain.QtyScale) }

func TestEveryMovementType(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-1", Material: "M", SupplierLot: "ACME-77", Quantity: q(100), To: "WH-A"})
		if l := x.lot("S-1"); l.Status != domain.LotReleased || l.Quantity != q(100) || l.OnHand != q(100) || l.SupplierLot != "ACME-77" || l.ReceivedAt == nil {
			t.Errorf("received lot: %+v", l)
		}
		x.book(domain.MovementRequest{Type: domain.MoveTransfer, Lot: "S-1", Quantity: q(40.5), From: "WH-A", To: "LS-L1"})
		x.book(domain.MovementRequest{Type: domain.MoveIssue, Lot: "S-1", Quantity: q(30), From: "LS-L1", WorkOrder: "WO-1"})
		x.book(domain.MovementRequest{Type: domain.MoveReturn, Lot: "S-1", Quantity: q(5), To: "LS-L1", WorkOrder: "WO-1"})
		x.book(domain.MovementRequest{Type: domain.MoveScrap, Lot: "S-1", Quantity: q(0.5), From: "LS-L1", Reason: "kinked"})
		x.book(domain.MovementRequest{Type: domain.MoveAdjustment, Lot: "S-1", Quantity: q(-2), Location: "WH-A", Reason: "count 57.5"})
		x.book(domain.MovementRequest{Type: domain.MoveAdjustment, Lot: "S-1", Quantity: q(0.25), Location: "WH-A", Reason: "recount"})
		if got := x.stock("S-1", "WH-A"); got != q(100-40.5-2+0.25) {
			t.Errorf("WH-A: %s", got)
		}
		if got := x.stock("S-1", "LS-L1"); got != q(40.5-30+5-0.5) {
			t.Errorf("LS-L1: %s", got)
		}
		fg := x.book(domain.MovementRequest{Type: domain.MoveFGReceipt, Lot: "F-1", Quantity: q(20), To: "WH-A", WorkOrder: "WO-1"})
		if l := x.lot("F-1"); l.Material != "P" || l.WorkOrderID != "WO-1" || l.Status != domain.LotReleased || l.ProducedAt == nil || fg.Unit != "pcs" {
			t.Errorf("finished lot: %+v, movement %+v", l, fg)
		}
		x.book(domain.MovementRequest{Type: domain.MoveShipment, Lot: "F-1", Quantity: q(20), From: "WH-A", Order: "PO-1"})
		if l := x.lot("F-1"); l.Status != domain.LotConsumed || l.OnHand != 0 {
			t.Errorf("shipped out lot: %+v", l)
		}
		// The ledger, newest first, filtered and paged.
		all, err := x.inv.ListMovements(x.ctx, domain.MovementFilter{})
		x.must(err)
		if len(all) != 9 || all[0].Type != domain.MoveShipment || all[8].Type != domain.MoveReceipt {
			t.Fatalf("ledger: %d entries, first %s", len(all), all[0].Type)
		}
		page, err := x.inv.ListMovements(x.ctx, domain.MovementFilter{Location: "LS-L1", Limit: 2})
		x.must(err)
		next, err := x.inv.ListMovements(x.ctx, domain.MovementFilter{Location: "LS-L1", Limit: 10, After: page[1].ID})
		x.must(err)
		if len(page) != 2 || len(next) != 2 || next[1].Type != domain.MoveTransfer {
			t.Errorf("LS-L1 pages: %d + %d", len(page), len(next))
		}
		wo, err := x.inv.ListMovements(x.ctx, domain.MovementFilter{WorkOrder: "WO-1", Type: domain.MoveIssue})
		x.must(err)
		if len(wo) != 1 || wo[0].Quantity != q(30) || wo[0].Actor != "wh" {
			t.Errorf("issues of WO-1: %+v", wo)
		}
		// Every movement is audited.
		audit, err := x.st.ListAudit(x.ctx, domain.AuditFilter{Entity: "movement", Limit: 50})
		x.must(err)
		if len(audit) != 9 {
			t.Errorf("%d movement audit entries, want 9", len(audit))
		}
	})
}

func TestMovementRefusals(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-1", Material: "M", Quantity: q(10), To: "WH-A"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-Q", Material: "M", Quantity: q(10), To: "QA"})
		if l := x.lot("S-Q"); l.Status != domain.LotQuarantine {
			t.Errorf("lot received into quarantine is %s", l.Status)
		}
		// More than on hand.
		x.refused(domain.MovementRequest{Type: domain.MoveIssue, Lot: "S-1", Quantity: q(10.001), From: "WH-A", WorkOrder: "WO-1"},
			"quantity", true, "lot S-1 has 10 m at WH-A; 10.001 m wanted")
		// A quarantined, then a blocked lot.
		x.refused(domain.MovementRequest{Type: domain.MoveIssue, Lot: "S-Q", Quantity: q(1), From: "QA", WorkOrder: "WO-1"},
			"lot", true, "lot S-Q is quarantine; only a released lot may be issued")
		if _, err := x.inv.SetLotStatus(x.ctx, "S-1", domain.LotStatusChange{Status: domain.LotBlocked}, quality); err == nil {
			t.Error("blocked without a reason")
		}
		if _, err := x.inv.SetLotStatus(x.ctx, "S-1", domain.LotStatusChange{Status: domain.LotBlocked, Reason: "supplier recall"}, quality); err != nil {
			t.Fatal(err)
		}
		x.refused(domain.MovementRequest{Type: domain.MoveIssue, Lot: "S-1", Quantity: q(1), From: "WH-A", WorkOrder: "WO-1"},
			"lot", true, "lot S-1 is blocked")
		// A blocked lot may still move to quarantine or be scrapped.
		x.book(domain.MovementRequest{Type: domain.MoveTransfer, Lot: "S-1", Quantity: q(1), From: "WH-A", To: "QA"})
		if _, err := x.inv.SetLotStatus(x.ctx, "S-1", domain.LotStatusChange{Status: domain.LotReleased}, quality); err != nil {
			t.Fatal(err)
		}
		// A unit without a conversion, then with one.
		x.refused(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-2", Material: "M", Quantity: q(2), Unit: "roll", To: "WH-A"},
			"unit", false, `material M has no conversion from "roll" to its base unit "m"`)
		x.must(x.inv.ReplaceUnits(x.ctx, "M", []domain.UnitConversion{{Unit: "roll", Factor: 50}}, wh))
		mv := x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-2", Material: "M", Quantity: q(2), Unit: "roll", To: "WH-A"})
		if mv.Quantity != q(100) || mv.EnteredQuantity != q(2) || mv.EnteredUnit != "roll" || x.stock("S-2", "WH-A") != q(100) {
			t.Errorf("2 roll: %+v", mv)
		}
		// A movement on a closed order, and on one not yet approved.
		x.order("PO-2", "P", "WO-2", domain.StatusClosed)
		x.refused(domain.MovementRequest{Type: domain.MoveIssue, Lot: "S-1", Quantity: q(1), From: "WH-A", WorkOrder: "WO-2"},
			"work_order", true, "order PO-2 is closed")
		x.order("PO-3", "P", "WO-3", domain.StatusDraft)
		x.refused(domain.MovementRequest{Type: domain.MoveIssue, Lot: "S-1", Quantity: q(1), From: "WH-A", WorkOrder: "WO-3"},
			"work_order", true, "order PO-3 is draft")
		x.refused(domain.MovementRequest{Type: domain.MoveShipment, Lot: "S-1", Quantity: q(1), From: "WH-A", Order: "PO-2"},
			"order", true, "order PO-2 is closed")
		// Shipping material M against an order for P; returning what was never issued.
		x.refused(domain.MovementRequest{Type: domain.MoveShipment, Lot: "S-1", Quantity: q(1), From: "WH-A", Order: "PO-1"},
			"lot", false, "lot S-1 is material M; order PO-1 is for P")
		x.refused(domain.MovementRequest{Type: domain.MoveReturn, Lot: "S-1", Quantity: q(1), To: "WH-A", WorkOrder: "WO-1"},
			"quantity", true, "work order WO-1 has 0 m of lot S-1 issued")
		// Unknown lot, location; missing fields.
		x.refused(domain.MovementRequest{Type: domain.MoveIssue, Lot: "NOPE", Quantity: q(1), From: "WH-A", WorkOrder: "WO-1"},
			"lot", false, "lot NOPE does not exist")
		x.refused(domain.MovementRequest{Type: domain.MoveTransfer, Lot: "S-1", Quantity: q(1), From: "WH-A", To: "WH-Z"},
			"to", false, "location WH-Z does not exist")
		x.refused(domain.MovementRequest{Type: domain.MoveScrap, Lot: "S-1", Quantity: q(1), From: "WH-A"}, "reason", false, "is required")
		x.refused(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-9", Quantity: q(1), To: "WH-A"}, "material", false, "is required")
		// Nothing of the refused movements was written.
		if got := x.stock("S-1", "WH-A"); got != q(9) {
			t.Errorf("S-1 at WH-A after refusals: %s", got)
		}
		if _, err := x.inv.GetLot(x.ctx, "S-9"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("refused receipt left lot S-9: %v", err)
		}
	})
}

func TestNegativeStockOnlyWhereAllowed(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		_, err := x.inv.CreateLocation(x.ctx, domain.Location{ID: "LS-NEG", Name: "Backflush point", Kind: domain.LocLineSide,
			LineID: "L1", AllowNegative: true}, wh)
		x.must(err)
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-1", Material: "M", Quantity: q(3), To: "LS-NEG"})
		mv := x.book(domain.MovementRequest{Type: domain.MoveIssue, Lot: "S-1", Quantity: q(5), From: "LS-NEG", WorkOrder: "WO-1"})
		if !mv.Negative || x.stock("S-1", "LS-NEG") != q(-2) {
			t.Errorf("issue into negative: flagged %v, balance %s", mv.Negative, x.stock("S-1", "LS-NEG"))
		}
		mv = x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-1", Quantity: q(10), To: "LS-NEG"})
		if mv.Negative || x.stock("S-1", "LS-NEG") != q(8) {
			t.Errorf("receipt after negative: %+v, %s", mv, x.stock("S-1", "LS-NEG"))
		}
	})
}

// TestLastUnitRace: several people issue the last unit of a lot at once;
// exactly one succeeds, every other one is told the stock is not there.
func TestLastUnitRace(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-1", Material: "M", Quantity: q(1), To: "LS-L1"})
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = x.inv.Book(x.ctx, domain.MovementRequest{Type: domain.MoveIssue, Lot: "S-1", Quantity: q(1), From: "LS-L1", WorkOrder: "WO-1"}, wh)
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			var ise *domain.InsufficientStockError
			switch {
			case err == nil:
				won++
			case !errors.As(err, &ise) || !errors.Is(err, domain.ErrConflict):
				t.Errorf("loser got %v; want insufficient stock (conflict)", err)
			}
		}
		if won != 1 || x.stock("S-1", "LS-L1") != 0 || x.lot("S-1").Status != domain.LotConsumed {
			t.Errorf("%d issues won, balance %s, lot %s", won, x.stock("S-1", "LS-L1"), x.lot("S-1").Status)
		}
	})
}

// TestClientIDBooksOnce: a retry with the same client_id answers with the
// first movement and books nothing; the id with another movement is refused.
func TestClientIDBooksOnce(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		r := domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-1", Material: "M", Quantity: q(10), To: "WH-A", ExpiresAt: &exp, ClientID: "scan-1"}
		first := x.book(r)
		again := x.book(r)
		if first.Replayed || !again.Replayed || again.ID != first.ID || x.stock("S-1", "WH-A") != q(10) {
			t.Errorf("retry: %+v / %+v, stock %s", first, again, x.stock("S-1", "WH-A"))
		}
		adj := domain.MovementRequest{Type: domain.MoveAdjustment, Lot: "S-1", Quantity: q(-1), Location: "WH-A", Reason: "count", ClientID: "scan-2"}
		x.book(adj)
		if mv := x.book(adj); !mv.Replayed || x.stock("S-1", "WH-A") != q(9) {
			t.Errorf("adjustment retry: %+v", mv)
		}
		r.Quantity = q(11)
		x.refused(r, "client_id", true, "client_id scan-1 was used for another movement (receipt of 10 m of lot S-1)")
		// Another user's scan-1 is another movement.
		if _, err := x.inv.Book(x.ctx, domain.MovementRequest{Type: domain.MoveTransfer, Lot: "S-1", Quantity: q(1), From: "WH-A", To: "LS-L1", ClientID: "scan-1"},
			domain.Actor{Name: "wh2", Role: domain.RoleWarehouse}); err != nil {
			t.Fatal(err)
		}
	})
}
