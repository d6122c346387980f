package opcua_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/internal/peers"
	"github.com/linewise/linewise/devices/opcua"
)

const nodeScript = "testdata/node_opcua_server.js"

// The variables of testdata/node_opcua_server.js; namespace urn:linewise:test is index 2.
func peerSignals() []opcua.Signal {
	return []opcua.Signal{
		{Name: "counter", Node: "ns=2;s=Counter"},
		{Name: "double", Node: "ns=2;s=Double"},
		{Name: "text", Node: "ns=2;s=Text"},
		{Name: "flag", Node: "ns=2;s=Flag"},
		{Name: "unknown", Node: "ns=2;s=Nope"},
	}
}

// Poll mode against node-opcua: every type converts, an unknown node is Bad
// naming the device and the node, and the counter moves between polls.
func TestPeerNodeOPCUAPoll(t *testing.T) {
	srv := peers.NodeOPCUA(t, nodeScript)
	cfg := opcua.NewConfig()
	cfg.Endpoint = "opc.tcp://" + srv.Addr()
	cfg.Timeout = 3 * time.Second
	cfg.Signals = peerSignals()
	d, err := opcua.New("peer", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rs, _ := poll(d)
	for i, want := range []any{nil, 3.5, "hello", true} {
		r := rs[i]
		if r.Quality != devices.Good {
			t.Fatalf("%s: %v %v", r.Signal, r.Quality, r.Err)
		}
		if want != nil && r.Value != want {
			t.Errorf("%s = %#v, want %#v", r.Signal, r.Value, want)
		}
	}
	first, ok := rs[0].Value.(int64)
	if !ok {
		t.Fatalf("counter is %T, want int64", rs[0].Value)
	}
	if u := rs[4]; u.Quality != devices.Bad || u.Value != nil || u.Err == nil ||
		!strings.Contains(u.Err.Error(), "peer") || !strings.Contains(u.Err.Error(), "ns=2;s=Nope") {
		t.Errorf("unknown node: %v %v %v", u.Quality, u.Value, u.Err)
	}
	time.Sleep(300 * time.Millisecond)
	rs, _ = poll(d)
	if n, _ := rs[0].Value.(int64); n <= first {
		t.Errorf("counter did not move: %d then %v", first, rs[0].Value)
	}
	if time.Since(rs[0].SourceTime) > 5*time.Second {
		t.Errorf("counter source time %v is not the server's recent change", rs[0].SourceTime)
	}
}

type collector struct {
	mu sync.Mutex
	rs []devices.Reading
}

func (c *collector) sink(r devices.Reading) {
	c.mu.Lock()
	c.rs = append(c.rs, r)
	c.mu.Unlock()
}

// waitFor returns the index after the first reading from index from on that
// satisfies ok, or fails after d.
func (c *collector) waitFor(t *testing.T, from int, d time.Duration, what string, ok func(devices.Reading) bool) int {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		for i := from; i < len(c.rs); i++ {
			if ok(c.rs[i]) {
				c.mu.Unlock()
				return i + 1
			}
		}
		c.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Fatalf("no reading %s within %v; got %d readings, last %v", what, d, len(c.rs), last(c.rs))
	return 0
}

func last(rs []devices.Reading) any {
	if len(rs) == 0 {
		return nil
	}
	r := rs[len(rs)-1]
	return []any{r.Signal, r.Quality, r.Value, r.Err}
}

// Subscribe mode against node-opcua, through a server crash: data flows,
// the kill turns into Bad readings, and once the server is back on the
// same port the driver re-creates its subscription and readings are Good.
func TestPeerNodeOPCUASubscribeSurvivesServerRestart(t *testing.T) {
	srv := peers.NodeOPCUA(t, nodeScript)
	cfg := opcua.NewConfig()
	cfg.Endpoint = "opc.tcp://" + srv.Addr()
	cfg.Mode = "subscribe"
	cfg.PollInterval = 100 * time.Millisecond
	cfg.Timeout = 2 * time.Second
	cfg.Signals = peerSignals()
	s, err := opcua.NewSubscriber("peer", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	if err := s.Start(context.Background(), c.sink); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Error(err)
		}
	}()
	good := func(name string) func(devices.Reading) bool {
		return func(r devices.Reading) bool { return r.Signal == name && r.Quality == devices.Good }
	}
	i := c.waitFor(t, 0, 15*time.Second, "counter good", good("counter"))
	i = c.waitFor(t, i, 5*time.Second, "counter good again (it ticks)", good("counter"))
	c.waitFor(t, 0, 5*time.Second, "text good", func(r devices.Reading) bool { return r.Signal == "text" && r.Value == "hello" })
	c.waitFor(t, 0, 5*time.Second, "unknown node bad", func(r devices.Reading) bool {
		return r.Signal == "unknown" && r.Quality == devices.Bad && r.Err != nil && strings.Contains(r.Err.Error(), "ns=2;s=Nope")
	})

	srv.Kill()
	killed := time.Now()
	i = c.waitFor(t, i, 10*time.Second, "counter bad after the kill", func(r devices.Reading) bool {
		return r.Signal == "counter" && r.Quality == devices.Bad
	})
	t.Logf("bad %v after the kill", time.Since(killed).Round(time.Millisecond))

	srv.Start() // same port
	restarted := time.Now()
	c.waitFor(t, i, 30*time.Second, "counter good after the restart", good("counter"))
	t.Logf("good again %v after the restart", time.Since(restarted).Round(time.Millisecond))
	c.waitFor(t, i, 5*time.Second, "double good after the restart", func(r devices.Reading) bool {
		return r.Signal == "double" && r.Quality == devices.Good && r.Value == 3.5
	})
}

// User name and password login, and nsu= node ids resolved through the
// server's NamespaceArray; a wrong password is Bad readings, not a hang.
func TestPeerNodeOPCUAUserAndNamespaceURI(t *testing.T) {
	srv := peers.NodeOPCUA(t, nodeScript)
	cfg := opcua.NewConfig()
	cfg.Endpoint = "opc.tcp://" + srv.Addr()
	cfg.Timeout = 3 * time.Second
	cfg.Username, cfg.Password = "operator", "secret"
	cfg.Signals = []opcua.Signal{
		{Name: "text", Node: "nsu=urn:linewise:test;s=Text"},
		{Name: "double", Node: "nsu=urn:linewise:test;s=Double"},
		{Name: "plain", Node: "ns=2;s=Flag"},
	}
	d, err := opcua.New("peer", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rs, _ := poll(d)
	for i, want := range []any{"hello", 3.5, true} {
		if rs[i].Quality != devices.Good || rs[i].Value != want {
			t.Errorf("%s: %v %#v %v, want %#v", rs[i].Signal, rs[i].Quality, rs[i].Value, rs[i].Err, want)
		}
	}

	// Subscribe mode goes through the same login and resolution.
	cfg.Mode = "subscribe"
	s, err := opcua.NewSubscriber("peer-sub", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	_ = s.Start(context.Background(), c.sink)
	c.waitFor(t, 0, 15*time.Second, "text good by nsu=", func(r devices.Reading) bool {
		return r.Signal == "text" && r.Quality == devices.Good && r.Value == "hello"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.Stop(ctx)

	for _, tc := range []struct{ user, pass, node, errHas string }{
		{"operator", "wrong", "ns=2;s=Text", "peer"},
		{"", "", "nsu=urn:not:there;s=Text", "urn:not:there"},
	} {
		cfg := opcua.NewConfig()
		cfg.Endpoint = "opc.tcp://" + srv.Addr()
		cfg.Timeout = 3 * time.Second
		cfg.Username, cfg.Password = tc.user, tc.pass
		cfg.Signals = []opcua.Signal{{Name: "text", Node: tc.node}}
		d, err := opcua.New("peer", cfg, quiet)
		if err != nil {
			t.Fatal(err)
		}
		rs, took := poll(d)
		d.Close()
		if rs[0].Quality != devices.Bad || rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), tc.errHas) || took > 5*time.Second {
			t.Errorf("%s/%s %s: %v %v in %v", tc.user, tc.pass, tc.node, rs[0].Quality, rs[0].Err, took)
		}
		t.Logf("%s/%s %s: %v", tc.user, tc.pass, tc.node, rs[0].Err)
	}
}

// Basic256Sha256 against node-opcua, the third-party stack: Sign and
// SignAndEncrypt with its certificate pinned in trusted_dir (taken from its
// endpoints, as an operator would export it), user name and password over
// the secured channel, and refusal when trusted_dir does not hold it.
func TestPeerNodeOPCUASecurity(t *testing.T) {
	srv := peers.NodeOPCUA(t, nodeScript)
	endpoint := "opc.tcp://" + srv.Addr()
	dir := t.TempDir()
	client := genCert(t, "linewise-edge", nil, false)
	client.write(t, filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key"), true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	eps, err := gopcua.GetEndpoints(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var serverCert []byte
	for _, ep := range eps {
		if len(ep.ServerCertificate) > 0 {
			serverCert = ep.ServerCertificate
		}
	}
	if serverCert == nil {
		t.Fatal("node-opcua endpoints carry no certificate")
	}
	for _, sub := range []string{"trusted", "empty"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "trusted", "node-opcua.der"), serverCert, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, mode, trusted, user, pass string
		wantErr                         string // "" for Good readings
	}{
		{"sign", "Sign", "trusted", "", "", ""},
		{"sign and encrypt", "SignAndEncrypt", "trusted", "", "", ""},
		{"sign and encrypt, user", "SignAndEncrypt", "trusted", "operator", "secret", ""},
		{"sign and encrypt, wrong password", "SignAndEncrypt", "trusted", "operator", "wrong", "peer"},
		{"untrusted server", "SignAndEncrypt", "empty", "", "", "certificate is not trusted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := opcua.NewConfig()
			cfg.Endpoint = endpoint
			cfg.Timeout = 5 * time.Second
			cfg.SecurityPolicy, cfg.SecurityMode = "Basic256Sha256", tc.mode
			cfg.CertFile, cfg.KeyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
			cfg.TrustedDir = filepath.Join(dir, tc.trusted)
			cfg.Username, cfg.Password = tc.user, tc.pass
			cfg.Signals = []opcua.Signal{{Name: "text", Node: "ns=2;s=Text"}, {Name: "counter", Node: "ns=2;s=Counter"}}
			d, err := opcua.New("peer", cfg, quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			rs, took := poll(d)
			if tc.wantErr == "" {
				if rs[0].Quality != devices.Good || rs[0].Value != "hello" || rs[1].Quality != devices.Good {
					t.Fatalf("%v %#v %v / %v %v", rs[0].Quality, rs[0].Value, rs[0].Err, rs[1].Quality, rs[1].Err)
				}
				return
			}
			if rs[0].Quality != devices.Bad || rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), tc.wantErr) || took > 6*time.Second {
				t.Fatalf("%v %v in %v, want Bad with %q", rs[0].Quality, rs[0].Err, took, tc.wantErr)
			}
			t.Logf("refused in %v: %v", took, rs[0].Err)
		})
	}
}
