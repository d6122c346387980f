package planning_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/planning"
)

// arrivals is what the inventory would say: the material of these work
// orders arrives then.
type arrivals map[string]time.Time

func (a arrivals) MaterialReady(_ context.Context, work []domain.PlanWork, _ time.Time) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, w := range work {
		if at, ok := a[w.WorkOrderID]; ok {
			out[w.WorkOrderID] = at
		}
	}
	return out, nil
}

// PO-4's second operation (on L2) waits for a component arriving at
// 14:00: the proposal starts it then (the scheduler's own test shows that
// nothing else is delayed by it), and the plan passed the checker.
func TestMaterialArrivalBoundsThePlan(t *testing.T) {
	e := newEnv(t, testConfig())
	shop(t, e)
	plain, err := e.svc.Propose(e.ctx, planning.Request{Reason: "without the arrival"})
	e.must(t, err)
	arrival := t0.Add(6 * time.Hour)
	wo := domain.WorkOrderID("PO-4", 20)
	svc, err := planning.New(planning.Options{Config: testConfig(), Store: e.st, Now: e.clock.now,
		Log: slog.New(slog.NewTextHandler(testWriter(t), nil)), Materials: arrivals{wo: arrival}})
	e.must(t, err)
	p, err := svc.Propose(e.ctx, planning.Request{Reason: "with the arrival"})
	e.must(t, err)
	before, after := opsByWO(plain.Schedule), opsByWO(p.Schedule)
	if op := after[wo]; !op.Start.Equal(arrival) || before[wo].Start.Equal(arrival) {
		t.Fatalf("%s starts %s (without the arrival %s), its material arrives %s", wo, op.Start.Format("15:04"), before[wo].Start.Format("15:04"), arrival.Format("15:04"))
	}
}
