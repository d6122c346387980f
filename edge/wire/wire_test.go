package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestScreenRefusesBadEventsOneByOne(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ok := func(seq uint64) Event {
		return Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: TypeCount, SourceTime: now.Add(-time.Second), Count: &Count{Counter: "good", Good: 3}}
	}
	b := Batch{Version: Version, EdgeID: "e1"}
	neg := ok(2)
	neg.Count = &Count{Counter: "good", Good: -5}
	future := ok(3)
	future.SourceTime = now.Add(48 * time.Hour)
	ancient := ok(4)
	ancient.SourceTime = time.Unix(0, 0)
	foreign := ok(5)
	foreign.Line = "L9"
	wrongType := ok(6)
	wrongType.Type = "explode"
	other := ok(7)
	other.EdgeID = "e2"
	badState := Event{EdgeID: "e1", Seq: 8, Line: "L1", Type: TypeState, SourceTime: now, State: &State{State: "on fire"}}
	b.Events = []Event{ok(1), neg, future, ancient, foreign, wrongType, other, badState, ok(9)}

	valid, rejected := b.Screen(now, func(l string) bool { return l == "L1" })
	if len(valid) != 2 || valid[0].Seq != 1 || valid[1].Seq != 9 {
		t.Fatalf("valid = %+v, want seqs 1 and 9", valid)
	}
	want := map[uint64]string{2: "negative", 3: "ahead", 4: "year old", 5: `"L9"`, 6: `"explode"`, 7: `"e2"`, 8: `"on fire"`}
	if len(rejected) != len(want) {
		t.Fatalf("rejected %+v", rejected)
	}
	for _, r := range rejected {
		if !strings.Contains(r.Reason, want[r.Seq]) {
			t.Errorf("seq %d rejected for %q, want a reason mentioning %s", r.Seq, r.Reason, want[r.Seq])
		}
	}
}

func TestDecodeBatchRefusesWholeOnlyForStructure(t *testing.T) {
	cases := map[string]string{
		`{"v":1,"edge_id":"e1","events":[{"seq":2},{"seq":2}]}`: "not above previous",
		`{"v":2,"edge_id":"e1","events":[{"seq":1}]}`:           "unsupported version",
		`{"v":1,"edge_id":"e9","events":[{"seq":1}]}`:           "does not match",
		`{"v":1,"edge_id":"e1","events":[]}`:                    "empty",
		`{"v":1,"edge_id":"e1","events":[{"seq":0}]}`:           "at least 1",
		`{"v":1,"edge_id":"e1","events":[{"seq":"x"}]}`:         "batch:",
		`not json`: "batch:",
	}
	for in, want := range cases {
		if _, err := DecodeBatch("e1", []byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("DecodeBatch(%s) = %v, want an error with %q", in, err, want)
		}
	}
	// Bad content in one event is not a structural problem.
	in := `{"v":1,"edge_id":"e1","events":[{"edge_id":"e1","seq":1,"line":"L1","type":"count","ts":"2026-11-25T12:00:00Z","count":{"counter":"g","good":-1}}]}`
	if _, err := DecodeBatch("e1", []byte(in)); err != nil {
		t.Fatalf("a batch with one invalid event was refused whole: %v", err)
	}
}

// The sender splices stored events into a batch; central must read exactly
// what json.Marshal of the same Batch would have given it.
func TestBatchWriterMatchesMarshal(t *testing.T) {
	lo, hi := 1.5, 2.5
	evs := []Event{
		{EdgeID: "e.1", Seq: 7, Line: "L1", Type: TypeCount, SourceTime: time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC), Count: &Count{Counter: "good", Good: 3, Raw: 1 << 40, Reset: true, Wraps: 1}},
		{EdgeID: "e.1", Seq: 8, Line: "L1", Type: TypeState, SourceTime: time.Date(2026, 11, 25, 12, 0, 1, 0, time.UTC), State: &State{State: StateDown, Reason: `jam "A" <3>`}},
		{EdgeID: "e.1", Seq: 9, Line: "L1", Type: TypeQC, SourceTime: time.Date(2026, 11, 25, 12, 0, 2, 0, time.UTC), QC: &QC{Characteristic: "bore", Value: 2, Lower: &lo, Upper: &hi, Pass: true}},
	}
	want, err := json.Marshal(Batch{Version: Version, EdgeID: "e.1", Events: evs})
	if err != nil {
		t.Fatal(err)
	}
	w := NewBatchWriter("e.1", 0)
	for _, e := range evs {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		w.Add(b)
	}
	if got := w.Bytes(); string(got) != string(want) {
		t.Fatalf("spliced batch\n%s\nwant\n%s", got, want)
	}
	if b, err := DecodeBatch("e.1", w.Bytes()); err != nil || len(b.Events) != 3 {
		t.Fatalf("DecodeBatch = %d events, %v", len(b.Events), err)
	}
}

func TestAppendJSONMatchesMarshal(t *testing.T) {
	ts := time.Date(2026, 11, 25, 12, 0, 0, 120000000, time.UTC)
	lo := 1.5
	evs := []Event{
		{EdgeID: "e1", Seq: 1, Line: "L1", Type: TypeCount, SourceTime: ts, Count: &Count{Counter: "good", Good: 3, Raw: 1<<64 - 1}},
		{EdgeID: "e1", Seq: 1<<64 - 1, Line: "L1", Type: TypeCount, SourceTime: ts.Add(time.Nanosecond), Count: &Count{Counter: "good", Good: -2, Reject: 7, Reset: true, Wraps: -3}},
		{EdgeID: "e1", Seq: 3, Line: "L1", Type: TypeCount, SourceTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Count: &Count{Counter: "ünïcode"}},
		{EdgeID: "e1", Seq: 4, Line: "L1", Type: TypeState, SourceTime: ts, State: &State{State: StateDown, Reason: "jam", Raw: "17"}},
		{EdgeID: "e1", Seq: 5, Line: "L1", Type: TypeState, SourceTime: ts, State: &State{State: StateRunning}},
		{EdgeID: "e1", Seq: 6, Line: "L1", Type: TypeState, SourceTime: ts, State: &State{State: StateDown, Reason: "a<b & \"c\"\n"}},
		{EdgeID: "e1", Seq: 7, Line: "L1", Type: TypeState, SourceTime: ts.In(time.FixedZone("x", 3600)), State: &State{State: StateIdle}},
		{EdgeID: "e1", Seq: 8, Line: "L1", Type: TypeScan, SourceTime: ts, Scan: &Scan{Station: "S1", Code: "WO-1"}},
		{EdgeID: "e1", Seq: 9, Line: "L1", Type: TypeQC, SourceTime: ts, QC: &QC{Characteristic: "bore", Value: 1e-9, Lower: &lo}},
		{EdgeID: "e1", Seq: 10, Line: "L1", Type: "count", SourceTime: ts, Count: &Count{}, State: &State{}},
		{Type: TypeCount},
		{EdgeID: "e1", Seq: 11, Line: "L1", Type: TypeCount, SourceTime: ts, Count: &Count{Counter: "good", Good: 3, Reset: true, Ambiguous: true, AltParts: 65000}},
		{EdgeID: "e1", Seq: 12, Line: "L1", Type: TypeCount, SourceTime: ts, Count: &Count{Counter: "good", Good: 1}, DeviceTime: ts.Add(10 * time.Minute), ClockOffsetMS: 600_000},
		{EdgeID: "e1", Seq: 13, Line: "L1", Type: TypeState, SourceTime: ts, State: &State{State: StateIdle}, ClockOffsetMS: -7000},
		{EdgeID: "e1", Seq: 14, Line: "L1", Type: TypeState, SourceTime: ts, State: &State{State: StateIdle}, DeviceTime: ts.In(time.FixedZone("x", 3600))},
	}
	for i := range evs {
		want, err := json.Marshal(evs[i])
		if err != nil {
			t.Fatal(err)
		}
		got, err := evs[i].AppendJSON([]byte("x"))
		if err != nil || string(got) != "x"+string(want) {
			t.Errorf("event %d: AppendJSON = %s, %v\nwant %s", i, got, err, want)
		}
	}
}
