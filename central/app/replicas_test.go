package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/central/throttle"
)

// TestSQLiteRefusesSecondReplica: a second central on the same SQLite file
// does not start, and says why and what to do; once the first stops, it can.
func TestSQLiteRefusesSecondReplica(t *testing.T) {
	dir := t.TempDir()
	first := startApp(t, func(c *Config) { c.DataDir = dir })
	cfg := DefaultConfig()
	cfg.HTTP, cfg.DataDir, cfg.MQTT.Embedded.Listen = "127.0.0.1:0", dir, "127.0.0.1:0"
	second, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = second.Start(ctx)
	if err == nil {
		second.Shutdown(ctx)
		t.Fatal("a second central started on the same SQLite database")
	}
	for _, want := range []string{"central.db", "already served by another central", "SQLite serves one replica only", "database.driver: postgres"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if first.HTTPAddr() == "" {
		t.Fatal("the first central stopped")
	}
	stop(t, first)
	third := startApp(t, func(c *Config) { c.DataDir = dir })
	if code, body := login(t, third, "super", "super-demo"); code != 200 {
		t.Fatalf("login on the central started after the first stopped: %d %s", code, body)
	}
}

// startReplicas starts n centrals on one PostgreSQL schema.
func startReplicas(t *testing.T, n int, mods ...func(*Config)) []*App {
	t.Helper()
	dsn := pgtest.Schema(t)
	var out []*App
	for range n {
		out = append(out, startApp(t, append([]func(*Config){func(c *Config) {
			c.Database = DatabaseConfig{Driver: store.DriverPostgres, DSN: dsn}
		}}, mods...)...))
	}
	return out
}

func jarClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

func send(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", "http://"+req.URL.Host)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestSessionIssuedByOneReplicaServesOnAnother: a cookie from replica A
// works on replica B with the same role (reads allowed, writes refused by
// role), and signing out on B ends it on A too. Cookie jars ignore the
// port, as browsers do, so one client talks to both.
func TestSessionIssuedByOneReplicaServesOnAnother(t *testing.T) {
	rs := startReplicas(t, 2)
	a, b := "http://"+rs[0].HTTPAddr(), "http://"+rs[1].HTTPAddr()
	c := jarClient()
	if code, body := send(t, c, "POST", a+"/api/v1/login", `{"username":"super","password":"super-demo"}`); code != 200 {
		t.Fatalf("login on A: %d %s", code, body)
	}
	for _, tt := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/api/v1/me", "", 200},
		{"GET", "/api/v1/lines", "", 200},
		{"GET", "/api/v1/audit", "", 200},                                 // supervisor reads the audit trail
		{"GET", "/api/v1/tokens", "", 403},                                // admins only
		{"POST", "/api/v1/users", `{"username":"x","role":"admin"}`, 403}, // admins only
	} {
		if code, body := send(t, c, tt.method, b+tt.path, tt.body); code != tt.want {
			t.Errorf("%s %s on B with A's session: %d, want %d: %s", tt.method, tt.path, code, tt.want, body)
		}
	}
	if code, body := send(t, c, "POST", b+"/api/v1/logout", ""); code != 204 && code != 200 {
		t.Fatalf("logout on B: %d %s", code, body)
	}
	if code, _ := send(t, c, "GET", a+"/api/v1/me", ""); code != 401 {
		t.Errorf("A after signing out on B: %d, want 401", code)
	}
}

// TestSignInThrottlingSharedByReplicas: wrong passwords count against one
// budget whichever replica they reach; the lockout holds on every replica,
// even for the right password, and is audited once.
func TestSignInThrottlingSharedByReplicas(t *testing.T) {
	rs := startReplicas(t, 2, func(c *Config) {
		c.SignIn = throttle.Config{MaxFailures: 5, IPMaxFailures: 0, Window: time.Minute}
	})
	for i := range 5 {
		r := rs[i%2]
		if code, body := login(t, r, "plan", "wrong-guess"); code != 401 {
			t.Fatalf("guess %d on replica %d: %d %s", i+1, i%2, code, body)
		}
	}
	for i, r := range rs {
		code, body := login(t, r, "plan", "plan-demo")
		if code != 429 || !strings.Contains(body, `"field":"username"`) {
			t.Errorf("right password on replica %d after 5 guesses spread over two: %d %s; want 429 naming username", i, code, body)
		}
	}
	// Another user is not locked out.
	if code, body := login(t, rs[1], "super", "super-demo"); code != 200 {
		t.Errorf("super on B: %d %s", code, body)
	}
	c := jarClient()
	if code, body := send(t, c, "POST", "http://"+rs[0].HTTPAddr()+"/api/v1/login", `{"username":"admin","password":"admin-demo"}`); code != 200 {
		t.Fatalf("admin login: %d %s", code, body)
	}
	_, audit := send(t, c, "GET", "http://"+rs[1].HTTPAddr()+"/api/v1/audit?entity=user:plan", "")
	if n := strings.Count(audit, `"action":"lockout"`); n != 1 {
		t.Errorf("lockouts audited for plan: %d, want 1: %s", n, audit)
	}
}

// TestEdgeLivenessSharedByReplicas: an HTTPS edge heartbeats to replica A
// only; replica B shows it online with its version, and its line as
// no_data once the heartbeats stop reaching anyone.
func TestEdgeLivenessSharedByReplicas(t *testing.T) {
	rs := startReplicas(t, 2, withEdges, withLiveness)
	beat := func() int {
		req, _ := http.NewRequest(http.MethodPost, "http://"+rs[0].HTTPAddr()+"/api/v1/edges/edge-L1/heartbeat",
			strings.NewReader(`{"edge_id":"edge-L1","status":"online","version":"v9","outbox_depth":0}`))
		req.Header.Set("Authorization", "Bearer "+demoToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := beat(); code != 204 {
		t.Fatalf("heartbeat to A: %d", code)
	}
	stopBeat, done := make(chan struct{}), make(chan struct{})
	go func() { // faster than the 1 s grace
		defer close(done)
		for {
			select {
			case <-stopBeat:
				return
			case <-time.After(100 * time.Millisecond):
				beat()
			}
		}
	}()
	waitFor(t, "B to show edge-L1 online, version v9", func() bool {
		es := rs[1].Liveness().List()
		return len(es) == 1 && es[0].Online && es[0].Version == "v9" && es[0].LastSeen != nil
	})
	close(stopBeat)
	<-done
	waitFor(t, "B to show L1 no_data once the heartbeats stop", func() bool {
		l := lineL1(t, rs[1])
		return l.State == "no_data" && l.Reason == "edge edge-L1 offline"
	})
}
