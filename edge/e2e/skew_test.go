package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/devices/linesim"
)

// The PLC's clock runs 10 minutes ahead. The edge stamps its events with
// its own receive time, central shows the skew on the line (API and
// exception), and a changeover from WO-1001-10 to WO-1002-10 splits the
// parts exactly where the line made them: with the PLC's timestamps, every
// part of the last 10 minutes before the changeover would have gone to the
// next work order. When the PLC's clock is set right, the skew and its
// exception go away.
func TestClockSkewShownAndCorrected(t *testing.T) {
	line := stdLine()
	line.ShortStopRate = 0
	s := newFullStack(t, opts{db: "sqlite", speed: 20, line: line, idealCycle: "50ms", simClock: 10 * time.Minute})
	s.waitCounting(30)

	// Central shows the skew.
	var l lineView
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if l = findLine(s.lines(), "L1"); l.ClockSkewMS != 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if l.ClockSkewMS < (9*time.Minute).Milliseconds() || l.ClockSkewMS > (11*time.Minute).Milliseconds() {
		t.Fatalf("L1 clock_skew_ms = %d, want about 10 minutes ahead", l.ClockSkewMS)
	}
	skew := s.waitException(domain.ExceptionClockSkew, domain.ExceptionOpen)
	if !strings.Contains(skew.Detail, "ahead") {
		t.Fatalf("clock_skew exception %+v", skew)
	}

	// A changeover while the line is stopped, so the split is exact.
	atStop, err := s.sim.StopLine("L1")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // ten polls: the edge has the final value
	ctx := context.Background()
	sup := domain.Actor{Name: "sup", Role: domain.RoleSupervisor}
	now := time.Now()
	if _, err := s.central.Store().StopWorkOrderAs(ctx, "WO-1001-10", now, sup, "pause"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.central.Store().StartWorkOrderAs(ctx, "WO-1002-10", now, sup, "start"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sim.StartLine("L1"); err != nil {
		t.Fatal(err)
	}
	waitTruth(t, s, func(tr linesim.LineTruth) bool { return tr.Good > atStop.Good+30 }, 30*time.Second)
	end, err := s.sim.StopLine("L1")
	if err != nil {
		t.Fatal(err)
	}
	var wo1, wo2 domain.WorkOrder
	deadline = time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		wo1, _ = s.central.Store().GetWorkOrder(ctx, "WO-1001-10")
		wo2, _ = s.central.Store().GetWorkOrder(ctx, "WO-1002-10")
		if wo1.Good+wo2.Good == int64(end.Good) && wo1.Reject+wo2.Reject == int64(end.Reject) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("made good %d before the changeover, %d in all; WO-1001-10 good=%d reject=%d, WO-1002-10 good=%d reject=%d",
		atStop.Good, end.Good, wo1.Good, wo1.Reject, wo2.Good, wo2.Reject)
	if wo1.Good != int64(atStop.Good) || wo1.Reject != int64(atStop.Reject) ||
		wo2.Good != int64(end.Good-atStop.Good) || wo2.Reject != int64(end.Reject-atStop.Reject) {
		t.Fatalf("attribution: WO-1001-10 good=%d reject=%d (want %d/%d), WO-1002-10 good=%d reject=%d (want %d/%d)",
			wo1.Good, wo1.Reject, atStop.Good, atStop.Reject, wo2.Good, wo2.Reject, end.Good-atStop.Good, end.Reject-atStop.Reject)
	}

	// The PLC's clock is set right: the skew and its exception go.
	s.sim.SetClockOffset(0)
	if _, err := s.sim.StartLine("L1"); err != nil {
		t.Fatal(err)
	}
	s.waitException(domain.ExceptionClockSkew, domain.ExceptionResolved)
	if l := findLine(s.lines(), "L1"); l.ClockSkewMS != 0 {
		t.Fatalf("L1 clock_skew_ms = %d after the clock was set right", l.ClockSkewMS)
	}
}

func (s *fullStack) waitException(kind domain.ExceptionKind, status domain.ExceptionStatus) domain.Exception {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, x := range s.exceptions() {
			if x.Kind == kind && x.Status == status {
				return x
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("no %s %s exception on L1: %+v", status, kind, s.exceptions())
	return domain.Exception{}
}
