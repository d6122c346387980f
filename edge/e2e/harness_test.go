package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/devices/linesim"
	"github.com/linewise/linewise/edge/agent"
	"github.com/linewise/linewise/edge/config"
)

const (
	edgeID    = "edge-L1"
	edgeToken = "test-edge-L1-token-0123456789"
)

// opts describe one stack: which database, which broker, how the edge runs.
type opts struct {
	db          string  // "sqlite" or "postgres"
	speed       float64 // simulated seconds per real second
	line        linesim.LineConfig
	mosquitto   bool   // use a test-started Mosquitto instead of central's embedded broker
	subprocess  bool   // run the edge as its own process (so it can be SIGKILLed)
	poll        string // edge poll interval
	batchSize   int
	ackTimeout  string
	maxRate     float64       // counters[].max_rate
	commitDelay time.Duration // central holds every ingest commit this long
	https       bool          // edge sends over HTTPS POST /api/v1/ingest instead of MQTT
	heartbeat   string        // central.heartbeat of the edge; empty: the default
	central     func(*app.Config)
	// uplinkVia, when set, gives the broker URL the edge's uplink uses
	// (a proxy in front of the broker); the devices still use the broker.
	uplinkVia func(t *testing.T, broker string) string
	// edgeCentral gives more YAML under the edge's central: key, one
	// "key: value" per line.
	edgeCentral func(s *fullStack) []string
	idealCycle  string        // ideal_cycle of the edge config (edge/README.md, Counters: wrap and reset)
	simClock    time.Duration // the simulated PLCs' clock offset
	// modbusCounters reads both 16-bit counters from the Modbus PLC in one
	// request, instead of the good counter over OPC UA; with
	// overflowCounts, their overflow counts too (wraps_signal).
	modbusCounters bool
	overflowCounts bool
}

// fullStack is a simulator, central and an edge agent that tests can break.
type fullStack struct {
	t        *testing.T
	o        opts
	dir      string
	ccfg     app.Config
	central  *app.App
	sim      *linesim.Sim
	agent    *agent.Agent
	proc     *exec.Cmd
	mosq     *mosquitto
	broker   string // tcp://host:port everyone uses
	base     string // central's http://host:port
	edgeYAML string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newFullStack(t *testing.T, o opts) *fullStack {
	t.Helper()
	if o.speed == 0 {
		o.speed = 20
	}
	if o.poll == "" {
		o.poll = "100ms"
	}
	if o.batchSize == 0 {
		o.batchSize = 200
	}
	if o.ackTimeout == "" {
		o.ackTimeout = "2s"
	}
	s := &fullStack{t: t, o: o, dir: t.TempDir()}
	log := testLogger(t)

	s.ccfg = app.DefaultConfig()
	s.ccfg.HTTP = freeAddr(t)
	s.ccfg.DataDir = filepath.Join(s.dir, "central")
	s.ccfg.DemoStart = time.Now().Add(-time.Minute)
	s.ccfg.Edges = []app.EdgeConfig{{ID: edgeID, Token: edgeToken, Lines: []string{"L1"}}}
	s.ccfg.MQTT.Embedded.AnonymousTopics = []string{"linesim/#"} // the simulator has no credentials
	s.ccfg.CommitDelay = o.commitDelay
	if o.db == "postgres" {
		s.ccfg.Database.Driver = "postgres"
		s.ccfg.Database.DSN = pgtest.Schema(t)
	}
	if o.mosquitto {
		s.mosq = startMosquitto(t, freeAddr(t))
		s.ccfg.MQTT.Embedded.Enabled = false
		s.ccfg.MQTT.BrokerURL = "tcp://" + s.mosq.addr
		s.broker = "tcp://" + s.mosq.addr
	} else {
		s.ccfg.MQTT.Embedded.Listen = freeAddr(t)
		s.broker = "tcp://" + s.ccfg.MQTT.Embedded.Listen
	}
	s.base = "http://" + s.ccfg.HTTP
	if o.central != nil {
		o.central(&s.ccfg)
	}
	s.startCentral()
	t.Cleanup(func() { s.stopCentral() })

	scfg := linesim.NewConfig()
	scfg.Seed = 11
	scfg.Speed = o.speed
	scfg.HTTP = "127.0.0.1:0"
	scfg.Modbus.Address = "127.0.0.1:0"
	scfg.OPCUA.Port = 0
	scfg.MQTT.Broker = s.broker
	scfg.MQTT.ClientID = "linesim-" + filepath.Base(s.dir)
	scfg.ClockOffset = o.simClock
	line := o.line
	line.ID = "L1"
	scfg.Lines = []linesim.LineConfig{line}
	sim, err := linesim.New(scfg, log.With("component", "linesim"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.sim = sim
	t.Cleanup(func() { sim.Stop(context.Background()) })

	maxRate := ""
	if o.maxRate > 0 {
		maxRate = fmt.Sprintf(", max_rate: %v", o.maxRate)
	}
	ideal := ""
	if o.idealCycle != "" {
		ideal = "ideal_cycle: " + o.idealCycle
	}
	s.edgeYAML = fmt.Sprintf(`
edge_id: %s
line: L1
%s
data_dir: %s
http: ""
central:
  %s
  ack_timeout: %s
  batch_size: %d
devices:
  - name: press-plc
    driver: opcua
    endpoint: %s
    poll_interval: %s
    timeout: 1s
    signals: [{name: good_total, node: "ns=1;s=L1.GoodCount"}]
  - name: reject-io
    driver: modbus
    address: %s
    poll_interval: %s
    timeout: 1s
    signals: [{name: reject_total, table: holding, address: 1, type: uint16}]
  - name: line-status
    driver: mqtt
    broker: %q
    client_id: linesim-reader-%s
    signals:
      - {name: machine_state, topic: linesim/L1/state, payload: json, field: state}
      - {name: fault_code, topic: linesim/L1/state, payload: json, field: fault}
counters:
  - {signal: good_total, kind: good, bits: %d, first_read: count%s}
  - {signal: reject_total, kind: reject, bits: 16, first_read: count%s}
state:
  signal: machine_state
  map: {0: idle, 1: running, 2: down, 3: setup, 4: planned_stop}
  reason_signal: fault_code
`, edgeID, ideal, filepath.Join(s.dir, "edge"), uplinkYAML(s), o.ackTimeout, o.batchSize,
		sim.OPCUAEndpoint(), o.poll, sim.ModbusAddr(), o.poll, s.broker, filepath.Base(s.dir),
		counterBits(line), maxRate, maxRate)
	if o.modbusCounters {
		s.edgeYAML = modbusCounters(s.edgeYAML, o.overflowCounts)
	}
	s.startEdge()
	t.Cleanup(func() { s.stopEdge() })
	return s
}

// modbusCounters rewrites the edge config so that the Modbus PLC delivers
// both counters, and with wraps their overflow counts (linesim registers
// +8, +9).
func modbusCounters(yml string, wraps bool) string {
	opcua := regexp.MustCompile(`(?s)  - name: press-plc\n.*?L1\.GoodCount"\}\]\n`)
	if !opcua.MatchString(yml) {
		panic("modbusCounters: the harness config changed: no press-plc device")
	}
	yml = opcua.ReplaceAllString(yml, "")
	rs := [][2]string{{"    signals: [{name: reject_total, table: holding, address: 1, type: uint16}]",
		"    signals:\n      - {name: good_total, table: holding, address: 0, type: uint16}\n      - {name: reject_total, table: holding, address: 1, type: uint16}"}}
	if wraps {
		rs[0][1] += "\n      - {name: good_wraps, table: holding, address: 8, type: uint16}\n      - {name: reject_wraps, table: holding, address: 9, type: uint16}"
		rs = append(rs, [2]string{"  - {signal: good_total, kind: good, bits: 16,", "  - {signal: good_total, kind: good, bits: 16, wraps_signal: good_wraps,"},
			[2]string{"  - {signal: reject_total, kind: reject, bits: 16,", "  - {signal: reject_total, kind: reject, bits: 16, wraps_signal: reject_wraps,"})
	}
	for _, r := range rs {
		if !strings.Contains(yml, r[0]) {
			panic("modbusCounters: the harness config changed: " + r[0])
		}
		yml = strings.Replace(yml, r[0], r[1], 1)
	}
	return yml
}

func uplinkYAML(s *fullStack) string {
	hb := ""
	if s.o.heartbeat != "" {
		hb = "\n  heartbeat: " + s.o.heartbeat
	}
	if s.o.https {
		return fmt.Sprintf("transport: https\n  https: {url: %q, token: %q}", s.base, edgeToken) + hb
	}
	if s.o.edgeCentral != nil {
		for _, l := range s.o.edgeCentral(s) {
			hb += "\n  " + l
		}
	}
	broker := s.broker
	if s.o.uplinkVia != nil {
		broker = s.o.uplinkVia(s.t, s.broker)
	}
	return fmt.Sprintf("mqtt: {broker: %q, username: %s, password: %q}", broker, edgeID, edgeToken) + hb
}

func counterBits(l linesim.LineConfig) int {
	if l.CounterBits == 0 {
		return 16
	}
	return l.CounterBits
}

func (s *fullStack) startCentral() {
	s.t.Helper()
	c, err := app.New(s.ccfg, testLogger(s.t).With("component", "central"))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		s.t.Fatal(err)
	}
	s.central = c
}

func (s *fullStack) stopCentral() {
	if s.central != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		s.central.Shutdown(ctx)
		s.central = nil
	}
}

func (s *fullStack) startEdge() {
	s.t.Helper()
	if s.o.subprocess {
		path := filepath.Join(s.dir, "edge.yaml")
		if err := os.WriteFile(path, []byte(s.edgeYAML), 0o644); err != nil {
			s.t.Fatal(err)
		}
		cmd := exec.Command(edgeBinary(s.t), "--config", path)
		if os.Getenv("LINEWISE_TEST_LOG") != "" {
			cmd.Stderr = os.Stderr
		}
		if err := cmd.Start(); err != nil {
			s.t.Fatal(err)
		}
		s.proc = cmd
		return
	}
	cfg, err := config.Parse("edge-test.yaml", []byte(s.edgeYAML), testLogger(s.t))
	if err != nil {
		s.t.Fatalf("edge config: %v", err)
	}
	a, err := agent.New(cfg, testLogger(s.t).With("component", "edge"))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		s.t.Fatal(err)
	}
	s.agent = a
}

func (s *fullStack) stopEdge() {
	if s.agent != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		s.agent.Shutdown(ctx)
		s.agent = nil
	}
	if s.proc != nil {
		s.proc.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.proc.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			s.proc.Process.Kill()
			<-done
		}
		s.proc = nil
	}
}

// killEdge ends the edge process with SIGKILL: no shutdown code runs.
func (s *fullStack) killEdge() {
	s.t.Helper()
	if s.proc == nil {
		s.t.Fatal("killEdge needs a subprocess edge")
	}
	s.proc.Process.Kill()
	s.proc.Wait()
	s.proc = nil
}

func (s *fullStack) lines() []lineView {
	resp, err := centralGet(s.base, "/api/v1/lines")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var out []lineView
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}

// waitCounting waits until central shows at least n good parts on L1.
func (s *fullStack) waitCounting(n int64) {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if l := findLine(s.lines(), "L1"); l.Good >= n {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("central never counted %d good parts on L1: %+v (truth %+v)", n, findLine(s.lines(), "L1"), s.sim.Truth())
}

// finish stops production and asserts central's count for the running work
// order equals the simulator's ground truth exactly: nothing lost, nothing
// counted twice.
func (s *fullStack) finish() linesim.LineTruth {
	s.t.Helper()
	truth, err := s.sim.StopLine("L1")
	if err != nil {
		s.t.Fatal(err)
	}
	var l lineView
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		l = findLine(s.lines(), "L1")
		if l.Good == int64(truth.Good) && l.Reject == int64(truth.Reject) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	s.t.Logf("simulator made good=%d reject=%d; central counted good=%d reject=%d", truth.Good, truth.Reject, l.Good, l.Reject)
	if l.Good != int64(truth.Good) || l.Reject != int64(truth.Reject) {
		s.t.Fatalf("central counted good=%d reject=%d on L1, the simulator made good=%d reject=%d", l.Good, l.Reject, truth.Good, truth.Reject)
	}
	if l.Active == nil || l.Active.Order != "PO-1001" {
		s.t.Fatalf("active work order %+v, want PO-1001's", l.Active)
	}
	// Hold a moment and look again: late duplicates must not arrive.
	time.Sleep(1500 * time.Millisecond)
	if l2 := findLine(s.lines(), "L1"); l2.Good != l.Good || l2.Reject != l.Reject {
		s.t.Fatalf("counts moved after the line stopped: %+v then %+v", l, l2)
	}
	return truth
}

var (
	edgeBinOnce sync.Once
	edgeBinPath string
	edgeBinErr  error
)

// edgeBinary builds the real edge command once per test run.
func edgeBinary(t *testing.T) string {
	t.Helper()
	edgeBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "linewise-edge-bin")
		if err != nil {
			edgeBinErr = err
			return
		}
		edgeBinPath = filepath.Join(dir, "edge")
		out, err := exec.Command("go", "build", "-o", edgeBinPath, "github.com/linewise/linewise/edge/cmd/edge").CombinedOutput()
		if err != nil {
			edgeBinErr = fmt.Errorf("go build edge: %v\n%s", err, out)
		}
	})
	if edgeBinErr != nil {
		t.Fatal(edgeBinErr)
	}
	return edgeBinPath
}

// mosquitto is a Mosquitto broker the test starts on its own port.
type mosquitto struct {
	t    *testing.T
	addr string
	conf string
	cmd  *exec.Cmd
}

func startMosquitto(t *testing.T, addr string) *mosquitto {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
			if _, e := os.Stat(p); e == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mosquitto is not installed (CI=true: a missing service is a failure)")
		}
		t.Skip("mosquitto is not installed")
	}
	host, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	body := fmt.Sprintf("listener %s %s\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n", port, host)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &mosquitto{t: t, addr: addr, conf: conf}
	_ = bin
	m.start()
	t.Cleanup(m.stop)
	return m
}

func (m *mosquitto) start() {
	m.t.Helper()
	bin, _ := exec.LookPath("mosquitto")
	if bin == "" {
		bin = "/usr/sbin/mosquitto"
	}
	m.cmd = exec.Command(bin, "-c", m.conf)
	stderr, _ := m.cmd.StderrPipe()
	if err := m.cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if os.Getenv("LINEWISE_TEST_LOG") != "" {
				fmt.Fprintln(os.Stderr, "mosquitto:", sc.Text())
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", m.addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.t.Fatalf("mosquitto did not listen on %s", m.addr)
}

func (m *mosquitto) stop() {
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Signal(os.Interrupt)
		m.cmd.Wait()
		m.cmd = nil
	}
}

var _ = strings.TrimSpace
