package ingest

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/linewise/linewise/edge/wire"
)

// recorder is a store that keeps what ingest hands it.
type recorder struct {
	applied     []wire.Event
	quarantined []wire.Refused
}

func (r *recorder) ApplyBatch(_ context.Context, b wire.Batch) (int, error) {
	r.applied = append(r.applied, b.Events...)
	return len(b.Events), nil
}

func (r *recorder) Quarantine(_ context.Context, _ string, refused []wire.Refused) (int, error) {
	r.quarantined = append(r.quarantined, refused...)
	return len(refused), nil
}

// FuzzProcess drives the ingest path edges use over HTTPS and MQTT with
// any payload: it never panics; a refused batch stores and quarantines
// nothing and says why; otherwise every event of the ack's range is either
// stored (and then within every bound) or quarantined and listed in the
// ack as rejected, never both. The seeds are in testdata/fuzz.
func FuzzProcess(f *testing.F) {
	f.Add([]byte(`{"v":1,"edge_id":"e1","events":[{"edge_id":"e1","seq":1,"line":"L1","type":"count","ts":"2026-12-05T07:00:00Z","count":{"counter":"c","good":9223372036854775807,"reject":0,"raw":1}}]}`))
	lim := wire.Limits{MaxCountDelta: 1000, MaxFutureSkew: time.Hour, MaxAge: 24 * 365 * time.Hour}
	f.Fuzz(func(t *testing.T, payload []byte) {
		rec := &recorder{}
		in := New(Config{Edges: NewEdges([]Edge{{ID: "e1", Lines: []string{"L1", "L2"}}}), Limits: lim, Quarantine: rec},
			rec, nil, slog.New(slog.DiscardHandler))
		before := time.Now()
		ack, err := in.Process(context.Background(), "e1", payload)
		after := time.Now()
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotAllowed) {
				t.Fatalf("Process = %v, want a refusal", err)
			}
			if ack.Error == "" || len(rec.applied) > 0 || len(rec.quarantined) > 0 {
				t.Fatalf("refused batch: ack %+v, stored %d, quarantined %d", ack, len(rec.applied), len(rec.quarantined))
			}
			return
		}
		seen := map[uint64]bool{}
		for _, e := range rec.applied {
			if err := e.ValidateWith(lim); err != nil {
				t.Fatalf("stored an invalid event (%v): %+v", err, e)
			}
			if e.EdgeID != "e1" || (e.Line != "L1" && e.Line != "L2") || e.Seq < ack.From || e.Seq > ack.To ||
				e.SourceTime.After(after.Add(lim.MaxFutureSkew)) || e.SourceTime.Before(before.Add(-lim.MaxAge)) {
				t.Fatalf("stored an event outside its bounds: %+v (ack %d..%d)", e, ack.From, ack.To)
			}
			if c := e.Count; c != nil && (c.Good < 0 || c.Reject < 0 || c.Good+c.Reject > lim.MaxCountDelta) {
				t.Fatalf("stored an impossible count %+v", *c)
			}
			seen[e.Seq] = true
		}
		if len(ack.Rejected) != len(rec.quarantined) {
			t.Fatalf("ack rejects %d, quarantined %d", len(ack.Rejected), len(rec.quarantined))
		}
		for i, r := range rec.quarantined {
			if seen[r.Seq] || r.Seq != ack.Rejected[i].Seq || r.Reason == "" || r.Reason != ack.Rejected[i].Reason || !utf8.Valid(r.Raw) {
				t.Fatalf("quarantined %+v against ack %+v", r, ack.Rejected[i])
			}
			if !r.SourceTime.IsZero() && (r.SourceTime.Before(wire.MinTime) || r.SourceTime.After(wire.MaxTime)) {
				t.Fatalf("quarantined an unconvertible time %v", r.SourceTime)
			}
			seen[r.Seq] = true
		}
		if ack.From == 0 || ack.To < ack.From {
			t.Fatalf("ack range %d..%d", ack.From, ack.To)
		}
	})
}
