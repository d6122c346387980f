package throttle

import (
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// EdgeGuard throttles failed edge credentials (a wrong token at HTTPS
// ingest or heartbeat, a wrong password or someone else's client id at the
// embedded broker's CONNECT), per source address and per claimed edge id.
//
// Locking an edge id out for everyone would let anyone stop a line's
// counting by failing on purpose under its name, so an address from which
// that edge authenticated before (since start) stays exempt from its
// identity's lockout; its own address's lockout still applies. Each lockout
// is logged once and counted on linewise_edge_auth_lockouts_total.
type EdgeGuard struct {
	lim *Limiter
	log *slog.Logger

	mu       sync.Mutex
	known    map[string]map[string]time.Time // edge → address → last success
	lockouts *prometheus.CounterVec
}

// maxKnownAddrs bounds the addresses remembered per edge: an edge has one
// or two (its own, a fallback path); the oldest is forgotten first.
const maxKnownAddrs = 8

// NewEdgeGuard limits with cfg on clock now (nil: time.Now); log may be nil.
func NewEdgeGuard(cfg Config, now func() time.Time, log *slog.Logger) *EdgeGuard {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &EdgeGuard{lim: New(cfg, now), log: log, known: map[string]map[string]time.Time{},
		lockouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "linewise_edge_auth_lockouts_total",
			Help: "Lockouts after repeated failed edge credentials, by path (https, mqtt) and key kind (edge id, ip).",
		}, []string{"via", "kind"})}
}

// Edge is the key of a claimed edge id.
func Edge(id string) Key { return Key{KindEdge, id} }

// KindEdge counts failures against an edge id.
const KindEdge Kind = "edge"

// Enabled reports whether any limit is on.
func (g *EdgeGuard) Enabled() bool { return g != nil && g.lim.Enabled() }

func (g *EdgeGuard) keys(edge, addr string) []Key {
	keys := []Key{IP(addr)}
	if edge != "" && !g.isKnown(edge, addr) {
		keys = append(keys, Edge(edge))
	}
	return keys
}

func (g *EdgeGuard) isKnown(edge, addr string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.known[edge][addr]
	return ok
}

// Blocked reports whether a credential claiming edge (may be "") from addr
// is to be refused without checking it, and for how long.
func (g *EdgeGuard) Blocked(edge, addr string) (time.Duration, bool) {
	if !g.Enabled() {
		return 0, false
	}
	retry, _, blocked := g.lim.Blocked(g.keys(edge, addr)...)
	return retry, blocked
}

// Fail counts a failed credential claiming edge (may be "" when nothing is
// claimed) from addr, carried by via (https, mqtt); it logs and counts
// each lockout it starts.
func (g *EdgeGuard) Fail(via, edge, addr string) {
	if !g.Enabled() {
		return
	}
	for _, lo := range g.lim.Fail(g.keys(edge, addr)...) {
		g.lockouts.WithLabelValues(via, string(lo.Key.Kind)).Inc()
		g.log.Warn("edge credential lockout", "via", via, "kind", string(lo.Key.Kind), "id", lo.Key.ID,
			"failures", lo.Failures, "window", lo.Window, "client", addr, "until", lo.Until)
	}
}

// Succeed records that edge authenticated from addr: its failures are
// forgotten and addr stays exempt from the edge id's lockouts.
func (g *EdgeGuard) Succeed(edge, addr string) {
	if !g.Enabled() || edge == "" {
		return
	}
	g.lim.Succeed(Edge(edge))
	now := g.lim.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.known[edge]
	if m == nil {
		m = map[string]time.Time{}
		g.known[edge] = m
	}
	if _, ok := m[addr]; !ok && len(m) >= maxKnownAddrs {
		var oldest string
		for a, t := range m {
			if oldest == "" || t.Before(m[oldest]) {
				oldest = a
			}
		}
		delete(m, oldest)
	}
	m[addr] = now
}

// Describe implements prometheus.Collector.
func (g *EdgeGuard) Describe(ch chan<- *prometheus.Desc) { g.lockouts.Describe(ch) }

// Collect implements prometheus.Collector.
func (g *EdgeGuard) Collect(ch chan<- prometheus.Metric) { g.lockouts.Collect(ch) }
