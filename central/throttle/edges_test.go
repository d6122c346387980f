package throttle

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Failed edge credentials lock out the address and the claimed edge id,
// with one log line and one metric count per lockout; the edge itself,
// from an address it authenticated from before, is not locked out by
// someone else failing under its name.
func TestEdgeGuardLockouts(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	g := NewEdgeGuard(Config{MaxFailures: 3, IPMaxFailures: 5, Window: time.Minute}, c.now,
		slog.New(slog.NewTextHandler(&logs, nil)))
	const edgeAddr, thief, thief2 = "10.0.0.2", "10.0.0.66", "10.0.0.67"
	g.Succeed("e1", edgeAddr)

	for i := 0; i < 3; i++ {
		if _, b := g.Blocked("e1", thief); b {
			t.Fatalf("attempt %d blocked before the limit", i+1)
		}
		g.Fail("mqtt", "e1", thief)
	}
	if _, b := g.Blocked("e1", thief2); !b {
		t.Error("e1 claimed from another address is not locked out after 3 failures")
	}
	if _, b := g.Blocked("e1", edgeAddr); b {
		t.Error("the edge's own address is locked out by someone else's failures")
	}
	if n := count(g, "mqtt", "edge"); n != 1 {
		t.Errorf("edge lockouts = %v, want 1", n)
	}
	// More failures while locked out: no further lockout, log line or count.
	g.Fail("mqtt", "e1", thief2)
	g.Fail("mqtt", "", thief)
	g.Fail("mqtt", "", thief) // thief's 5th: its address is locked out
	if _, b := g.Blocked("", thief); !b {
		t.Error("address not locked out after 5 failures")
	}
	if n := count(g, "mqtt", "ip"); n != 1 {
		t.Errorf("ip lockouts = %v, want 1", n)
	}
	if n := strings.Count(logs.String(), "edge credential lockout"); n != 2 {
		t.Errorf("%d lockout log lines, want 2 (one per lockout):\n%s", n, logs.String())
	}
	c.advance(time.Minute)
	if _, b := g.Blocked("e1", thief2); b {
		t.Error("still locked out after the window")
	}
}

func TestEdgeGuardOff(t *testing.T) {
	g := NewEdgeGuard(Config{}, nil, nil)
	for i := 0; i < 100; i++ {
		g.Fail("https", "e1", "10.0.0.1")
	}
	if _, b := g.Blocked("e1", "10.0.0.1"); b {
		t.Error("blocked with every limit off")
	}
}

func count(g *EdgeGuard, via, kind string) float64 {
	var m dto.Metric
	if err := g.lockouts.WithLabelValues(via, kind).Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}
