package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/build"
	"io"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/linesim"
	"github.com/linewise/linewise/devices/modbus"
	"github.com/linewise/linewise/devices/opcua"
)

// The benchmark: linesim serves `tags` values that all change every 100ms
// (bench_tags) over OPC UA and Modbus TCP. Each contender runs in a process
// of its own, one after the other, against that one simulator:
//
//   - ours, OPC UA, subscription at 100ms (this test binary re-executed);
//   - ours, Modbus, Poll every 100ms, as the edge agent's loop does;
//   - Telegraf inputs.opcua_listener, subscription_interval 100ms;
//   - Telegraf inputs.modbus, interval 100ms;
//
// and is measured the same way: readings per second (Good readings
// delivered, for Telegraf fields written to its JSON file output, the
// Quality field not counted) over a window after a warm-up, resident memory
// (VmRSS from /proc, mean and peak over the window) and CPU (utime+stime
// from /proc over the window). The most a contender can deliver is tags ×
// 10/s.
const (
	tags     = 1000
	interval = 100 * time.Millisecond
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func seconds(env string, def time.Duration) time.Duration {
	if v, err := strconv.ParseFloat(os.Getenv(env), 64); err == nil && v > 0 {
		return time.Duration(v * float64(time.Second))
	}
	return def
}

// result is one contender's figures.
type result struct {
	name       string
	readings   float64 // per second
	rssMean    float64 // MiB
	rssPeak    float64 // MiB
	cpu        float64 // % of one core
	heap       string  // Go heap in use at the end (ours only)
	note       string
	notRunning bool
}

func TestBenchDevices(t *testing.T) {
	if os.Getenv("LINEWISE_BENCH") != "1" {
		t.Skip("device benchmark: set LINEWISE_BENCH=1 (make bench)")
	}
	log.SetOutput(io.Discard) // gopcua's server logs its node import with the log package
	defer log.SetOutput(os.Stderr)
	warm := seconds("LINEWISE_BENCH_WARMUP", 5*time.Second)
	window := seconds("LINEWISE_BENCH_SECONDS", 20*time.Second)

	cfg := linesim.Config{Seed: 1, Speed: 1, HTTP: "127.0.0.1:0", BenchTags: tags,
		OPCUA:  linesim.OPCUAConfig{Host: "127.0.0.1"},
		Modbus: linesim.ModbusConfig{Address: "127.0.0.1:0"},
		Lines:  []linesim.LineConfig{{ID: "L1"}}}
	sim, err := linesim.New(cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(context.Background())

	var rows []result
	rows = append(rows, runOurs(t, "linewise opcua (subscribe)", "opcua", sim.OPCUAEndpoint(), warm, window))
	rows = append(rows, runOurs(t, "linewise modbus (poll)", "modbus", sim.ModbusAddr(), warm, window))

	tg, why := telegrafBinary()
	if tg == "" {
		for _, n := range []string{"telegraf opcua_listener", "telegraf modbus"} {
			rows = append(rows, result{name: n, notRunning: true, note: why})
		}
	} else {
		rows = append(rows, runTelegraf(t, tg, "telegraf opcua_listener", opcuaListenerConf(sim.OPCUAEndpoint()), warm, window))
		rows = append(rows, runTelegraf(t, tg, "telegraf modbus", modbusConf(sim.ModbusAddr()), warm, window))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\ndevice benchmark: %d values changing every %v in linesim, %v window after %v warm-up, %d CPUs (%s)\n",
		tags, interval, window, warm, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "  %-28s %12s %10s %10s %8s %10s\n", "contender", "readings/s", "RSS MiB", "peak MiB", "CPU %", "Go heap")
	for _, r := range rows {
		if r.notRunning {
			fmt.Fprintf(&b, "  %-28s %12s   %s\n", r.name, "not run", r.note)
			continue
		}
		fmt.Fprintf(&b, "  %-28s %12.0f %10.1f %10.1f %8.0f %10s", r.name, r.readings, r.rssMean, r.rssPeak, r.cpu, r.heap)
		if r.note != "" {
			fmt.Fprintf(&b, "   %s", r.note)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "  (the most possible is %d readings/s; RSS and CPU from /proc of each contender's own process)\n", tags*int(time.Second/interval))
	fmt.Print(b.String())
}

// telegrafBinary finds Telegraf: $LINEWISE_TELEGRAF, else GOPATH/bin/telegraf
// (where .ci/telegraf.sh builds it), else PATH. Without it, why says how to
// get it.
func telegrafBinary() (path, why string) {
	cands := []string{}
	if p := os.Getenv("LINEWISE_TELEGRAF"); p != "" {
		cands = append(cands, p)
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	cands = append(cands, filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "bin", "telegraf"))
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, ""
		}
	}
	if p, err := exec.LookPath("telegraf"); err == nil {
		return p, ""
	}
	return "", fmt.Sprintf("no telegraf binary (looked at %s and PATH): build it with .ci/telegraf.sh (~10 min) or set LINEWISE_TELEGRAF", strings.Join(cands, ", "))
}

// procSampler samples a process's RSS and CPU time from /proc.
type procSampler struct {
	pid   int
	stop  chan struct{}
	done  chan struct{}
	rss   []float64
	cpu0  float64
	cpu1  float64
	start time.Time
	end   time.Time
}

func sample(pid int) *procSampler {
	p := &procSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	p.cpu0, p.start = cpuSeconds(pid), time.Now()
	go func() {
		defer close(p.done)
		tk := time.NewTicker(250 * time.Millisecond)
		defer tk.Stop()
		for {
			if kb := rssKB(pid); kb > 0 {
				p.rss = append(p.rss, float64(kb)/1024)
			}
			select {
			case <-p.stop:
				return
			case <-tk.C:
			}
		}
	}()
	return p
}

func (p *procSampler) finish() {
	p.cpu1, p.end = cpuSeconds(p.pid), time.Now()
	close(p.stop)
	<-p.done
}

func (p *procSampler) fill(r *result) {
	var sum float64
	for _, v := range p.rss {
		sum += v
		r.rssPeak = max(r.rssPeak, v)
	}
	if len(p.rss) > 0 {
		r.rssMean = sum / float64(len(p.rss))
	}
	r.cpu = 100 * (p.cpu1 - p.cpu0) / p.end.Sub(p.start).Seconds()
}

func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				n, _ := strconv.Atoi(f[1])
				return n
			}
		}
	}
	return 0
}

// cpuSeconds is utime+stime of pid (all its threads).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

// runOurs re-executes this test binary as TestBenchChildProcess with one of
// our drivers, and measures it from outside like Telegraf.
func runOurs(t *testing.T, name, driver, target string, warm, window time.Duration) result {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LINEWISE_BENCH_CHILD="+driver, "LINEWISE_BENCH_TARGET="+target,
		"LINEWISE_BENCH_CHILD_WARM="+warm.String(), "LINEWISE_BENCH_CHILD_WINDOW="+window.String())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(warm)
	p := sample(cmd.Process.Pid)
	time.Sleep(window)
	p.finish()
	err := cmd.Wait()
	r := result{name: name}
	p.fill(&r)
	line := ""
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "BENCH ") {
			line = l
		}
	}
	if err != nil || line == "" {
		t.Errorf("%s: child failed: %v\n%s", name, err, out.String())
		r.note = "failed"
		return r
	}
	var n, secs float64
	var heap uint64
	var bad int64
	if _, err := fmt.Sscanf(line, "BENCH readings=%g seconds=%g heap=%d bad=%d", &n, &secs, &heap, &bad); err != nil {
		t.Errorf("%s: %q: %v", name, line, err)
	}
	r.readings = n / secs
	r.heap = fmt.Sprintf("%.1f MiB", float64(heap)/(1<<20))
	if bad > 0 {
		r.note = fmt.Sprintf("%d bad readings", bad)
	}
	return r
}

// TestBenchChildProcess is one of our drivers under measurement; only
// runOurs starts it.
func TestBenchChildProcess(t *testing.T) {
	driver := os.Getenv("LINEWISE_BENCH_CHILD")
	if driver == "" {
		t.Skip("started by TestBenchDevices only")
	}
	target := os.Getenv("LINEWISE_BENCH_TARGET")
	warm, _ := time.ParseDuration(os.Getenv("LINEWISE_BENCH_CHILD_WARM"))
	window, _ := time.ParseDuration(os.Getenv("LINEWISE_BENCH_CHILD_WINDOW"))
	var good, bad atomic.Int64
	count := func(r devices.Reading) {
		if r.Quality == devices.Good {
			good.Add(1)
		} else {
			bad.Add(1)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	switch driver {
	case "opcua":
		cfg := opcua.NewConfig()
		cfg.Endpoint, cfg.Mode, cfg.PollInterval = target, "subscribe", interval
		for i := range tags {
			cfg.Signals = append(cfg.Signals, opcua.Signal{Name: fmt.Sprintf("T%04d", i), Node: fmt.Sprintf("ns=1;s=Bench.T%04d", i)})
		}
		s, err := opcua.NewSubscriber("bench", cfg, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx, count); err != nil {
			t.Fatal(err)
		}
		defer s.Stop(context.Background())
	case "modbus":
		cfg := modbus.NewConfig()
		cfg.Address, cfg.PollInterval = target, interval
		for i := range tags {
			addr := linesim.BenchBase + i
			cfg.Signals = append(cfg.Signals, modbus.Signal{Name: fmt.Sprintf("T%04d", i), Table: "holding", Address: &addr, Type: "uint16"})
		}
		d, err := modbus.New("bench", cfg, quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		go func() { // the edge agent's poll loop
			tk := time.NewTicker(interval)
			defer tk.Stop()
			for {
				pctx, c := context.WithTimeout(ctx, 4*interval+5*time.Second)
				for _, r := range d.Poll(pctx) {
					count(r)
				}
				c()
				select {
				case <-ctx.Done():
					return
				case <-tk.C:
				}
			}
		}()
	default:
		t.Fatalf("unknown driver %q", driver)
	}
	time.Sleep(warm)
	g0, b0, t0 := good.Load(), bad.Load(), time.Now()
	time.Sleep(window)
	g1, b1, t1 := good.Load(), bad.Load(), time.Now()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("BENCH readings=%d seconds=%f heap=%d bad=%d\n", g1-g0, t1.Sub(t0).Seconds(), ms.HeapInuse, b1-b0)
}

func agentConf(out string) string {
	return fmt.Sprintf(`[agent]
  interval = "%s"
  round_interval = false
  metric_batch_size = 20000
  metric_buffer_limit = 2000000
  collection_jitter = "0s"
  flush_interval = "1s"
  flush_jitter = "0s"
  omit_hostname = true
  quiet = true

[[outputs.file]]
  files = [%q]
  data_format = "json"
  json_timestamp_units = "1ns"
`, interval, out)
}

func opcuaListenerConf(endpoint string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `
[[inputs.opcua_listener]]
  name = "bench"
  endpoint = %q
  connect_timeout = "10s"
  request_timeout = "5s"
  subscription_interval = "%s"
  security_policy = "None"
  security_mode = "None"
  auth_method = "Anonymous"
  nodes = [
`, endpoint, interval)
	for i := range tags {
		fmt.Fprintf(&b, "    {name=\"T%04d\", namespace=\"1\", identifier_type=\"s\", identifier=\"Bench.T%04d\"},\n", i, i)
	}
	b.WriteString("  ]\n")
	return b.String()
}

func modbusConf(addr string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `
[[inputs.modbus]]
  name = "bench"
  slave_id = 1
  timeout = "1s"
  controller = "tcp://%s"
  configuration_type = "register"
  holding_registers = [
`, addr)
	for i := range tags {
		fmt.Fprintf(&b, "    {name=\"T%04d\", byte_order=\"AB\", data_type=\"UINT16\", scale=1.0, address=[%d]},\n", i, linesim.BenchBase+i)
	}
	b.WriteString("  ]\n")
	return b.String()
}

// runTelegraf runs Telegraf with one input and measures it.
func runTelegraf(t *testing.T, bin, name, input string, warm, window time.Duration) result {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.json")
	conf := filepath.Join(dir, "telegraf.conf")
	if err := os.WriteFile(conf, []byte(agentConf(out)+input), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", conf)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return result{name: name, notRunning: true, note: err.Error()}
	}
	time.Sleep(warm)
	p := sample(cmd.Process.Pid)
	t0 := time.Now()
	time.Sleep(window)
	t1 := time.Now()
	p.finish()
	time.Sleep(2 * time.Second) // let it flush what it gathered in the window
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	r := result{name: name}
	p.fill(&r)
	n, err := countFields(out, t0, t1)
	if err != nil || n == 0 {
		t.Errorf("%s: no readings (%v); telegraf said:\n%s", name, err, tail(logs.String(), 3000))
		r.note = "no output"
		return r
	}
	r.readings = float64(n) / t1.Sub(t0).Seconds()
	r.heap = "-"
	return r
}

// countFields counts the value fields (not Quality/DataType) of the JSON
// metrics timestamped in [t0, t1).
func countFields(path string, t0, t1 time.Time) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		var m struct {
			Fields    map[string]any `json:"fields"`
			Timestamp int64          `json:"timestamp"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return n, err
		}
		ts := time.Unix(0, m.Timestamp)
		if ts.Before(t0) || !ts.Before(t1) {
			continue
		}
		for k := range m.Fields {
			if k != "Quality" && k != "DataType" {
				n++
			}
		}
	}
	return n, sc.Err()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
