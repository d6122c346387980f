package wire

import (
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
