package exceptions

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// failingStore fails every call, as a broken database would.
type failingStore struct{}

var errBroken = errors.New("database is broken")

func (f *failingStore) ListLines(context.Context) ([]domain.LineView, error) { return nil, nil }
func (f *failingStore) ListExceptions(context.Context, domain.ExceptionFilter) ([]domain.Exception, error) {
	return nil, errBroken
}
func (f *failingStore) RaiseException(context.Context, domain.Exception, string, domain.Actor) (domain.Exception, domain.RaiseOutcome, error) {
	return domain.Exception{}, domain.RaiseUnchanged, errBroken
}
func (f *failingStore) EventWorkOrder(context.Context, string, uint64) (string, error) {
	return "", errBroken
}
func (f *failingStore) ResolveException(context.Context, string, domain.Actor, string, time.Time) (domain.Exception, error) {
	return domain.Exception{}, errBroken
}

func qcFail(seq uint64) wire.Event {
	return wire.Event{EdgeID: "e", Seq: seq, Line: "L1", Type: wire.TypeQC, SourceTime: time.Now(),
		QC: &wire.QC{Characteristic: "c", Value: 1, Pass: false}}
}

// TestObserveNeverBlocksOrFails: ingest hands events over and goes on,
// whatever the store does; what does not fit is dropped and counted, and a
// failed raise keeps its events for the next evaluation.
func TestObserveNeverBlocksOrFails(t *testing.T) {
	st := &failingStore{}
	s, err := New(Options{Config: DefaultConfig(), Store: st, Log: slog.New(slog.DiscardHandler), Queue: 2})
	if err != nil {
		t.Fatal(err)
	}
	pass := wire.Event{EdgeID: "e", Seq: 9, Line: "L1", Type: wire.TypeQC, QC: &wire.QC{Characteristic: "c", Pass: true}}
	s.Observe([]wire.Event{qcFail(1), pass, qcFail(2), qcFail(3)}) // no Run loop: must not block
	s.Observe([]wire.Event{qcFail(4)})
	if s.Dropped() != 2 {
		t.Errorf("dropped %d, want 2", s.Dropped())
	}
	if err := s.Evaluate(context.Background()); !errors.Is(err, errBroken) {
		t.Errorf("evaluate: %v", err)
	}
	if err := s.Evaluate(context.Background()); !errors.Is(err, errBroken) {
		t.Errorf("second evaluate: %v", err)
	}
	// The kept events are still there for the next evaluation.
	s.qcMu.Lock()
	kept := len(s.qc)
	s.qcMu.Unlock()
	if kept != 2 {
		t.Errorf("%d events kept, want 2", kept)
	}
}

func TestConfigValidateNamesKeys(t *testing.T) {
	c := Config{BehindAttainment: 120, BehindMinExpected: -1, DownGrace: -time.Second, NoDataGrace: -time.Second, Poll: time.Millisecond}
	err := c.Validate()
	for _, key := range []string{"behind_attainment", "behind_min_expected", "down_grace", "no_data_grace", "poll"} {
		if err == nil || !strings.Contains(err.Error(), "exceptions."+key) {
			t.Errorf("%s not named in %v", key, err)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
