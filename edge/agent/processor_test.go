package agent

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/edge/config"
	"github.com/linewise/linewise/edge/outbox"
)

// A line whose only signals are pushed over MQTT: a message per good part
// (a serial number), a cumulative reject counter and a break bit.
const inferYAML = `
edge_id: edge-T
line: T1
data_dir: %s
central:
  mqtt: {broker: "tcp://127.0.0.1:1"}
devices:
  - name: cell
    driver: mqtt
    broker: tcp://127.0.0.1:1
    signals:
      - {name: part, topic: cell/part, payload: text}
      - {name: rejects, topic: cell/rejects, payload: number}
      - {name: on_break, topic: cell/break, payload: number}
counters:
  - {signal: part, kind: good, mode: per_part}
  - {signal: rejects, kind: reject}
state:
  infer:
    ideal_cycle: 10s
    short_stop_after: 3
    down_after: 12
    planned_signal: on_break
`

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func reading(sig string, v any, at time.Time) devices.Reading {
	return devices.Reading{Signal: sig, Value: v, Quality: devices.Good, SourceTime: at}
}

func newTestProcessor(t *testing.T, yml string) (*processor, *outbox.Outbox, *fakeClock) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(yml, dir)), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.Open(dir, cfg.EdgeID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	p, err := newProcessor(cfg, ob, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)}
	p.now = clk.now
	return p, ob, clk
}

// pending returns what the outbox would send, rendered one per line as
// "type at+offset detail" for readable comparison.
func pending(t *testing.T, ob *outbox.Outbox, start time.Time) []string {
	t.Helper()
	evs, err := ob.Pending(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		off := e.SourceTime.Sub(start)
		switch {
		case e.Count != nil:
			out = append(out, fmt.Sprintf("count +%s good=%d reject=%d", off, e.Count.Good, e.Count.Reject))
		case e.State != nil:
			out = append(out, fmt.Sprintf("state +%s %s %s", off, e.State.State, e.State.Reason))
		}
	}
	return out
}

func TestInferredStateFromParts(t *testing.T) {
	p, ob, clk := newTestProcessor(t, inferYAML)
	ctx := context.Background()
	start := clk.t
	// step advances the clock, then reads sig=v (if given) at that moment.
	step := func(d time.Duration, sigv ...any) {
		t.Helper()
		clk.advance(d)
		if len(sigv) == 2 {
			if _, err := p.process(ctx, []devices.Reading{reading(sigv[0].(string), sigv[1], clk.t)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step(0, "rejects", 5.0)              // watching starts (a baseline, not a part); nothing known yet
	step(10*time.Second, "part", "SN-1") // a part: running
	step(10*time.Second, "part", `{"sn":"SN-2"}`)
	step(31 * time.Second) // 31 s after the last part: a short stop from +50s
	step(2 * time.Minute)  // long past 120 s: down from +140s
	step(5*time.Second, "part", "SN-3")
	// Straight from running to long past down_after in one check: the
	// short stop is still recorded where it began.
	step(10 * time.Minute)
	step(time.Second, "on_break", true)
	step(30 * time.Minute) // a break is not downtime
	step(time.Second, "on_break", "0")
	step(10*time.Second, "part", "SN-4")

	want := []string{
		"count +10s good=1 reject=0",
		"state +10s running ",
		"count +20s good=1 reject=0",
		"state +50s idle short stop: no part for 30s (inferred)",
		"state +2m20s down no part for 2m0s (inferred)",
		"count +2m56s good=1 reject=0",
		"state +2m56s running ",
		"state +3m26s idle short stop: no part for 30s (inferred)",
		"state +4m56s down no part for 2m0s (inferred)",
		"state +12m57s planned_stop planned stop signal on_break",
		"count +43m8s good=1 reject=0",
		"state +43m8s running ",
	}
	got := pending(t, ob, start)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestInferredStateAfterNoDataAndRestart(t *testing.T) {
	p, ob, clk := newTestProcessor(t, inferYAML)
	ctx := context.Background()
	start := clk.t
	run := func(rs ...devices.Reading) {
		t.Helper()
		if _, err := p.process(ctx, rs); err != nil {
			t.Fatal(err)
		}
		if _, err := p.tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run(reading("part", "a", clk.t))
	clk.advance(3 * time.Minute)
	run() // down
	clk.advance(time.Second)
	run(devices.Reading{Signal: "rejects", Quality: devices.Bad, SourceTime: clk.t})
	clk.advance(10 * time.Minute)
	run() // no inference while a counter has no data
	run(reading("rejects", int64(7), clk.t))
	clk.advance(40 * time.Second)
	run() // data is back but no part: the gap tells nothing, the line stays as it was until a part or a threshold
	clk.advance(2 * time.Minute)
	run() // down again, timed from the return of the data

	// A new processor on the same outbox (an agent restart) remembers the
	// last state and does not claim "running" without a part.
	p2, err := newProcessor(p.cfg, ob, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	p2.now = clk.now
	clk.advance(time.Minute)
	if _, err := p2.process(ctx, []devices.Reading{reading("rejects", int64(7), clk.t)}); err != nil {
		t.Fatal(err)
	}
	clk.advance(40 * time.Second)
	if _, err := p2.tick(ctx); err != nil {
		t.Fatal(err)
	}

	want := []string{
		"count +0s good=1 reject=0",
		"state +0s running ",
		"state +30s idle short stop: no part for 30s (inferred)",
		"state +2m0s down no part for 2m0s (inferred)",
		"state +3m1s no_data no data from rejects",
		"state +13m31s idle short stop: no part for 30s (inferred)",
		"state +15m1s down no part for 2m0s (inferred)",
	}
	got := pending(t, ob, start)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPerPartRequiresPushedSignal(t *testing.T) {
	yml := `
edge_id: e
line: L
data_dir: /tmp/x
central: {mqtt: {broker: "tcp://127.0.0.1:1"}}
devices:
  - name: plc
    driver: modbus
    address: 127.0.0.1:1
    signals:
      - {name: good, table: holding, address: 1, type: uint16}
counters:
  - {signal: good, kind: good, mode: per_part}
`
	_, err := config.Parse("edge.yaml", []byte(yml), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "edge.yaml:13: counters[0].mode: per_part counts every reading") {
		t.Fatalf("err = %v", err)
	}
}

// A station's fixed scanner and a QC station, both pushed over MQTT.
const scanQCYAML = `
edge_id: edge-T
line: T1
data_dir: %s
central:
  mqtt: {broker: "tcp://127.0.0.1:1"}
devices:
  - name: scanner
    driver: mqtt
    broker: tcp://127.0.0.1:1
    signals:
      - {name: wo_scan, topic: st/scan, payload: text}
  - name: gauge
    driver: qc-mqtt
    broker: tcp://127.0.0.1:1
    signals:
      - {name: bore, topic: qc/T1}
counters: []
scans:
  - {signal: wo_scan, station: ST-T1}
qc:
  - {signal: bore, station: QC-T1}
`

func TestScansAndQCResultsBecomeEvents(t *testing.T) {
	p, ob, clk := newTestProcessor(t, scanQCYAML)
	ctx := context.Background()
	start := clk.t
	rs := []devices.Reading{
		reading("wo_scan", "  WO-1004-10\r", clk.t),
		reading("wo_scan", "", clk.t),                                // an empty read: nothing
		reading("wo_scan", "WO\x1b[2J-1", clk.t),                     // control characters: noise, not a code
		{Signal: "wo_scan", Quality: devices.Bad, SourceTime: clk.t}, // scanner offline: logged, the line is not "no data"
		reading("bore", `{"unit":"SN-7","characteristic":"bore_mm","value":12.07,"lower":11.95,"upper":12.05,"pass":false}`, clk.t.Add(time.Second)),
		reading("bore", `{"lot":"LOT-3","characteristic":"bore_mm","value":12.0,"pass":true}`, clk.t.Add(2*time.Second)),
		reading("bore", `not json`, clk.t.Add(3*time.Second)),
	}
	if _, err := p.process(ctx, rs); err != nil {
		t.Fatal(err)
	}
	evs, err := ob.Pending(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		switch {
		case e.Scan != nil:
			got = append(got, fmt.Sprintf("scan +%s %s %q %q", e.SourceTime.Sub(start), e.Scan.Station, e.Scan.Code, e.Scan.Action))
		case e.QC != nil:
			q := e.QC
			got = append(got, fmt.Sprintf("qc +%s %s %s %s %v pass=%v limits=%v", e.SourceTime.Sub(start), q.Station, q.Unit, q.Characteristic, q.Value, q.Pass, q.Lower != nil && q.Upper != nil))
		default:
			got = append(got, "unexpected "+e.Type)
		}
		if err := e.Validate(); err != nil {
			t.Errorf("event %d does not pass central's checks: %v", e.Seq, err)
		}
	}
	want := []string{
		`scan +0s ST-T1 "WO-1004-10" ""`,
		`qc +1s QC-T1 SN-7 bore_mm 12.07 pass=false limits=true`,
		`qc +2s QC-T1 LOT-3 bore_mm 12 pass=true limits=false`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestScanAndQCConfigErrors(t *testing.T) {
	yml := strings.Replace(scanQCYAML, "{signal: wo_scan, station: ST-T1}", "{signal: wo_scan, station: \"ST T1\", action: toggle}\n  - {signal: nowhere, station: ST-2}", 1)
	yml = strings.Replace(yml, "{signal: bore, station: QC-T1}", "{signal: wo_scan}", 1)
	_, err := config.Parse("edge.yaml", []byte(fmt.Sprintf(yml, t.TempDir())), slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"edge.yaml:20: scans[0].station:",
		`edge.yaml:20: scans[0].action: "toggle" is not start, pause, resume or complete, lot or serial`,
		`edge.yaml:21: scans[1].signal: no device delivers signal "nowhere"`,
		`edge.yaml:23: qc[0].signal: signal "wo_scan" is mapped twice`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q; got:\n%s", want, err)
		}
	}
}
