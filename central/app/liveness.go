package app

import (
	"context"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/liveness"
	"github.com/linewise/linewise/central/store"
)

// startLiveness builds the edge liveness tracker from the configured edges.
// It pokes the dashboard push and the exception rules when an edge's status
// changes; a grace running out is seen by their own ticks. Safe before the
// API and exception rules exist.
func (a *App) startLiveness() {
	var edges []liveness.Edge
	for _, e := range a.cfg.Edges {
		edges = append(edges, liveness.Edge{ID: e.ID, Lines: e.Lines})
	}
	a.live = liveness.New(edges, a.cfg.Exceptions.EdgeSilentAfter, nil, func() {
		if a.api != nil {
			a.api.Notify()
		}
		a.exc.poke()
	})
	a.live.SetStallAfter(a.cfg.Exceptions.EdgeStalledAfter)
}

// Liveness gives tests the edge liveness tracker.
func (a *App) Liveness() *liveness.Tracker { return a.live }

// livenessStore is the store as the dashboard, the API and the exception
// rules read it: an offline edge's lines read as no_data.
type livenessStore struct {
	*store.Store
	live *liveness.Tracker
}

func (s livenessStore) ListLines(ctx context.Context) ([]domain.LineView, error) {
	lines, err := s.Store.ListLines(ctx)
	if err != nil {
		return nil, err
	}
	return s.live.Overlay(lines), nil
}
