// Package peers starts third-party servers (Mosquitto, a pymodbus Modbus TCP
// server, a node-opcua OPC UA server) for the driver tests, each on a free
// port, and stops them at t.Cleanup. Testing our drivers against someone
// else's implementation of the protocol catches what testing against our own
// simulator cannot: two halves written with the same misunderstanding.
//
// When a peer is not installed the test is skipped, except with CI=true,
// where a missing peer fails the test (.ci/peers.sh installs them all). This
// package is for tests only; it must never be imported by a driver.
package peers

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Missing skips the test, or fails it when CI=true: in CI a missing service
// is a failure, on a laptop it is a reason to run fewer tests.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + " (run .ci/peers.sh to install the test peers)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Proc is one peer process listening on Port. It can be killed and started
// again on the same port, to test reconnects.
type Proc struct {
	Name string
	Port int

	t       testing.TB
	argv    []string
	env     []string
	dir     string
	startup time.Duration

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

func newProc(t testing.TB, name string, port int, startup time.Duration, argv ...string) *Proc {
	p := &Proc{Name: name, Port: port, t: t, argv: argv, startup: startup}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.Output())
		}
	})
	return p
}

// Addr is 127.0.0.1:Port.
func (p *Proc) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)) }

// Start runs the process and waits until its port accepts connections.
func (p *Proc) Start() {
	p.t.Helper()
	p.mu.Lock()
	if p.cmd != nil {
		p.mu.Unlock()
		p.t.Fatalf("%s: already running", p.Name)
	}
	if p.out == nil {
		p.out = &syncBuffer{}
	}
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		p.t.Fatalf("%s: start %v: %v", p.Name, p.argv, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()

	deadline := time.Now().Add(p.startup)
	for {
		c, err := net.DialTimeout("tcp", p.Addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-done:
			p.mu.Lock()
			p.cmd = nil
			p.mu.Unlock()
			p.t.Fatalf("%s exited before listening on %s:\n%s", p.Name, p.Addr(), p.Output())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Kill()
			p.t.Fatalf("%s: not listening on %s after %v:\n%s", p.Name, p.Addr(), p.startup, p.Output())
		}
	}
}

// Kill ends the process with SIGKILL (a crash, not a shutdown: no goodbye
// on any connection) and waits for it. It is a no-op when not running.
func (p *Proc) Kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	// The process group is ours: we made it with Setpgid at Start.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// Output is everything the process wrote so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		return ""
	}
	return p.out.String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 1<<20 {
		return len(p), nil // keep the first MiB; a chatty peer must not eat memory
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Mosquitto starts Debian's /usr/sbin/mosquitto (or the one on PATH) with
// a config of its own: one listener on a free port, anonymous access, no
// persistence. Its URL is tcp://127.0.0.1:Port.
func Mosquitto(t testing.TB) *Proc {
	t.Helper()
	bin := "/usr/sbin/mosquitto"
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("mosquitto"); err != nil {
			Missing(t, "mosquitto not installed (apt-get install mosquitto)")
		}
	}
	port := FreePort(t)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	src := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\n", port)
	if err := os.WriteFile(conf, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newProc(t, "mosquitto", port, 10*time.Second, bin, "-c", conf)
	p.Start()
	return p
}

// URL is the broker URL of a Mosquitto peer.
func URL(p *Proc) string { return "tcp://" + p.Addr() }

// PyModbus starts script (a pymodbus server taking --port) with Debian's
// /usr/bin/python3, which is where python3-pymodbus installs the library
// (a pyenv python3 on PATH would not see it).
func PyModbus(t testing.TB, script string) *Proc {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		Missing(t, "%s not found", py)
	}
	if err := exec.Command(py, "-c", "import pymodbus.server, pymodbus.datastore").Run(); err != nil {
		Missing(t, "python3-pymodbus not installed for %s: %v", py, err)
	}
	abs, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	p := newProc(t, "pymodbus", port, 15*time.Second, py, abs, "--port", strconv.Itoa(port))
	p.Start()
	return p
}

// NodeOPCUADir is where node-opcua is installed: $LINEWISE_NODE_OPCUA_DIR,
// else $HOME/.cache/linewise/node-opcua (what .ci/peers.sh fills).
func NodeOPCUADir() string {
	if d := os.Getenv("LINEWISE_NODE_OPCUA_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "linewise", "node-opcua")
}

// NodeOPCUA prepares script (a node-opcua server taking --port) on a free
// port and starts it. Its endpoint is opc.tcp://127.0.0.1:Port. The server's
// PKI folder lives under the node-opcua dir so its certificate is made once.
func NodeOPCUA(t testing.TB, script string, extraArgs ...string) *Proc {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		Missing(t, "node not installed")
	}
	dir := NodeOPCUADir()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "node-opcua", "package.json")); err != nil {
		Missing(t, "node-opcua not installed in %s (set LINEWISE_NODE_OPCUA_DIR)", dir)
	}
	abs, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	argv := append([]string{node, abs, "--port", strconv.Itoa(port), "--pki", filepath.Join(dir, "pki")}, extraArgs...)
	p := newProc(t, "node-opcua", port, 60*time.Second, argv...)
	p.env = []string{"NODE_PATH=" + filepath.Join(dir, "node_modules")}
	p.Start()
	return p
}
