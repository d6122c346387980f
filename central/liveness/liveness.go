// Package liveness tracks whether each configured edge is alive: when
// central last heard from it (any batch, heartbeat or status) and the
// online/offline status it publishes, including the "offline" the broker
// sends as its MQTT Last Will. An edge offline or silent for longer than
// the grace makes every line it owns read as no_data with the reason
// "edge <id> offline", so the dashboard stops showing a dead edge's last
// state and the exception rules raise no_data as for any other no_data.
//
// It only overlays what lines look like; it never writes events or state:
// when the edge is back, its lines show their stored state again (the last
// state the edge reported, updated by whatever its outbox still holds).
//
// State is in memory, per replica: over MQTT every replica hears every
// status and heartbeat; over HTTPS a heartbeat reaches one replica, so with
// several replicas behind a load balancer give them sticky routing per edge
// or accept that another replica may show the edge offline.
package liveness

import (
	"slices"
	"sync"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// Edge is one configured edge and the lines it owns.
type Edge struct {
	ID    string
	Lines []string
}

// Tracker holds every configured edge's liveness. Safe for concurrent use.
type Tracker struct {
	grace   time.Duration
	now     func() time.Time
	started time.Time
	changed func()

	mu    sync.Mutex
	edges map[string]*edgeState
	order []string
	owner map[string]string // line → edge
}

type edgeState struct {
	lines        []string
	lastSeen     time.Time // zero: not since central started
	offline      bool      // its last status said offline
	reported     string    // its last status
	offlineSince time.Time
	version      string
	startedAt    time.Time
}

// New tracks edges; an edge silent or offline for grace is offline. now may
// be nil (time.Now); changed (may be nil, must not block) is called when an
// edge's status changes.
func New(edges []Edge, grace time.Duration, now func() time.Time, changed func()) *Tracker {
	if now == nil {
		now = time.Now
	}
	if changed == nil {
		changed = func() {}
	}
	t := &Tracker{grace: grace, now: now, started: now(), changed: changed,
		edges: map[string]*edgeState{}, owner: map[string]string{}}
	for _, e := range edges {
		t.edges[e.ID] = &edgeState{lines: slices.Clone(e.Lines)}
		t.order = append(t.order, e.ID)
		for _, l := range e.Lines {
			t.owner[l] = e.ID
		}
	}
	return t
}

// Seen records that edge spoke (a batch arrived from it).
func (t *Tracker) Seen(edge string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.edges[edge]; e != nil {
		e.lastSeen = t.now()
	}
}

// Status records a status the edge published (or its will), or an HTTPS
// heartbeat. Unknown edges are ignored: only configured edges own lines.
func (t *Tracker) Status(s wire.Status) {
	t.mu.Lock()
	e := t.edges[s.EdgeID]
	if e == nil {
		t.mu.Unlock()
		return
	}
	now := t.now()
	was := e.offline
	e.reported = s.Status
	if s.Version != "" {
		e.version = s.Version
	}
	if !s.StartedAt.IsZero() {
		e.startedAt = s.StartedAt
	}
	switch s.Status {
	case wire.StatusOnline:
		e.offline, e.lastSeen = false, now
	case wire.StatusOffline:
		if !e.offline {
			e.offline, e.offlineSince = true, now
		}
	}
	changed := was != e.offline
	t.mu.Unlock()
	if changed {
		t.changed()
	}
}

// down reports whether e counts as offline at now, and since when.
func (t *Tracker) down(e *edgeState, now time.Time) (bool, time.Time) {
	since := e.lastSeen
	if e.offline {
		since = e.offlineSince
	} else if since.IsZero() {
		since = t.started
	}
	return now.Sub(since) >= t.grace, since
}

// Overlay returns lines with every line of an offline edge shown as
// no_data since the edge went silent, reason "edge <id> offline". A line
// that never reported and whose edge was never heard from since central
// started is left as it is: nothing is known of it either way.
func (t *Tracker) Overlay(lines []domain.LineView) []domain.LineView {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for i := range lines {
		l := &lines[i]
		id, ok := t.owner[l.ID]
		if !ok {
			continue
		}
		e := t.edges[id]
		if l.State == "" && e.lastSeen.IsZero() && !e.offline {
			continue
		}
		if down, since := t.down(e, now); down {
			since := since.UTC()
			l.State, l.Reason, l.StateSince = wire.StateNoData, "edge "+id+" offline", &since
		}
	}
	return lines
}

// List is every configured edge's liveness, in configuration order.
func (t *Tracker) List() []domain.EdgeStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	out := make([]domain.EdgeStatus, 0, len(t.order))
	for _, id := range t.order {
		e := t.edges[id]
		s := domain.EdgeStatus{ID: id, Lines: slices.Clone(e.lines), Version: e.version, Reported: e.reported}
		if !e.lastSeen.IsZero() {
			at := e.lastSeen.UTC()
			s.LastSeen = &at
		}
		if !e.startedAt.IsZero() {
			at := e.startedAt.UTC()
			s.StartedAt = &at
		}
		down, since := t.down(e, now)
		s.Online = !down && !e.offline
		if !s.Online {
			since := since.UTC()
			s.Since = &since
		}
		if s.Lines == nil {
			s.Lines = []string{}
		}
		out = append(out, s)
	}
	return out
}
