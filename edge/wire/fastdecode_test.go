package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// decodeSlow is what DecodeBatch does when decodeFast declines.
func decodeSlow(p []byte) (Batch, error) {
	var b Batch
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.DisallowUnknownFields()
	err := dec.Decode(&b)
	return b, err
}

func fastSeeds() [][]byte {
	ts := time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC)
	w := NewBatchWriter("edge-1", 0)
	for i, e := range []Event{
		{EdgeID: "edge-1", Seq: 1, Line: "L1", Type: TypeCount, SourceTime: ts, Count: &Count{Counter: "good", Good: 3, Raw: 1<<64 - 1, Reset: true, Wraps: 2}},
		{EdgeID: "edge-1", Seq: 2, Line: "L2", Type: TypeCount, SourceTime: ts, Count: &Count{Counter: "scrap", Reject: 1}},
		{EdgeID: "edge-1", Seq: 3, Line: "L1", Type: TypeState, SourceTime: ts, State: &State{State: StateDown, Reason: "jam", Raw: "7"}},
		{EdgeID: "edge-1", Seq: 4, Line: "L1", Type: TypeCount, SourceTime: ts, Count: &Count{Counter: "good", Good: 9, Reset: true, Ambiguous: true, AltParts: 65000},
			DeviceTime: ts.Add(10 * time.Minute), ClockOffsetMS: 600_000},
		{EdgeID: "edge-1", Seq: 5, Line: "L1", Type: TypeScan, SourceTime: ts, Scan: &Scan{Station: "S1", Code: "WO-1"}},
	} {
		b, _ := e.AppendJSON(nil)
		if i < 4 {
			w.Add(b)
		}
	}
	return [][]byte{
		w.Bytes(),
		[]byte(` { "v" : 1 , "edge_id" : "e1" , "events" : [ { "seq" : 1 , "ts" : "2026-11-25T12:00:00+01:00" , "count" : { "good" : -0 } } ] } `),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"seq":1,"Seq":2}]}`),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"seq":1,"seq":2}]}`),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"seq":1.0}]}`),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"seq":01}]}`),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"seq":18446744073709551616}]}`),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"count":null}]}`),
		[]byte(`{"v":1,"edge_id":"e\u0031","events":[]}`),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"count":{"reset":true,"wraps":-1}}]} trailing`),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"ts":"2026-13-25T12:00:00Z"}]}`),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"state":{"state":"idle","x":1}}]}`),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"scan":{"code":"x"}}]}`),
		[]byte(`{"v":1,"edge_id":"é","events":[]}`),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"clock_offset_ms":1,"clock_offset_ms":2}]}`),
		[]byte(`{"v":1,"edge_id":"e1","events":[{"device_ts":"x","count":{"ambiguous":1,"alt_parts":-1}}]}`),
	}
}

// Where the fast path accepts, it must agree with encoding/json exactly.
func TestDecodeFastAgreesWithEncodingJSON(t *testing.T) {
	accepted := 0
	for _, p := range fastSeeds() {
		if checkFast(t, p) {
			accepted++
		}
	}
	if accepted < 2 {
		t.Fatalf("the fast path took %d of the seeds; it should take at least the edge's own batch and the spaced one", accepted)
	}
	if _, ok := decodeFast(fastSeeds()[0]); !ok {
		t.Fatal("the fast path refused what the edge writes")
	}
}

func checkFast(t *testing.T, p []byte) bool {
	t.Helper()
	fast, ok := decodeFast(p)
	if !ok {
		return false
	}
	slow, err := decodeSlow(p)
	if err != nil {
		t.Fatalf("fast path accepted what encoding/json refuses (%v): %s", err, p)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast path disagrees on %s\nfast %+v\nslow %+v", p, fast, slow)
	}
	return true
}

func FuzzDecodeFast(f *testing.F) {
	for _, p := range fastSeeds() {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) { checkFast(t, p) })
}
