package liveness

import (
	"time"

	"github.com/linewise/linewise/edge/wire"
)

// Word is what one replica heard of an edge, shared with the others: when
// it was last seen and last committed a new event, and its last status
// with when that was heard (zero StatusAt: no status in this word).
type Word struct {
	Edge                       string
	SeenAt, CommitAt, StatusAt time.Time
	Status, Version            string
	StartedAt                  time.Time
	OutboxDepth                *int64
	OldestUnackedS             *float64
}

// SetRecorder has record called (outside the tracker's lock, so it must
// not call back into it, and quickly) with every word the tracker hears
// itself. Call before use.
func (t *Tracker) SetRecorder(record func(Word)) { t.record = record }

// Apply takes what another replica heard: times only move forward, and a
// status replaces this tracker's only when it was heard later. It records
// nothing (it was recorded where it was heard).
func (t *Tracker) Apply(w Word) {
	t.mu.Lock()
	e := t.edges[w.Edge]
	if e == nil {
		t.mu.Unlock()
		return
	}
	now := t.now()
	was := e.offline
	wasStalled := t.stall(w.Edge, e, now) != nil
	if w.SeenAt.After(e.lastSeen) {
		e.lastSeen = w.SeenAt
	}
	if w.CommitAt.After(e.lastCommit) {
		e.lastCommit = w.CommitAt
	}
	if !w.StatusAt.IsZero() && w.StatusAt.After(e.statusAt) {
		e.statusAt = w.StatusAt
		e.reported = w.Status
		if w.Status == wire.StatusOnline && w.OutboxDepth != nil {
			d := *w.OutboxDepth
			e.depth, e.oldest, e.backlogAt = &d, 0, w.StatusAt
			if w.OldestUnackedS != nil {
				e.oldest = *w.OldestUnackedS
			}
		}
		if w.Version != "" {
			e.version = w.Version
		}
		if !w.StartedAt.IsZero() {
			e.startedAt = w.StartedAt
		}
		switch w.Status {
		case wire.StatusOnline:
			e.offline = false
		case wire.StatusOffline:
			if !e.offline {
				e.offline, e.offlineSince = true, w.StatusAt
			}
		}
	}
	changed := was != e.offline || wasStalled != (t.stall(w.Edge, e, now) != nil)
	t.mu.Unlock()
	if changed {
		t.changed()
	}
}
