// Package liveness tracks whether each configured edge is alive: when
// central last heard from it (any batch, heartbeat or status) and the
// online/offline status it publishes, including the "offline" the broker
// sends as its MQTT Last Will. An edge offline or silent for longer than
// the grace makes every line it owns read as no_data with the reason
// "edge <id> offline", so the dashboard stops showing a dead edge's last
// state and the exception rules raise no_data as for any other no_data.
//
// An edge whose heartbeats arrive but whose backlog waits while nothing new
// of it commits (its heartbeat reports outbox depth > 0, and neither a new
// event has committed nor has its oldest event waited for less than the
// stall threshold) is stalled: it is shown so, not online, and its lines
// carry the stall (the exception rules open edge_stalled for each).
//
// It only overlays what lines look like; it never writes events or state:
// when the edge is back, its lines show their stored state again (the last
// state the edge reported, updated by whatever its outbox still holds).
//
// State is in memory, per replica. Over MQTT every replica hears every
// status; a batch or an HTTPS heartbeat reaches one replica. With several
// replicas each tracker reports what it hears (SetRecorder) to a table
// every replica reads back each second (Apply), so any replica shows what
// any of them heard (central/app/replicas.go).
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
	grace      time.Duration
	stallAfter time.Duration // 0: stalls are not shown
	now        func() time.Time
	started    time.Time
	changed    func()

	record func(Word) // nil: nothing shared

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
	statusAt     time.Time // when its last status was heard
	version      string
	startedAt    time.Time
	// The backlog of its last heartbeat that reported one (depth nil:
	// none), when it arrived, and the last commit of a new event.
	depth      *int64
	oldest     float64 // seconds
	backlogAt  time.Time
	lastCommit time.Time
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

// SetStallAfter turns stall detection on: an edge whose backlog has waited
// this long without a new event committing is stalled. Call before use.
func (t *Tracker) SetStallAfter(d time.Duration) { t.stallAfter = d }

// Committed records that new events of edge were committed.
func (t *Tracker) Committed(edge string) {
	t.mu.Lock()
	e := t.edges[edge]
	if e == nil {
		t.mu.Unlock()
		return
	}
	now := t.now()
	was := t.stall(edge, e, now) != nil
	e.lastCommit, e.lastSeen = now, now
	changed := was != (t.stall(edge, e, now) != nil)
	t.mu.Unlock()
	if t.record != nil {
		t.record(Word{Edge: edge, SeenAt: now, CommitAt: now})
	}
	if changed {
		t.changed()
	}
}

// stall is e's stall at now, or nil.
func (t *Tracker) stall(id string, e *edgeState, now time.Time) *domain.EdgeStall {
	if t.stallAfter <= 0 || e.depth == nil || *e.depth == 0 || e.offline {
		return nil
	}
	if down, _ := t.down(e, now); down {
		return nil // offline says more
	}
	// No progress since the later of the last new commit (or central's
	// start) and when the oldest waiting event was written.
	since := e.lastCommit
	if since.IsZero() {
		since = t.started
	}
	if waiting := e.backlogAt.Add(-time.Duration(e.oldest * float64(time.Second))); waiting.After(since) {
		since = waiting
	}
	if now.Sub(since) < t.stallAfter {
		return nil
	}
	return &domain.EdgeStall{Edge: id, Since: since.UTC(), OutboxDepth: *e.depth, OldestUnackedS: e.oldest}
}

// Seen records that edge spoke (a batch arrived from it).
func (t *Tracker) Seen(edge string) {
	t.mu.Lock()
	e := t.edges[edge]
	now := t.now()
	if e != nil {
		e.lastSeen = now
	}
	t.mu.Unlock()
	if e != nil && t.record != nil {
		t.record(Word{Edge: edge, SeenAt: now})
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
	wasStalled := t.stall(s.EdgeID, e, now) != nil
	e.statusAt = now
	e.reported = s.Status
	if s.Status == wire.StatusOnline && s.OutboxDepth != nil {
		d := *s.OutboxDepth
		e.depth, e.oldest, e.backlogAt = &d, 0, now
		if s.OldestUnackedS != nil {
			e.oldest = *s.OldestUnackedS
		}
	}
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
	changed := was != e.offline || wasStalled != (t.stall(s.EdgeID, e, now) != nil)
	t.mu.Unlock()
	if t.record != nil {
		w := Word{Edge: s.EdgeID, StatusAt: now, Status: s.Status, Version: s.Version, StartedAt: s.StartedAt,
			OutboxDepth: s.OutboxDepth, OldestUnackedS: s.OldestUnackedS}
		if s.Status == wire.StatusOnline {
			w.SeenAt = now
		}
		t.record(w)
	}
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
		} else {
			l.Stall = t.stall(id, e, now)
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
		if !e.lastCommit.IsZero() {
			at := e.lastCommit.UTC()
			s.LastCommit = &at
		}
		if e.depth != nil {
			d, o := *e.depth, e.oldest
			s.OutboxDepth, s.OldestUnackedS = &d, &o
		}
		s.Stall = t.stall(id, e, now)
		s.Stalled = s.Stall != nil
		down, since := t.down(e, now)
		s.Online = !down && !e.offline && !s.Stalled
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
