package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

var admin = domain.Actor{Name: "admin", Role: domain.RoleAdmin}

func TestMasterDataStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.SaveMaster(ctx, domain.Site{ID: "S1", Name: "Plant", Timezone: "Europe/Berlin"}, domain.SaveCreate, admin))
		if err := s.SaveMaster(ctx, domain.Site{ID: "S1", Name: "x"}, domain.SaveCreate, admin); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("duplicate site: %v", err)
		}
		if err := s.SaveMaster(ctx, domain.Site{ID: "S9", Name: "x"}, domain.SaveUpdate, admin); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("update missing site: %v", err)
		}
		var fe *domain.FieldError
		if err := s.SaveMaster(ctx, domain.Line{ID: "L1", Name: "Line", Site: "S9"}, domain.SaveCreate, admin); !errors.As(err, &fe) || fe.Field != "site" {
			t.Errorf("line on unknown site: %v", err)
		}
		must(s.SaveMaster(ctx, domain.Line{ID: "L1", Name: "Line", Site: "S1"}, domain.SaveCreate, admin))
		must(s.SaveMaster(ctx, domain.Line{ID: "L1", Name: "Line one", Site: "S1"}, domain.SaveUpdate, admin))
		if l, err := s.GetLine(ctx, "L1"); err != nil || l.Name != "Line one" || l.Site != "S1" {
			t.Errorf("line: %+v %v", l, err)
		}
		if ls, err := s.ListLines(ctx); err != nil || len(ls) != 1 || ls[0].Site != "S1" {
			t.Errorf("list lines: %+v %v", ls, err)
		}
		audit, err := s.ListAudit(ctx, domain.AuditFilter{Entity: "line", EntityID: "L1"})
		if err != nil || len(audit) != 2 || audit[0].Action != "update" || !strings.Contains(string(audit[0].Before), `"Line"`) ||
			!strings.Contains(string(audit[0].After), `"Line one"`) {
			t.Errorf("line audit: %+v %v", audit, err)
		}

		// Import: one bad reference and one bad row roll everything back...
		rows := []domain.ImportRow{
			{Row: 2, Value: domain.Product{Code: "A", Name: "Assembly", Unit: "pcs"}},
			{Row: 3, Value: domain.Product{Code: "B", Name: "Bolt", Unit: "pcs"}},
			{Row: 4, Errors: []*domain.FieldError{{Field: "unit", Rule: "is required"}}},
		}
		rep, err := s.ImportMaster(ctx, "products", rows, false, admin)
		if err != nil || rep.Created != 0 || len(rep.Errors) != 1 || rep.Errors[0].Row != 4 {
			t.Fatalf("import: %+v %v", rep, err)
		}
		if _, err := s.GetProduct(ctx, "A"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("all-or-nothing import wrote A: %v", err)
		}
		// ...and with partial the good rows are written.
		rep, err = s.ImportMaster(ctx, "products", rows, true, admin)
		if err != nil || rep.Created != 2 || len(rep.Errors) != 1 {
			t.Fatalf("partial import: %+v %v", rep, err)
		}
		rep, err = s.ImportMaster(ctx, "bom", []domain.ImportRow{
			{Row: 2, Value: domain.BOMItem{Product: "A", Component: "B", Quantity: 4}},
			{Row: 3, Value: domain.BOMItem{Product: "A", Component: "ZZ", Quantity: 1}},
		}, false, admin)
		if err != nil || len(rep.Errors) != 1 || rep.Errors[0].Row != 3 || rep.Errors[0].Field != "component" {
			t.Fatalf("bom import: %+v %v", rep, err)
		}
		must(s.ReplaceBOM(ctx, "A", []domain.BOMItem{{Component: "B", Quantity: 4, Unit: "pcs"}}, admin))
		if b, err := s.BOM(ctx, "A"); err != nil || len(b) != 1 || b[0].Quantity != 4 {
			t.Errorf("bom: %+v %v", b, err)
		}
		must(s.ReplaceRouting(ctx, "A", []domain.RoutingOp{{Seq: 10, Name: "assemble", LineID: "L1", IdealCycle: 2 * time.Second, Setup: time.Minute}}, admin))
		if r, err := s.Routing(ctx, "A"); err != nil || len(r) != 1 || r[0].Setup != time.Minute {
			t.Errorf("routing: %+v %v", r, err)
		}
		if err := s.ReplaceRouting(ctx, "A", []domain.RoutingOp{{Seq: 10, LineID: "L9", IdealCycle: time.Second}}, admin); !errors.As(err, &fe) || fe.Field != "line" {
			t.Errorf("routing on unknown line: %v", err)
		}
		start := time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)
		must(s.ReplaceCalendar(ctx, domain.LineCalendar{Line: "L1",
			Shifts: []domain.Shift{{Name: "early", Start: "06:00", End: "14:00"}},
			Stops:  []domain.PlannedStop{{ID: "PS-1", Start: start, End: start.Add(48 * time.Hour), Reason: "weekend"}}}, admin))
		cal, err := s.Calendar(ctx, "L1")
		if err != nil || len(cal.Shifts) != 1 || len(cal.Stops) != 1 || !cal.Stops[0].Start.Equal(start) {
			t.Errorf("calendar: %+v %v", cal, err)
		}
		// Users: a badge another user holds is a field error, not a failed statement.
		must(s.SaveMaster(ctx, domain.User{Username: "op1", Role: domain.RoleOperator, Badge: "B-1"}, domain.SaveCreate, admin))
		rep, err = s.ImportMaster(ctx, "users", []domain.ImportRow{
			{Row: 2, Value: domain.User{Username: "op2", Role: domain.RoleOperator, Badge: "B-1"}},
			{Row: 3, Value: domain.User{Username: "op3", Role: domain.RoleOperator, Badge: "B-3"}},
		}, true, admin)
		if err != nil || rep.Created != 1 || len(rep.Errors) != 1 || rep.Errors[0].Field != "badge" {
			t.Errorf("users import: %+v %v", rep, err)
		}
	})
}

// TestSettlementRollsUpAndFreezes runs a work order in two runs by two
// operators with the line running part of the time, completes and closes
// the order, then sends events that would change the live roll-up: the
// closed order's settlement stays as it was at closing.
func TestSettlementRollsUpAndFreezes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		fixture(t, s) // WO-1 of PO-1 on L1, running from t0 (no operator)
		op1 := domain.Actor{Name: "op1", Role: domain.RoleOperator}
		op2 := domain.Actor{Name: "op2", Role: domain.RoleOperator}
		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		if _, err := s.ApplyBatch(ctx, batch(state(1, at(0), "running"), count(2, at(5), 30, 2), state(3, at(10), "down"))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StopWorkOrderAs(ctx, "WO-1", at(20), op1, "pause"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartWorkOrderAs(ctx, "WO-1", at(30), op2, "resume"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApplyBatch(ctx, batch(state(4, at(35), "running"), count(5, at(40), 20, 0))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StopWorkOrderAs(ctx, "WO-1", at(60), op2, "stop"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordScrap(ctx, "WO-1", 3, "dropped", op2); err != nil {
			t.Fatal(err)
		}
		// Labour: 20 min (started by the fixture, no operator) + 30 min op2.
		// Machine: running 0-10 and 35-60 within the runs = 35 min.
		live, err := s.OrderSettlement(ctx, "PO-1")
		if err != nil || live.Frozen || live.Good != 50 || live.Scrap != 5 || live.LabourSeconds != 50*60 || live.MachineSeconds != 35*60 ||
			len(live.Labour) != 2 || live.Labour[1].Operator != "op2" || live.Labour[1].LabourSeconds != 30*60 {
			t.Fatalf("live settlement: %+v %v", live, err)
		}
		close := func(to domain.OrderStatus) {
			t.Helper()
			_, err := s.ChangeOrder(ctx, "PO-1", admin, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
				rec.Status = to
				for i := range rec.WorkOrders {
					rec.WorkOrders[i].Status = domain.StatusCompleted
				}
				return domain.OrderChange{Action: string(to)}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		close(domain.StatusCompleted)
		close(domain.StatusClosed)
		frozen, err := s.OrderSettlement(ctx, "PO-1")
		if err != nil || !frozen.Frozen || frozen.ClosedAt == nil || frozen.Good != 50 || frozen.MachineSeconds != 35*60 {
			t.Fatalf("frozen settlement: %+v %v", frozen, err)
		}
		// Late events inside the runs: a count (attributed to WO-1 by source
		// time) and a state change that would add machine time.
		if _, err := s.ApplyBatch(ctx, batch(count(6, at(15), 7, 1), state(7, at(12), "running"))); err != nil {
			t.Fatal(err)
		}
		if w, _ := s.GetWorkOrder(ctx, "WO-1"); w.Good != 57 {
			t.Fatalf("late count not attributed (good %d): the test proves nothing", w.Good)
		}
		after, err := s.OrderSettlement(ctx, "PO-1")
		if err != nil || after.Good != 50 || after.Scrap != 5 || after.MachineSeconds != 35*60 || after.LabourSeconds != 50*60 {
			t.Errorf("closed settlement changed: %+v %v", after, err)
		}
		recomputed, err := s.settle(ctx, s.db, "PO-1", t0.Add(time.Hour))
		if err != nil || recomputed.Good != 57 || recomputed.MachineSeconds != 48*60 {
			t.Errorf("live recompute should see the late events: %+v %v", recomputed, err)
		}
	})
}
