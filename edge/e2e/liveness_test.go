package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// TestEdgeSIGKILLWillOverMosquitto: the edge agent, its own process on a
// real Mosquitto, is SIGKILLed. Mosquitto publishes its Last Will (only
// the will can say "offline" for a dead process), central shows L1 as
// no_data "edge edge-L1 offline" and opens a no_data exception. The agent
// starts again: online, the exception resolves by itself, L1 shows a
// machine state again, and every part is still counted exactly once.
func TestEdgeSIGKILLWillOverMosquitto(t *testing.T) {
	s := newFullStack(t, opts{db: "sqlite", speed: 20, line: stdLine(), mosquitto: true, subprocess: true, poll: "50ms",
		heartbeat: "200ms", central: func(c *app.Config) {
			c.Exceptions.EdgeSilentAfter = time.Second
			c.Exceptions.NoDataGrace = 0
			c.Exceptions.Poll = 100 * time.Millisecond
		}})
	s.waitCounting(5)
	edge := func() domain.EdgeStatus { return s.central.Liveness().List()[0] }
	noData := func() []domain.Exception {
		xs, err := s.central.Store().ListExceptions(context.Background(),
			domain.ExceptionFilter{Line: "L1", Kind: []domain.ExceptionKind{domain.ExceptionNoData}})
		if err != nil {
			t.Fatal(err)
		}
		return xs
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("not within 30s: %s (edge %+v, L1 %+v, no_data exceptions %+v)", what, edge(), findLine(s.lines(), "L1"), noData())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait("edge online", func() bool { e := edge(); return e.Online && e.Reported == wire.StatusOnline && e.Version != "" })

	s.killEdge()
	wait("the will: offline", func() bool { return edge().Reported == wire.StatusOffline })
	wait("L1 no_data for the offline edge", func() bool {
		l := findLine(s.lines(), "L1")
		return l.State == wire.StateNoData && l.Reason == "edge "+edgeID+" offline"
	})
	wait("a no_data exception", func() bool {
		xs := noData()
		return len(xs) == 1 && xs[0].Status == domain.ExceptionOpen
	})

	s.startEdge()
	wait("edge back online", func() bool { return edge().Online })
	wait("the exception resolved by central", func() bool {
		xs := noData()
		return len(xs) == 1 && xs[0].Status == domain.ExceptionResolved && xs[0].ResolvedBy == domain.SystemActor
	})
	if l := findLine(s.lines(), "L1"); l.State == wire.StateNoData {
		t.Errorf("L1 after the edge is back: %+v", l)
	}
	s.finish()
}
