package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// releasedOrder makes a released order of P (routed L1 seq 10, L2 seq 20)
// with its work orders cut.
func releasedOrder(t *testing.T, s *Store, qty int64) string {
	t.Helper()
	ctx := context.Background()
	o, err := s.CreateDraftOrder(ctx, domain.Order{ProductCode: "P", Quantity: qty}, planner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeOrder(ctx, o.Number, planner, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
		wos, err := domain.CutWorkOrders(rec.Order, rec.Routing)
		rec.WorkOrders, rec.Status = wos, domain.StatusReleased
		return domain.OrderChange{Action: "test"}, err
	}); err != nil {
		t.Fatal(err)
	}
	return o.Number
}

var op1 = domain.Actor{Name: "op1", Role: domain.RoleOperator}

// The operator at the packing line scans operation 20 while operation 10
// has not started yet: refused, nothing runs.
func TestOperationCannotStartBeforeItsPredecessor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		lifecycleFixture(t, s)
		ctx := context.Background()
		n := releasedOrder(t, s, 50)
		first, second := domain.WorkOrderID(n, 10), domain.WorkOrderID(n, 20)
		_, err := s.StartWorkOrderAs(ctx, second, t0, op1, "start")
		if !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), "operation 10") {
			t.Fatalf("operation 20 before 10: %v", err)
		}
		if w, _ := s.GetWorkOrder(ctx, second); w.Status != domain.StatusReleased {
			t.Fatalf("a refused start left it %s", w.Status)
		}
		if _, err := s.StartWorkOrderAs(ctx, first, t0, op1, "start"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartWorkOrderAs(ctx, second, t0.Add(time.Minute), op1, "start"); err != nil {
			t.Fatalf("operation 20 after 10 started: %v", err)
		}

		// With an overlap of 5 on the routing, 20 waits for 5 good from 10.
		if err := s.SetRouting(ctx, "P", []domain.RoutingOp{{Seq: 10, LineID: "L1"}, {Seq: 20, LineID: "L2", OverlapQty: ptr(int64(5))}}); err != nil {
			t.Fatal(err)
		}
		n2 := releasedOrder(t, s, 50)
		if err := s.StopWorkOrder(ctx, first, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.StopWorkOrder(ctx, second, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		a, b := domain.WorkOrderID(n2, 10), domain.WorkOrderID(n2, 20)
		if _, err := s.StartWorkOrderAs(ctx, a, t0.Add(3*time.Minute), op1, "start"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartWorkOrderAs(ctx, b, t0.Add(4*time.Minute), op1, "start"); !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), "made 5 good") {
			t.Fatalf("operation 20 before 10 made its overlap: %v", err)
		}
		if _, err := s.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{{EdgeID: "e1", Seq: 1, Line: "L1",
			Type: wire.TypeCount, SourceTime: t0.Add(3*time.Minute + time.Second), Count: &wire.Count{Good: 5}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartWorkOrderAs(ctx, b, t0.Add(4*time.Minute), op1, "start"); err != nil {
			t.Fatalf("operation 20 after the overlap: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// A late scan tries to start a work order again inside a time it already
// ran: refused, so its labour time is never booked twice.
func TestRunsOfAWorkOrderNeverOverlap(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		lifecycleFixture(t, s)
		ctx := context.Background()
		wo := domain.WorkOrderID(releasedOrder(t, s, 50), 10)
		if _, err := s.StartWorkOrderAs(ctx, wo, t0, op1, "start"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StopWorkOrderAs(ctx, wo, t0.Add(30*time.Minute), op1, "pause"); err != nil {
			t.Fatal(err)
		}
		_, err := s.StartWorkOrderAs(ctx, wo, t0.Add(15*time.Minute), op1, "resume")
		if !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), "overlap") {
			t.Fatalf("start inside a past run: %v", err)
		}
		var runs int
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM wo_runs WHERE work_order_id = ?`), wo).Scan(&runs); err != nil || runs != 1 {
			t.Fatalf("runs %d (%v), want 1", runs, err)
		}
		if _, err := s.StartWorkOrderAs(ctx, wo, t0.Add(31*time.Minute), op1, "resume"); err != nil {
			t.Fatalf("start after the run: %v", err)
		}
	})
}

// The same station action arrives several times at once: exactly one is
// carried out; the same code scanned again within the window is a repeat.
func TestStationActionIsClaimedOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		lifecycleFixture(t, s)
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		claimed := 0
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := s.ClaimStationAction(ctx, domain.StationAction{Station: "ST-L1", ClientID: "c-1", Kind: "scrap", At: t0}, 0)
				if err != nil && !errors.Is(err, domain.ErrConflict) {
					t.Error(err)
				}
				mu.Lock()
				if ok {
					claimed++
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		if claimed != 1 {
			t.Fatalf("claimed %d times, want once", claimed)
		}
		if err := s.FinishStationAction(ctx, "ST-L1", "c-1", 200, []byte(`{"ok":1}`)); err != nil {
			t.Fatal(err)
		}
		prev, ok, err := s.ClaimStationAction(ctx, domain.StationAction{Station: "ST-L1", ClientID: "c-1", Kind: "scrap", At: t0.Add(time.Hour)}, 0)
		if err != nil || ok || prev.Status != 200 || string(prev.Response) != `{"ok":1}` {
			t.Fatalf("repeat of c-1: %+v %v %v", prev, ok, err)
		}

		scan := func(id string, at time.Time) (domain.StationAction, bool) {
			t.Helper()
			prev, ok, err := s.ClaimStationAction(ctx, domain.StationAction{Station: "ST-L1", ClientID: id, Kind: "scan", Code: "WO-1", At: at}, 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return prev, ok
		}
		if _, ok := scan("s-1", t0); !ok {
			t.Fatal("first scan not claimed")
		}
		if err := s.FinishStationAction(ctx, "ST-L1", "s-1", 200, []byte(`{"action":"start"}`)); err != nil {
			t.Fatal(err)
		}
		if prev, ok := scan("s-2", t0.Add(500*time.Millisecond)); ok || prev.ClientID != "s-1" {
			t.Fatalf("bounce within 2s claimed anew (prev %+v)", prev)
		}
		if _, ok := scan("s-3", t0.Add(3*time.Second)); !ok {
			t.Fatal("a scan after the window is a repeat")
		}
	})
}

// A line-down proposal has been pending for 40 minutes when the line
// breaks down again: the new proposal is made, the old one is superseded
// (audited) and can no longer be approved; an old pending one expires.
func TestStaleProposalNeverBlocksANewOne(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		lifecycleFixture(t, s)
		ctx := context.Background()
		mk := func(line string, at time.Time) domain.PlanProposal {
			t.Helper()
			p, err := s.CreateProposal(ctx, domain.PlanProposal{Kind: domain.ProposalLineDown, Reason: "line down", LineID: line,
				CreatedAt: at, Plan: []byte(`{}`), Diff: []byte(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		old := mk("L1", t0)
		other := mk("L2", t0)
		manual := mk("", t0)
		newer := mk("L1", t0.Add(40*time.Minute))
		got, err := s.GetProposal(ctx, old.ID)
		if err != nil || got.Status != domain.ProposalSuperseded || got.SupersededBy != newer.ID {
			t.Fatalf("old proposal: %+v %v", got, err)
		}
		if _, err := s.ApproveProposal(ctx, domain.PlanApproval{ProposalID: old.ID, By: planner, At: t0.Add(41 * time.Minute)}); !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("approving a superseded proposal: %v", err)
		}
		if got, _ := s.GetProposal(ctx, other.ID); got.Status != domain.ProposalPending {
			t.Fatalf("another line's proposal became %s", got.Status)
		}
		n, err := s.ExpireProposals(ctx, t0.Add(10*time.Minute), t0.Add(41*time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("expired %d (%v), want 2 (L2's and the manual one)", n, err)
		}
		for id, want := range map[string]string{other.ID: domain.ProposalExpired, manual.ID: domain.ProposalExpired, newer.ID: domain.ProposalPending} {
			if got, _ := s.GetProposal(ctx, id); got.Status != want {
				t.Errorf("proposal %s is %s, want %s", id, got.Status, want)
			}
		}
		audit, err := s.ListAudit(ctx, domain.AuditFilter{Entity: "plan_proposal"})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, a := range audit {
			actions[a.Action]++
		}
		if actions["supersede"] != 1 || actions["expire"] != 2 {
			t.Errorf("audit actions %v", actions)
		}
	})
}

// A three-step order of 100 whose every step made 100: the order shows 100.
func TestOrderGoodIsItsLastOperationsGood(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		lifecycleFixture(t, s)
		ctx := context.Background()
		n := releasedOrder(t, s, 100)
		for i, line := range []string{"L1", "L2"} {
			wo := domain.WorkOrderID(n, 10*(i+1))
			at := t0.Add(time.Duration(i) * time.Hour)
			if _, err := s.StartWorkOrderAs(ctx, wo, at, op1, "start"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{{EdgeID: "e1", Seq: uint64(i + 1), Line: line,
				Type: wire.TypeCount, SourceTime: at.Add(time.Minute), Count: &wire.Count{Good: 100, Reject: 2}}}}); err != nil {
				t.Fatal(err)
			}
		}
		rec, err := s.GetOrderRecord(ctx, n)
		if err != nil || rec.Good != 100 || rec.Reject != 4 {
			t.Fatalf("order good %d reject %d (%v), want 100 and 4", rec.Good, rec.Reject, err)
		}
		list, err := s.SearchOrders(ctx, domain.OrderFilter{Query: n})
		if err != nil || len(list) != 1 || list[0].Good != 100 {
			t.Fatalf("order list: %+v %v", list, err)
		}
	})
}
