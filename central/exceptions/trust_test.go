package exceptions

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// memStore keeps exceptions in memory with the store's contract: at most
// one not resolved per (line, kind, work order), raising idempotent per
// occurrence.
type memStore struct {
	lines []domain.LineView
	xs    []domain.Exception
	occ   map[string]bool
	wo    string
}

func (m *memStore) ListLines(context.Context) ([]domain.LineView, error) { return m.lines, nil }
func (m *memStore) ListExceptions(_ context.Context, f domain.ExceptionFilter) ([]domain.Exception, error) {
	var out []domain.Exception
	for _, x := range m.xs {
		okS, okK := len(f.Status) == 0, len(f.Kind) == 0
		for _, s := range f.Status {
			okS = okS || x.Status == s
		}
		for _, k := range f.Kind {
			okK = okK || x.Kind == k
		}
		if okS && okK {
			out = append(out, x)
		}
	}
	return out, nil
}
func (m *memStore) RaiseException(_ context.Context, x domain.Exception, occ string, _ domain.Actor) (domain.Exception, domain.RaiseOutcome, error) {
	key := string(x.Kind) + "/" + occ
	if occ != "" && m.occ[key] {
		return x, domain.RaiseUnchanged, nil
	}
	m.occ[key] = true
	for i := range m.xs {
		if y := &m.xs[i]; y.Line == x.Line && y.Kind == x.Kind && y.WorkOrder == x.WorkOrder && y.Status != domain.ExceptionResolved {
			y.Occurrences++
			return *y, domain.RaiseRepeated, nil
		}
	}
	x.ID, x.Status, x.Occurrences = x.Line+"-"+string(x.Kind)+"-"+occ, domain.ExceptionOpen, 1
	m.xs = append(m.xs, x)
	return x, domain.RaiseCreated, nil
}
func (m *memStore) ResolveException(_ context.Context, id string, _ domain.Actor, note string, _ time.Time) (domain.Exception, error) {
	for i := range m.xs {
		if m.xs[i].ID == id {
			m.xs[i].Status, m.xs[i].Resolution = domain.ExceptionResolved, note
			return m.xs[i], nil
		}
	}
	return domain.Exception{}, domain.ErrNotFound
}
func (m *memStore) EventWorkOrder(context.Context, string, uint64) (string, error) { return m.wo, nil }

func newTrustService(t *testing.T) (*Service, *memStore) {
	t.Helper()
	st := &memStore{occ: map[string]bool{}, wo: "WO-1", lines: []domain.LineView{{Line: domain.Line{ID: "L1"}, State: wire.StateRunning}}}
	s, err := New(Options{Config: DefaultConfig(), Store: st, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// An ambiguous count opens counter_ambiguous for the work order it was
// counted to, saying what was counted and what the other reading adds; a
// resent copy of the same event adds nothing; a plain count raises nothing.
func TestAmbiguousCountOpensCounterAmbiguous(t *testing.T) {
	s, st := newTrustService(t)
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	amb := wire.Event{EdgeID: "edge-L1", Seq: 42, Line: "L1", Type: wire.TypeCount, SourceTime: at,
		Count: &wire.Count{Counter: "good_total", Good: 120, Raw: 120, Reset: true, Ambiguous: true, AltParts: 3507}}
	plain := wire.Event{EdgeID: "edge-L1", Seq: 43, Line: "L1", Type: wire.TypeCount, SourceTime: at, Count: &wire.Count{Counter: "good_total", Good: 5}}
	for range 2 {
		s.Observe([]wire.Event{amb, plain})
		if err := s.Evaluate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(st.xs) != 1 {
		t.Fatalf("exceptions %+v, want one counter_ambiguous", st.xs)
	}
	x := st.xs[0]
	want := "counter good_total fell to 120: counted 120 good parts as a reset; if it was a wrap, 3507 more"
	if x.Kind != domain.ExceptionCounterAmbiguous || x.WorkOrder != "WO-1" || x.Occurrences != 1 || !strings.HasPrefix(x.Detail, want) || !x.OpenedAt.Equal(at) {
		t.Fatalf("exception %+v, want counter_ambiguous on WO-1 at %s: %q", x, at, want)
	}
}

// A line whose latest events report a device clock off opens clock_skew
// (one per line, whatever work order runs); it is resolved once the events
// report no skew.
func TestClockSkewOpensAndResolves(t *testing.T) {
	s, st := newTrustService(t)
	st.lines[0].ClockSkewMS = 600_000
	st.lines[0].Active = &domain.ActiveWork{WorkOrderID: "WO-1"}
	if err := s.Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.lines[0].Active = &domain.ActiveWork{WorkOrderID: "WO-2"}
	if err := s.Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(st.xs) != 1 || st.xs[0].Kind != domain.ExceptionClockSkew || !strings.Contains(st.xs[0].Detail, "10m0s ahead of the edge's") {
		t.Fatalf("exceptions %+v, want one clock_skew saying 10m0s ahead", st.xs)
	}
	st.lines[0].ClockSkewMS = 0
	if err := s.Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st.xs[0].Status != domain.ExceptionResolved || !strings.Contains(st.xs[0].Resolution, "within the edge's tolerance") {
		t.Fatalf("after the clock was set right: %+v", st.xs[0])
	}
}
