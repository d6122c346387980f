package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/domain"
)

// thief connects with the edge's MQTT client id and no credentials, with
// a persistent session, as a misconfigured gateway or a copy of the edge's
// config would. kicked is closed when the broker drops it (another client
// took the id back).
type thief struct {
	c      paho.Client
	kicked chan struct{}
}

func stealClientID(t *testing.T, broker string) (*thief, error) {
	t.Helper()
	th := &thief{kicked: make(chan struct{})}
	var once sync.Once
	opts := paho.NewClientOptions().AddBroker(broker).SetClientID("linewise-edge-" + edgeID).
		SetCleanSession(false).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).
		SetConnectionLostHandler(func(paho.Client, error) { once.Do(func() { close(th.kicked) }) })
	th.c = paho.NewClient(opts)
	tok := th.c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, context.DeadlineExceeded
	}
	if tok.Error() != nil {
		return nil, tok.Error()
	}
	t.Cleanup(func() { th.c.Disconnect(50) })
	return th, nil
}

// On the embedded broker a client id belongs to its edge's credential: an
// anonymous client (the demo config allows them on linesim/#) claiming
// the edge's client id is refused, again and again, and the edge never
// notices: it stays connected, never stalls, and central counts exactly
// what the simulator made.
func TestStolenClientIDRefusedOnEmbeddedBroker(t *testing.T) {
	s := newFullStack(t, opts{db: "sqlite", speed: 20, line: stdLine()})
	s.waitCounting(20)
	for i := 0; i < 5; i++ {
		if _, err := stealClientID(t, s.broker); err == nil {
			t.Fatalf("attempt %d: an anonymous client took the edge's client id", i+1)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.waitCounting(findLine(s.lines(), "L1").Good + 10)
	if !s.agent.Connected() || s.agent.Stalls() != 0 {
		t.Errorf("edge connected %v, stalls %d: the refused thief disturbed it", s.agent.Connected(), s.agent.Stalls())
	}
	s.finish()
}

// holdProxy forwards TCP to a broker. Connections open when it is armed
// become half-open when the broker closes them: the edge's side stays
// open and what it writes is dropped, as when a NAT or firewall between
// edge and broker loses the broker's FIN. Later connections are plain.
type holdProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]*atomic.Bool // client side → hold on upstream close
}

func newHoldProxy(t *testing.T, target string) *holdProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &holdProxy{ln: ln, target: target, conns: map[net.Conn]*atomic.Bool{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	return p
}

func (p *holdProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		hold := new(atomic.Bool)
		p.mu.Lock()
		p.conns[c] = hold
		p.mu.Unlock()
		go func() {
			io.Copy(u, c) // until the edge closes, or writing upstream fails
			if hold.Load() {
				io.Copy(io.Discard, c) // the edge keeps writing into the void
			}
			c.Close()
			u.Close()
		}()
		go func() {
			io.Copy(c, u) // until the broker closes
			if !hold.Load() {
				c.Close()
			}
			u.Close()
		}()
	}
}

// arm makes the connections open now half-open once the broker closes them.
func (p *holdProxy) arm() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.conns {
		h.Store(true)
	}
}

// With a broker that lets anyone take any client id (Mosquitto without
// ACLs), a thief takes the edge's session and, with it, central's acks;
// the broker closes the edge's connection but the close never reaches the
// edge (a half-open link). The edge sees it is connected but makes no ack
// progress, calls the link stalled, reconnects (taking its client id back:
// the broker drops the thief) and sends over its HTTPS fallback meanwhile.
// Central shows the edge stalled and opens edge_stalled on L1 while the
// backlog waits, and resolves it once the events commit. Twice; at the
// end central's count equals the simulator's truth.
func TestStolenClientIDStallRecoveredOnMosquitto(t *testing.T) {
	var proxy *holdProxy
	s := newFullStack(t, opts{db: "sqlite", speed: 20, line: stdLine(), mosquitto: true, ackTimeout: "1s",
		uplinkVia: func(t *testing.T, broker string) string {
			proxy = newHoldProxy(t, broker[len("tcp://"):])
			return "tcp://" + proxy.ln.Addr().String()
		},
		// HTTPS ingest stands in while MQTT is stalled; the heartbeat
		// (over both) carries the backlog.
		edgeCentral: func(s *fullStack) []string {
			return []string{"heartbeat: 200ms", "stall_after: 3", "fallback_hold: 2s",
				fmt.Sprintf("https: {url: %q, token: %q}", s.base, edgeToken)}
		},
		central: func(c *app.Config) {
			c.Exceptions.EdgeStalledAfter = time.Second
			c.Exceptions.Poll = 100 * time.Millisecond
		},
	})
	s.waitCounting(20)

	for round := 1; round <= 2; round++ {
		stallsBefore := s.agent.Stalls()
		proxy.arm()
		th, err := stealClientID(t, s.broker)
		if err != nil {
			t.Fatalf("round %d: Mosquitto refused the thief (%v); this test needs a broker without ACLs", round, err)
		}
		sawStalled, sawException := false, false
		deadline := time.Now().Add(60 * time.Second)
		for {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the edge did not detect the stall and take its client id back within 60s (stalls %d, stalled %v)",
					round, s.agent.Stalls(), s.agent.Stalled())
			}
			if es := s.central.Liveness().List(); len(es) == 1 && es[0].Stalled && !es[0].Online {
				sawStalled = true
			}
			if xs := stalledExceptions(t, s); len(xs) > 0 && xs[0].Status == domain.ExceptionOpen {
				sawException = true
			}
			kicked := false
			select {
			case <-th.kicked:
				kicked = true
			default:
			}
			if kicked && s.agent.Stalls() > stallsBefore && !s.agent.Stalled() {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !sawStalled || !sawException {
			t.Errorf("round %d: central showed the edge stalled %v, edge_stalled open %v; want both while the backlog waited",
				round, sawStalled, sawException)
		}
		waitE2E(t, "edge_stalled resolved once the events committed", func() bool {
			xs := stalledExceptions(t, s)
			return len(xs) == round && xs[0].Status == domain.ExceptionResolved && xs[0].ResolvedBy == domain.SystemActor
		})
		s.waitCounting(findLine(s.lines(), "L1").Good + 10)
	}
	if !s.agent.Connected() {
		t.Error("edge not connected at the end")
	}
	s.finish()
}

func stalledExceptions(t *testing.T, s *fullStack) []domain.Exception {
	t.Helper()
	xs, err := s.central.Store().ListExceptions(context.Background(),
		domain.ExceptionFilter{Line: "L1", Kind: []domain.ExceptionKind{domain.ExceptionEdgeStalled}})
	if err != nil {
		t.Fatal(err)
	}
	return xs
}

func waitE2E(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 60s: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
