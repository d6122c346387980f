package linesim

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

func startSim(t *testing.T, cfg Config) *Sim {
	t.Helper()
	s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return s
}

func testConfig() Config {
	return Config{Seed: 42, Speed: 50, HTTP: "127.0.0.1:0",
		Lines: []LineConfig{lineCfg("L1", 0.1, 0, 16), lineCfg("L2", 0, 0, 32)}}
}

func call(t *testing.T, method, url string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: content type %q", method, url, ct)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

func TestHTTPEndpoints(t *testing.T) {
	s := startSim(t, testConfig())
	base := "http://" + s.HTTPAddr()
	time.Sleep(300 * time.Millisecond) // ~15 simulated seconds

	var truth struct{ Lines []LineTruth }
	if code := call(t, "GET", base+"/truth", &truth); code != 200 {
		t.Fatalf("GET /truth: %d", code)
	}
	if len(truth.Lines) != 2 || truth.Lines[0].Line != "L1" || truth.Lines[0].Made == 0 || truth.Lines[0].State != "running" {
		t.Fatalf("truth: %+v", truth)
	}

	var stopped LineTruth
	if code := call(t, "POST", base+"/lines/L1/stop", &stopped); code != 200 || stopped.State != "idle" {
		t.Fatalf("stop: %d %+v", code, stopped)
	}
	time.Sleep(100 * time.Millisecond)
	call(t, "GET", base+"/truth", &truth)
	if got := truth.Lines[0]; got.Made != stopped.Made || got.GoodCounter != stopped.GoodCounter {
		t.Fatalf("stopped line moved on: stop %+v now %+v", stopped, got)
	}
	if truth.Lines[1].State != "running" {
		t.Fatalf("stopping L1 touched L2: %+v", truth.Lines[1])
	}

	var pc LineTruth
	if code := call(t, "POST", base+"/lines/L1/power-cycle", &pc); code != 200 ||
		pc.GoodCounter != 0 || pc.RejectCounter != 0 || pc.Good != stopped.Good {
		t.Fatalf("power-cycle: %d %+v (before %+v)", code, pc, stopped)
	}

	var bd LineTruth
	if code := call(t, "POST", base+"/lines/L2/breakdown?seconds=3600&fault=33", &bd); code != 200 ||
		bd.State != "down" || bd.Fault != 33 {
		t.Fatalf("breakdown: %d %+v", code, bd)
	}
	var st LineTruth
	if code := call(t, "POST", base+"/lines/L1/start", &st); code != 200 || st.State != "running" {
		t.Fatalf("start: %d %+v", code, st)
	}

	var e map[string]string
	if code := call(t, "POST", base+"/lines/NOPE/stop", &e); code != 404 || e["error"] == "" {
		t.Fatalf("unknown line: %d %v", code, e)
	}
	if code := call(t, "POST", base+"/lines/L1/breakdown?seconds=abc", &e); code != 400 {
		t.Fatalf("bad seconds: %d %v", code, e)
	}
}

func TestStopIdempotent(t *testing.T) {
	s := startSim(t, testConfig())
	ctx := context.Background()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// A PLC clock running ahead: every source timestamp the simulator serves
// is off by the offset, from config or set while running.
func TestClockOffsetShiftsSourceTimes(t *testing.T) {
	cfg := NewConfig()
	cfg.ClockOffset = 10 * time.Minute
	cfg.Lines = []LineConfig{{ID: "L1", IdealCycle: time.Second}}
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(s.realAt(0)); d < 9*time.Minute || d > 11*time.Minute {
		t.Fatalf("source time %s from now, want about 10 minutes ahead", d)
	}
	s.SetClockOffset(-time.Hour)
	if d := time.Until(s.realAt(0)); d > -59*time.Minute || d < -61*time.Minute {
		t.Fatalf("source time %s from now, want about an hour behind", d)
	}
}
