package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

// demoHistoryEdge sends the demo's history; no configured edge has its id.
const demoHistoryEdge = "demo-history"

// seedDemoHistory gives the demo a finished yesterday (the plant day
// before start, in loc), so the stored-report generator's catch-up at
// start stores yesterday's day and shift reports at once and /reports
// shows them: PO-0990 (BRK-100, 50,000 for Dongfeng) ran on L1 06:00–21:30
// and finished after its 21:00 due time; PO-0991 (BRK-200, 34,000) ran on
// L2 07:00–20:00, on time. Counts every 10 minutes (a few hundred events,
// so make run starts as fast as before), stops with reasons (a mapped jam,
// an unmapped code, a starved infeed) and scrap by reason. It does nothing
// when PO-0990 exists. It runs before the demo's bills of materials
// exist, so yesterday's parts consume none of the demo's stock.
func seedDemoHistory(ctx context.Context, st *store.Store, start time.Time, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	if err := seedDemoCustomers(ctx, st); err != nil {
		return err
	}
	if _, err := st.GetOrder(ctx, "PO-0990"); err == nil {
		return nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	y := start.In(loc).AddDate(0, 0, -1)
	at := func(h, m int) time.Time { return time.Date(y.Year(), y.Month(), y.Day(), h, m, 0, 0, loc).UTC() }
	system := domain.Actor{Name: "demo-seed", Role: domain.RoleSupervisor}
	type run struct {
		order, wo, product, line, customer string
		qty                                int64
		due, from, to                      time.Time
		good, reject                       int64 // per 10 minutes while running
		stops                              []wire.State
		stopAt, stopEnd                    []time.Time
	}
	runs := []run{
		{order: "PO-0990", wo: "WO-0990-10", product: "BRK-100", line: "L1", customer: "DFQC", qty: 50000, due: at(21, 0), from: at(6, 0), to: at(21, 30),
			good: 540, reject: 6,
			stops:  []wire.State{{State: wire.StateDown, Reason: "12"}, {State: wire.StateIdle, Reason: "starved"}, {State: wire.StateDown, Reason: "99"}},
			stopAt: []time.Time{at(9, 10), at(12, 0), at(17, 40)}, stopEnd: []time.Time{at(9, 32), at(12, 8), at(17, 46)}},
		{order: "PO-0991", wo: "WO-0991-10", product: "BRK-200", line: "L2", customer: "NORDBRK", qty: 34000, due: at(22, 0), from: at(7, 0), to: at(20, 0),
			good: 440, reject: 4,
			stops:  []wire.State{{State: wire.StateDown, Reason: "31"}},
			stopAt: []time.Time{at(15, 0)}, stopEnd: []time.Time{at(15, 20)}},
	}
	var seq uint64
	for _, r := range runs {
		due, ps, pe := r.due, r.from, r.to
		if err := st.CreateOrder(ctx, domain.Order{Number: r.order, ProductCode: r.product, Quantity: r.qty, Due: &due, Status: domain.StatusReleased}); err != nil {
			return err
		}
		if err := st.CreateWorkOrder(ctx, domain.WorkOrder{ID: r.wo, OrderNumber: r.order, OperationSeq: 10, LineID: r.line, Barcode: r.wo,
			Quantity: r.qty, PlannedStart: &ps, PlannedEnd: &pe, Status: domain.StatusReleased}); err != nil {
			return err
		}
		if _, err := st.Handle().Read().Exec(ctx, `UPDATE orders SET customer_code = ? WHERE number = ?`, r.customer, r.order); err != nil {
			return fmt.Errorf("demo history: customer of %s: %w", r.order, err)
		}
		if err := st.StartWorkOrder(ctx, r.wo, r.from); err != nil {
			return err
		}
		ev := func(t time.Time, e wire.Event) wire.Event {
			seq++
			e.EdgeID, e.Seq, e.Line, e.SourceTime = demoHistoryEdge, seq, r.line, t
			return e
		}
		evs := []wire.Event{ev(r.from, wire.Event{Type: wire.TypeState, State: &wire.State{State: wire.StateRunning}})}
		for i, s := range r.stops {
			s := s
			evs = append(evs, ev(r.stopAt[i], wire.Event{Type: wire.TypeState, State: &s}),
				ev(r.stopEnd[i], wire.Event{Type: wire.TypeState, State: &wire.State{State: wire.StateRunning}}))
		}
		for t := r.from.Add(10 * time.Minute); !t.After(r.to); t = t.Add(10 * time.Minute) { // each a second before the run ends
			good, reject := r.good, r.reject
			for i := range r.stops {
				if t.After(r.stopAt[i]) && !t.After(r.stopEnd[i].Add(10*time.Minute)) {
					good, reject = good/2, reject+3 // the stop and the restart after it
				}
			}
			evs = append(evs, ev(t.Add(-time.Second), wire.Event{Type: wire.TypeCount, Count: &wire.Count{Counter: "parts", Good: good, Reject: reject}}))
		}
		evs = append(evs, ev(r.to, wire.Event{Type: wire.TypeState, State: &wire.State{State: wire.StateIdle, Reason: "end of order"}}))
		if _, err := st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: demoHistoryEdge, Events: evs}); err != nil {
			return fmt.Errorf("demo history: %s events: %w", r.line, err)
		}
		if _, err := st.RecordScrap(ctx, r.wo, 12, "burr", system); err != nil {
			return err
		}
		// Recorded now, found at the end of yesterday's run.
		if _, err := st.Handle().Read().Exec(ctx, `UPDATE scrap_records SET recorded_at = ? WHERE work_order_id = ?`, r.to.Add(-5*time.Minute).UnixNano(), r.wo); err != nil {
			return fmt.Errorf("demo history: scrap of %s: %w", r.wo, err)
		}
		if _, err := st.StopWorkOrderAs(ctx, r.wo, r.to, system, "stop"); err != nil {
			return err
		}
		if _, err := st.ChangeOrder(ctx, r.order, system, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
			_, err := domain.CompleteWorkOrder(rec, r.wo, system.Role, r.to)
			return domain.OrderChange{Action: "complete_work_order"}, err
		}); err != nil {
			return fmt.Errorf("demo history: complete %s: %w", r.wo, err)
		}
	}
	return nil
}
