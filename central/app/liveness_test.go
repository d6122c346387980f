package app

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// withLiveness makes the edge liveness grace and the no_data grace short.
func withLiveness(c *Config) {
	c.Exceptions.EdgeSilentAfter = time.Second
	c.Exceptions.NoDataGrace = 0
	c.Exceptions.Poll = 100 * time.Millisecond
	c.Planning.Auto = false
}

// cutProxy forwards TCP to a target until cut, which closes the listener
// and every connection abruptly: the far side sees its peer vanish, as
// when an edge loses power or its network, with no MQTT DISCONNECT.
type cutProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(p.cut)
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // a reset, not a goodbye
		}
		c.Close()
	}
	p.conns = nil
}

// liveEdge connects as edge-L1 the way the agent's uplink does: a retained
// "offline" Last Will on its status topic, a retained "online" once
// connected. It publishes batches and waits for their acks.
type liveEdge struct {
	t    *testing.T
	c    paho.Client
	acks chan wire.Ack
}

func connectLiveEdge(t *testing.T, addr string) *liveEdge {
	t.Helper()
	status := func(st string) []byte {
		b, _ := json.Marshal(wire.Status{EdgeID: "edge-L1", Status: st, Version: "test", StartedAt: time.Now().UTC(), At: time.Now().UTC()})
		return b
	}
	e := &liveEdge{t: t, acks: make(chan wire.Ack, 16)}
	opts := paho.NewClientOptions().AddBroker("tcp://"+addr).SetClientID("linewise-edge-edge-L1").
		SetUsername("edge-L1").SetPassword(demoToken).SetCleanSession(true).SetAutoReconnect(false).
		SetKeepAlive(2*time.Second).
		SetBinaryWill(wire.StatusTopic("edge-L1"), status(wire.StatusOffline), 1, true)
	e.c = paho.NewClient(opts)
	if tok := e.c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("edge connect: %v", tok.Error())
	}
	t.Cleanup(func() { e.c.Disconnect(100) })
	tok := e.c.Subscribe(wire.AckTopic("edge-L1"), 1, func(_ paho.Client, m paho.Message) {
		var a wire.Ack
		if json.Unmarshal(m.Payload(), &a) == nil {
			e.acks <- a
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("edge subscribe: %v", tok.Error())
	}
	if tok := e.c.Publish(wire.StatusTopic("edge-L1"), 1, true, status(wire.StatusOnline)); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish status: %v", tok.Error())
	}
	// The heartbeat, faster than the tests' grace.
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-time.After(50 * time.Millisecond):
				if e.c.IsConnectionOpen() {
					e.c.Publish(wire.StatusTopic("edge-L1"), 1, true, status(wire.StatusOnline))
				}
			}
		}
	}()
	t.Cleanup(func() { close(quit); <-done })
	return e
}

func (e *liveEdge) state(seq uint64, st string) {
	e.t.Helper()
	b := wire.Batch{Version: wire.Version, EdgeID: "edge-L1", Events: []wire.Event{{EdgeID: "edge-L1", Seq: seq, Line: "L1",
		Type: wire.TypeState, SourceTime: time.Now().UTC(), State: &wire.State{State: st}}}}
	body, _ := json.Marshal(b)
	if tok := e.c.Publish(wire.EventsTopic("edge-L1"), 1, false, body); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		e.t.Fatalf("publish: %v", tok.Error())
	}
	select {
	case a := <-e.acks:
		if a.Error != "" || len(a.Rejected) > 0 {
			e.t.Fatalf("ack: %+v", a)
		}
	case <-time.After(10 * time.Second):
		e.t.Fatal("no ack within 10s")
	}
}

type lineState struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func lineL1(t *testing.T, a *App) lineState {
	t.Helper()
	res, err := authGet(t, a, "/api/v1/lines")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ls []lineState
	if err := json.NewDecoder(res.Body).Decode(&ls); err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.ID == "L1" {
			return l
		}
	}
	t.Fatalf("L1 missing from %+v", ls)
	return lineState{}
}

// waitFor polls cond every 20ms, failing with what after 15s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 15s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func noDataExceptions(t *testing.T, a *App) []domain.Exception {
	t.Helper()
	xs, err := a.Store().ListExceptions(context.Background(), domain.ExceptionFilter{Line: "L1", Kind: []domain.ExceptionKind{domain.ExceptionNoData}})
	if err != nil {
		t.Fatal(err)
	}
	return xs
}

// supervisorEdges is GET /api/v1/edges as the demo supervisor.
func supervisorEdges(t *testing.T, a *App) []domain.EdgeStatus {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Post("http://"+a.HTTPAddr()+"/api/v1/login", "application/json", strings.NewReader(`{"username":"super","password":"super-demo"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = c.Get("http://" + a.HTTPAddr() + "/api/v1/edges")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out []domain.EdgeStatus
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&out) != nil {
		t.Fatalf("GET /api/v1/edges: %d", res.StatusCode)
	}
	return out
}

// TestEdgeKilledLinesGoNoDataAndBack: an edge connected through the
// embedded broker vanishes without a DISCONNECT; the broker sends its Last
// Will, central shows L1 as no_data "edge edge-L1 offline" and opens a
// no_data exception; the edge comes back, is online, the exception resolves
// by itself and L1 shows its state again.
func TestEdgeKilledLinesGoNoDataAndBack(t *testing.T) {
	a := startApp(t, withEdges, withLiveness)
	proxy := newCutProxy(t, a.BrokerAddr())
	e := connectLiveEdge(t, proxy.addr())
	e.state(1, wire.StateRunning)
	waitFor(t, "L1 running", func() bool { return lineL1(t, a).State == wire.StateRunning })
	waitFor(t, "edge-L1 online on GET /api/v1/edges", func() bool {
		es := supervisorEdges(t, a)
		return len(es) == 1 && es[0].ID == "edge-L1" && es[0].Online && es[0].LastSeen != nil && es[0].Version == "test" &&
			es[0].Reported == wire.StatusOnline && len(es[0].Lines) == 1 && es[0].Lines[0] == "L1"
	})

	proxy.cut()
	waitFor(t, "L1 no_data for the offline edge", func() bool {
		l := lineL1(t, a)
		return l.State == wire.StateNoData && l.Reason == "edge edge-L1 offline"
	})
	waitFor(t, "a no_data exception", func() bool {
		xs := noDataExceptions(t, a)
		return len(xs) == 1 && xs[0].Status == domain.ExceptionOpen
	})
	if x := noDataExceptions(t, a)[0]; !strings.Contains(x.Detail, "edge edge-L1 offline") {
		t.Errorf("exception detail %q does not name the edge", x.Detail)
	}
	if es := supervisorEdges(t, a); es[0].Online || es[0].Since == nil || es[0].Reported != wire.StatusOffline {
		t.Errorf("edges while cut off (the will says offline): %+v", es)
	}

	// The edge restarts, connecting directly.
	connectLiveEdge(t, a.BrokerAddr())
	waitFor(t, "the exception resolved by central", func() bool {
		xs := noDataExceptions(t, a)
		return len(xs) == 1 && xs[0].Status == domain.ExceptionResolved && xs[0].ResolvedBy == domain.SystemActor
	})
	if l := lineL1(t, a); l.State != wire.StateRunning {
		t.Errorf("L1 after the edge is back: %+v, want running", l)
	}
	if x := noDataExceptions(t, a)[0]; x.ResolvedAt.Before(x.OpenedAt) {
		t.Errorf("resolved at %v before opened at %v", x.ResolvedAt, x.OpenedAt)
	}
	waitFor(t, "edge online", func() bool { return supervisorEdges(t, a)[0].Online })
}

// TestEdgeSilentOverHTTPS: an HTTPS edge's heartbeat keeps it online; one
// that stops sending goes offline after the grace; a heartbeat brings it
// back. The heartbeat speaks only for the token's edge.
func TestEdgeSilentOverHTTPS(t *testing.T) {
	a := startApp(t, withEdges, withLiveness)
	beat := func(path, token, body string) int {
		req, _ := http.NewRequest(http.MethodPost, "http://"+a.HTTPAddr()+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("POST %s: %v", path, err)
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	online := `{"edge_id":"edge-L1","status":"online","version":"v9"}`
	for _, tt := range []struct {
		path, token, body string
		want              int
	}{
		{"/api/v1/edges/edge-L1/heartbeat", "", online, 401},
		{"/api/v1/edges/edge-L1/heartbeat", "not-a-token-at-all", online, 401},
		{"/api/v1/edges/edge-L2/heartbeat", demoToken, online, 403},
		{"/api/v1/edges/edge-L1/heartbeat", demoToken, `{"edge_id":"edge-L2","status":"online"}`, 400},
		{"/api/v1/edges/edge-L1/heartbeat", demoToken, `{"edge_id":"edge-L1","status":"sleepy"}`, 400},
		{"/api/v1/edges/edge-L1/heartbeat", demoToken, online, 204},
	} {
		if got := beat(tt.path, tt.token, tt.body); got != tt.want {
			t.Errorf("POST %s (token %q) %s: %d, want %d", tt.path, tt.token, tt.body, got, tt.want)
		}
	}
	// A state from the edge, over HTTPS ingest.
	e := &excEnv{t: t, a: a}
	e.send(stateAt(time.Now().UTC(), wire.StateRunning, ""))
	if es := a.Liveness().List(); es[0].LastSeen == nil || es[0].Version != "v9" || es[0].Reported != wire.StatusOnline {
		t.Fatalf("edges after a heartbeat: %+v", es)
	}
	// Silence.
	waitFor(t, "L1 no_data for the silent edge", func() bool {
		l := lineL1(t, a)
		return l.State == wire.StateNoData && l.Reason == "edge edge-L1 offline"
	})
	waitFor(t, "a no_data exception", func() bool { return len(noDataExceptions(t, a)) == 1 })
	// Back, heartbeating.
	stopBeat := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stopBeat:
				return
			case <-time.After(50 * time.Millisecond):
				beat("/api/v1/edges/edge-L1/heartbeat", demoToken, online)
			}
		}
	}()
	defer func() { close(stopBeat); <-done }()
	waitFor(t, "the exception resolved and L1 running", func() bool {
		xs := noDataExceptions(t, a)
		return len(xs) == 1 && xs[0].Status == domain.ExceptionResolved && lineL1(t, a).State == wire.StateRunning
	})
}
