package agent

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/edge/outbox"
	"github.com/linewise/linewise/edge/wire"
)

// A cumulative 32-bit good counter on a machine that makes at most 2 parts
// a second, and a pulse counter of rejects without a rate.
const boundsYAML = `
edge_id: edge-B
line: B1
data_dir: %s
central:
  mqtt: {broker: "tcp://127.0.0.1:1"}
devices:
  - name: plc
    driver: mqtt
    broker: tcp://127.0.0.1:1
    signals:
      - {name: good, topic: plc/good, payload: number}
      - {name: scrap, topic: plc/scrap, payload: number}
counters:
  - {signal: good, kind: good, bits: 32, max_rate: 2}
  - {signal: scrap, kind: reject, mode: pulse}
`

func sentCounts(t *testing.T, ob *outbox.Outbox) []wire.Count {
	t.Helper()
	evs, err := ob.Pending(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []wire.Count
	for _, e := range evs {
		if e.Count != nil {
			out = append(out, *e.Count)
		}
	}
	return out
}

// TestImpossibleDeltaIsSentFlagged: a counter that jumps further than the
// machine can make parts is neither dropped nor counted: the delta leaves
// flagged (central quarantines it), the baseline moves on, and the next
// believable delta is counted as usual, once.
func TestImpossibleDeltaIsSentFlagged(t *testing.T) {
	p, ob, clk := newTestProcessor(t, boundsYAML)
	t0 := clk.t
	ctx := context.Background()
	feed := func(rs ...devices.Reading) {
		t.Helper()
		if _, err := p.process(ctx, rs); err != nil {
			t.Fatal(err)
		}
	}
	feed(reading("good", int64(100), t0))                      // baseline
	feed(reading("good", int64(110), t0.Add(10*time.Second)))  // 10 in 10s: fine
	feed(reading("good", int64(5110), t0.Add(20*time.Second))) // 5000 in 10s at 2/s: impossible
	feed(reading("good", int64(5118), t0.Add(30*time.Second))) // 8 in 10s: fine again
	feed(reading("scrap", int64(2_000_000), t0.Add(31*time.Second)))
	got := sentCounts(t, ob)
	if len(got) != 4 {
		t.Fatalf("sent %+v, want 4 count events", got)
	}
	if got[0].Good != 10 || got[0].Refused != "" || got[2].Good != 8 || got[2].Refused != "" {
		t.Errorf("believable deltas: %+v and %+v", got[0], got[2])
	}
	if got[1].Good != 5000 || got[1].Raw != 5110 || !strings.Contains(got[1].Refused, "max_rate 2/s") {
		t.Errorf("impossible delta = %+v, want 5000 flagged naming max_rate", got[1])
	}
	if got[3].Reject != 2_000_000 || !strings.Contains(got[3].Refused, "ceiling") {
		t.Errorf("pulse above the ceiling = %+v, want flagged", got[3])
	}
	if n := p.flagged.Load(); n != 2 {
		t.Errorf("flagged = %d, want 2", n)
	}
	// What central makes of them: the flagged ones are refused, not counted.
	evs, _ := ob.Pending(ctx, 0, 1000)
	b := wire.Batch{Version: wire.Version, EdgeID: "edge-B", Events: evs}
	valid, refused := b.ScreenWith(t0.Add(time.Minute), wire.Limits{}, nil)
	if len(valid) != 2 || len(refused) != 2 || !strings.Contains(refused[0].Reason, "edge found it impossible") {
		t.Errorf("central would take %d and refuse %+v", len(valid), refused)
	}

	// After a restart the time of the last change bounds the next delta.
	ob.Close()
	ob2, err := outbox.Open(p.cfg.DataDir, p.cfg.EdgeID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob2.Close() })
	p2, err := newProcessor(p.cfg, ob2, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.process(ctx, []devices.Reading{reading("good", int64(5118+1000), t0.Add(40*time.Second))}); err != nil {
		t.Fatal(err)
	}
	after := sentCounts(t, ob2)
	if last := after[len(after)-1]; last.Good != 1000 || last.Refused == "" {
		t.Errorf("after restart: %+v, want 1000 in 10s flagged", last)
	}
}

// A device timestamp beyond 2262 (or before 1970) is never converted to
// nanoseconds: the event carries the receive time instead.
func TestImpossibleSourceTimeTakesReceiveTime(t *testing.T) {
	p, ob, clk := newTestProcessor(t, boundsYAML)
	ctx := context.Background()
	for i, at := range []time.Time{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := p.process(ctx, []devices.Reading{reading("scrap", int64(i+1), at)}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := ob.Pending(ctx, 0, 10)
	if err != nil || len(evs) != 2 {
		t.Fatalf("pending %d, %v", len(evs), err)
	}
	for _, e := range evs {
		// The receive time is the edge's clock (the test's clock here).
		if !e.SourceTime.Equal(clk.now()) {
			t.Errorf("event at %v, want the receive time %v", e.SourceTime, clk.now())
		}
	}
}
