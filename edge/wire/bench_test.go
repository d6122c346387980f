package wire

import (
	"testing"
	"time"
)

// BenchmarkDecodeAndScreen is central's per-batch cost before the store:
// a 500-event batch as an edge writes it, decoded and screened.
func BenchmarkDecodeAndScreen(b *testing.B) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	w := NewBatchWriter("edge-1", 0)
	for i := range 500 {
		e := Event{EdgeID: "edge-1", Seq: uint64(i + 1), Line: "L1", Type: TypeCount, SourceTime: now.Add(time.Duration(i) * time.Millisecond),
			Count: &Count{Counter: "good", Good: 1, Raw: uint64(1000 + i)}}
		if i%50 == 0 {
			e.Type, e.Count, e.State = TypeState, nil, &State{State: StateRunning}
		}
		p, _ := e.AppendJSON(nil)
		w.Add(p)
	}
	payload := w.Bytes()
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		batch, err := DecodeBatch("edge-1", payload)
		if err != nil {
			b.Fatal(err)
		}
		valid, rejected := batch.Screen(now, func(string) bool { return true })
		if len(valid) != 500 || len(rejected) != 0 {
			b.Fatal(len(valid), rejected)
		}
	}
}
