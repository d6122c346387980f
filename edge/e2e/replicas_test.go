package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/planning"
)

var (
	centralBinOnce sync.Once
	centralBinPath string
	centralBinErr  error
)

// centralBinary builds the real central command once per test run.
func centralBinary(t *testing.T) string {
	t.Helper()
	centralBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "linewise-central-bin")
		if err != nil {
			centralBinErr = err
			return
		}
		centralBinPath = filepath.Join(dir, "central")
		out, err := exec.Command("go", "build", "-o", centralBinPath, "github.com/linewise/linewise/central/cmd/central").CombinedOutput()
		if err != nil {
			centralBinErr = fmt.Errorf("go build central: %v\n%s", err, out)
		}
	})
	if centralBinErr != nil {
		t.Fatal(centralBinErr)
	}
	return centralBinPath
}

// replica is a central process of a replicated stack.
type replica struct {
	t    *testing.T
	name string
	conf string
	base string
	cmd  *exec.Cmd
}

// startReplicaProcess writes a configuration like the stack's central's,
// with its own HTTP address and MQTT client id, and starts central from it.
func startReplicaProcess(t *testing.T, s *fullStack, name, extra string) *replica {
	t.Helper()
	addr := freeAddr(t)
	yml := fmt.Sprintf(`http: %s
data_dir: %s
demo: true
database: {driver: postgres, dsn: %q}
mqtt:
  broker_url: %q
  embedded: {enabled: false}
  client_id: %s
  shared_group: central
edges:
  - {id: %s, token: %q, lines: [L1]}
%s`, addr, filepath.Join(s.dir, name), s.ccfg.Database.DSN, s.broker, "linewise-central-"+name, edgeID, edgeToken, extra)
	conf := filepath.Join(s.dir, name+".yaml")
	if err := os.WriteFile(conf, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &replica{t: t, name: name, conf: conf, base: "http://" + addr}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *replica) start() {
	r.t.Helper()
	r.cmd = exec.Command(centralBinary(r.t), "--config", r.conf)
	if os.Getenv("LINEWISE_TEST_LOG") != "" {
		r.cmd.Stderr = os.Stderr
	}
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res, err := http.Get(r.base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("replica %s did not answer /healthz", r.name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL: no shutdown code runs.
func (r *replica) kill() {
	if r.cmd != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

// stop ends it as an operator would (SIGTERM, then SIGKILL after 15 s).
func (r *replica) stop() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		r.cmd.Process.Kill()
		<-done
	}
	r.cmd = nil
}

// metric is the value of a metric line on the replica's /metrics, or "".
func metric(base, name string) string {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v
		}
	}
	return ""
}

// TestReplicasSharedSubscriptionExactCounts: three centrals on one
// PostgreSQL take one edge's batches through a shared subscription on a
// real Mosquitto while the line runs; one replica process is SIGKILLed
// mid-ingest and another restarted. Central's counts equal the
// simulator's truth exactly, as read from every replica still up.
func TestReplicasSharedSubscriptionExactCounts(t *testing.T) {
	s := newFullStack(t, opts{db: "postgres", speed: 20, line: stdLine(), mosquitto: true, central: func(c *app.Config) {
		c.MQTT.ClientID = "linewise-central-a"
		c.MQTT.SharedGroup = "central"
	}})
	b := startReplicaProcess(t, s, "b", "")
	c := startReplicaProcess(t, s, "c", "")
	s.waitCounting(40)
	taken := func(r *replica) string { return metric(r.base, `linewise_ingest_batches_received_total`) }
	// Mid-ingest: wait until B has taken batches, then SIGKILL it.
	deadline := time.Now().Add(30 * time.Second)
	for n, _ := strconv.ParseFloat(taken(b), 64); n < 5; n, _ = strconv.ParseFloat(taken(b), 64) {
		if time.Now().After(deadline) {
			t.Fatalf("replica b took fewer than 5 batches: %q", taken(b))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("replica b SIGKILLed after taking %s batches", taken(b))
	b.kill()
	s.waitCounting(findLine(s.lines(), "L1").Good + 40)
	c.stop()
	c.start()
	s.waitCounting(findLine(s.lines(), "L1").Good + 40)
	truth := s.finish()
	l := findLine(linesOf(c.base), "L1")
	if l.Good != int64(truth.Good) || l.Reject != int64(truth.Reject) {
		t.Errorf("replica c shows good=%d reject=%d, truth good=%d reject=%d", l.Good, l.Reject, truth.Good, truth.Reject)
	}
}

// linesOf is GET /api/v1/lines of a central, as the demo supervisor.
func linesOf(base string) []lineView {
	res, err := centralGet(base, "/api/v1/lines")
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	var out []lineView
	json.NewDecoder(res.Body).Decode(&out)
	return out
}

// storedShiftReports lists the stored reports of one shift (every revision).
func storedShiftReports(t *testing.T, base, date, shift string) []map[string]any {
	t.Helper()
	res, err := centralGet(base, "/api/v1/reports/stored?from="+date+"&to="+date)
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	var out struct {
		Reports []map[string]any `json:"reports"`
	}
	json.NewDecoder(res.Body).Decode(&out)
	var rs []map[string]any
	for _, r := range out.Reports {
		if r["kind"] == "shift" && r["shift"] == shift {
			rs = append(rs, r)
		}
	}
	return rs
}

// TestReplicaLeaderKilledAtShiftEndReportsOnce: the replica leading the
// timed work is SIGKILLed just as a shift ends; another replica takes the
// lead and the shift's report is stored exactly once.
func TestReplicaLeaderKilledAtShiftEndReportsOnce(t *testing.T) {
	// A shift ending at the next minute boundary at least 25 s away (UTC).
	end := time.Now().UTC().Add(25 * time.Second).Truncate(time.Minute).Add(time.Minute)
	start := end.Add(-20 * time.Minute)
	shift := start.Format("15:04")
	shifts := fmt.Sprintf("planning: {shifts: [{start: %q, end: %q}]}\n", shift, end.Format("15:04"))
	s := newFullStack(t, opts{db: "postgres", speed: 20, line: stdLine(), mosquitto: true, central: func(c *app.Config) {
		c.MQTT.ClientID = "linewise-central-a"
		c.MQTT.SharedGroup = "central"
		c.Planning.Shifts = []planning.Shift{{Start: shift, End: end.Format("15:04")}}
	}})
	b := startReplicaProcess(t, s, "b", shifts)
	c := startReplicaProcess(t, s, "c", shifts)
	s.waitCounting(20)
	// Hand the lead to a process: stop the in-process central.
	s.stopCentral()
	s.base = b.base
	leader := func() *replica {
		for _, r := range []*replica{b, c} {
			if r.cmd != nil && metric(r.base, "linewise_central_leader") == "1" {
				return r
			}
		}
		return nil
	}
	deadline := time.Now().Add(15 * time.Second)
	for leader() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no process replica leads after the in-process one stopped")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Until(end) + 200*time.Millisecond)
	dead := leader()
	if dead == nil {
		t.Fatal("no leader at the shift's end")
	}
	dead.kill()
	t0 := time.Now()
	other := b
	if dead == b {
		other = c
	}
	for metric(other.base, "linewise_central_leader") != "1" {
		if time.Since(t0) > 15*time.Second {
			t.Fatalf("replica %s did not take the lead", other.name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("leader %s SIGKILLed at %s, 0.2 s after the shift ended; %s led after %v", dead.name, time.Now().UTC().Format("15:04:05.000"), other.name, time.Since(t0).Round(time.Millisecond))
	date := start.Format("2006-01-02")
	var rs []map[string]any
	for rs = storedShiftReports(t, other.base, date, shift); len(rs) == 0; rs = storedShiftReports(t, other.base, date, shift) {
		if time.Since(t0) > 90*time.Second {
			t.Fatalf("no stored report of shift %s %s", date, shift)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// The new leader's next round, and the dead one back (it resumes as a follower).
	dead.start()
	time.Sleep(3 * time.Second)
	rs = storedShiftReports(t, other.base, date, shift)
	if len(rs) != 1 || rs[0]["revision"] != float64(1) {
		t.Fatalf("stored reports of shift %s %s: %v; want exactly one, revision 1", date, shift, rs)
	}
	t.Logf("shift %s %s stored once: generated at %v (%v)", date, shift, rs[0]["generated_at"], rs[0]["reason"])
	s.finish()
}
