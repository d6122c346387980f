package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/edge/config"
)

// With InfluxDB unreachable the telemetry writer's failed writes and dropped
// points show on the edge's /metrics (its registry), as a user scraping it
// would see them.
func TestTelemetryCountersOnMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String() // nothing listens there once closed
	ln.Close()
	dir := t.TempDir()
	yml := fmt.Sprintf(`
edge_id: edge-M
line: M1
data_dir: %s
central:
  mqtt: {broker: "tcp://127.0.0.1:1"}
devices:
  - {name: plc, driver: synthetic, signals: [{name: good}]}
counters:
  - {signal: good, kind: good}
telemetry:
  influxdb: {url: "http://%s", bucket: linewise/autogen, batch_size: 10, max_buffer: 10, flush_interval: 10ms}
`, dir, dead)
	cfg, err := config.Parse("test.yaml", []byte(yml), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.ob.Close()
	a.tel.Start(context.Background())
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = a.tel.Stop(ctx)
	}()
	for i := range 25 {
		a.tel.Reading("plc", devices.Reading{Signal: "good", Value: int64(i), Quality: devices.Good, SourceTime: time.Now()})
	}
	deadline := time.Now().Add(20 * time.Second)
	for a.tel.Stats.Failed.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no failed write to an unreachable InfluxDB")
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := map[string]float64{}
	mfs, err := a.metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				got[mf.GetName()] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				got[mf.GetName()] = m.GetGauge().GetValue()
			}
		}
	}
	for name, want := range map[string]float64{
		"linewise_edge_telemetry_points_queued_total":  25,
		"linewise_edge_telemetry_points_dropped_total": 15, // beyond max_buffer 10
		"linewise_edge_telemetry_points_written_total": 0,
		"linewise_edge_telemetry_buffer_points":        10,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	if v := got["linewise_edge_telemetry_write_failures_total"]; v < 2 {
		t.Errorf("linewise_edge_telemetry_write_failures_total = %v, want at least 2", v)
	}
}
