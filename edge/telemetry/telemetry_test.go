package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/linewise/linewise/devices"
)

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startInfluxDB18 runs a real InfluxDB 1.8 (built with `go install
// github.com/influxdata/influxdb/cmd/influxd@v1.8.10`) with Flux enabled, on
// free ports, and creates database "linewise". Missing binary: skip, or fail
// with CI=true.
func startInfluxDB18(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("LINEWISE_INFLUXD")
	if bin == "" {
		if p, err := exec.LookPath("influxd"); err == nil {
			bin = p
		} else if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			bin = filepath.Join(strings.TrimSpace(string(out)), "bin", "influxd")
		}
	}
	if _, err := os.Stat(bin); bin == "" || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("influxd not found (CI=true: a missing service is a failure); install with go install github.com/influxdata/influxdb/cmd/influxd@v1.8.10")
		}
		t.Skip("influxd not found")
	}
	dir := t.TempDir()
	httpAddr, rpcAddr := freePort(t), freePort(t)
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = %q
[meta]
  dir = %q
[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false
[http]
  bind-address = %q
  flux-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
`, rpcAddr, filepath.Join(dir, "meta"), filepath.Join(dir, "data"), filepath.Join(dir, "wal"), httpAddr)
	confPath := filepath.Join(dir, "influxdb.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", confPath)
	if os.Getenv("LINEWISE_TEST_LOG") != "" {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + httpAddr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Post(base+"/query", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"q": {"CREATE DATABASE linewise"}}.Encode()))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("influxd did not come up on %s: %v", httpAddr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return base
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Points written equal readings taken, per signal, read back with Flux over
// the v2 query API of a real InfluxDB 1.8.
func TestWritesMatchReadingsInfluxDB18(t *testing.T) {
	base := startInfluxDB18(t)
	w := New(Config{URL: base, Bucket: "linewise/autogen", BatchSize: 100, FlushInterval: 50 * time.Millisecond, RateInterval: time.Hour}, "edge-L1", "L1", discard())
	w.Start(context.Background())
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	want := map[string]int{"good_total": 1234, "reject_total": 321, "machine_state": 57}
	var sum float64
	for sig, n := range want {
		for i := 0; i < n; i++ {
			r := devices.Reading{Signal: sig, Value: int64(i), Quality: devices.Good, SourceTime: t0.Add(time.Duration(i) * time.Millisecond)}
			if sig == "machine_state" && i%10 == 0 {
				r = devices.Reading{Signal: sig, Quality: devices.Bad, SourceTime: r.SourceTime, Err: fmt.Errorf("unreachable")}
			}
			if sig == "good_total" {
				sum += float64(i)
			}
			w.Reading("plc", r)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if w.Stats.Dropped.Load() != 0 || w.Stats.Written.Load() != 1234+321+57 {
		t.Fatalf("stats: written %d dropped %d", w.Stats.Written.Load(), w.Stats.Dropped.Load())
	}

	cli := influxdb2.NewClient(base, "")
	defer cli.Close()
	q := `from(bucket: "linewise/autogen") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "reading" and r._field == "quality_code") |> group(columns: ["signal"]) |> count()`
	res, err := cli.QueryAPI("").Query(context.Background(), q)
	if err != nil {
		t.Fatalf("flux query: %v", err)
	}
	got := map[string]int{}
	for res.Next() {
		got[res.Record().ValueByKey("signal").(string)] = int(res.Record().Value().(int64))
	}
	if res.Err() != nil {
		t.Fatal(res.Err())
	}
	for sig, n := range want {
		if got[sig] != n {
			t.Errorf("signal %s: %d points in InfluxDB, %d readings taken", sig, got[sig], n)
		}
	}
	// The values themselves arrived, not just the points.
	q = `from(bucket: "linewise/autogen") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "reading" and r.signal == "good_total" and r._field == "value") |> sum()`
	res, err = cli.QueryAPI("").Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for res.Next() {
		total += res.Record().Value().(float64)
	}
	if total != sum {
		t.Errorf("sum of good_total values in InfluxDB %v, want %v", total, sum)
	}
	// Bad readings carry their quality, and no value.
	q = `from(bucket: "linewise/autogen") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "reading" and r.signal == "machine_state" and r.quality == "bad" and r._field == "quality_code") |> count()`
	res, err = cli.QueryAPI("").Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for res.Next() {
		bad += int(res.Record().Value().(int64))
	}
	if bad != 6 {
		t.Errorf("%d bad machine_state points, want 6", bad)
	}
}

// InfluxDB being down never blocks the caller: points beyond the buffer are
// dropped (and counted), and Reading returns at once every time.
func TestInfluxDownNeverBlocks(t *testing.T) {
	dead := "http://" + freePort(t) // nothing listens there
	w := New(Config{URL: dead, Bucket: "linewise/autogen", BatchSize: 100, MaxBuffer: 1000, FlushInterval: 20 * time.Millisecond, RateInterval: time.Hour}, "e", "L1", discard())
	w.Start(context.Background())
	start := time.Now()
	for i := 0; i < 200_000; i++ {
		w.Reading("plc", devices.Reading{Signal: "s", Value: int64(i), Quality: devices.Good, SourceTime: time.Now()})
	}
	took := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := w.Stop(ctx); err == nil {
		t.Fatal("Stop reported success with InfluxDB unreachable")
	}
	if d := w.Stats.Dropped.Load(); d < 199_000-1000 {
		t.Fatalf("dropped %d, want nearly all beyond the 1000-point buffer", d)
	}
	if w.Stats.Written.Load() != 0 {
		t.Fatalf("wrote %d points to nowhere", w.Stats.Written.Load())
	}
	t.Logf("200,000 readings queued in %s with InfluxDB down", took)
}

func TestConfigValidate(t *testing.T) {
	c := Config{URL: "localhost:8086"}
	c.Defaults()
	c.BatchSize = 0
	err := c.Validate()
	for _, want := range []string{"url:", "bucket:", "batch_size:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a problem with %s", err, want)
		}
	}
}
