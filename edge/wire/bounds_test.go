package wire

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var screenNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// The attack of issue #10 and its relatives: each bad event is refused on
// its own, with a reason naming the bound, and its neighbours pass.
func TestScreenHoldsEventsToTheirBounds(t *testing.T) {
	ev := func(seq int, body string) string {
		return `{"edge_id":"e1","seq":` + strconv.Itoa(seq) + `,"line":"L1","type":"count","ts":"2026-11-25T11:59:00Z","count":{"counter":"good",` + body + `}}`
	}
	long := strings.Repeat("é", MaxStringChars+1)
	events := []string{
		ev(1, `"good":3`),
		ev(2, `"good":9223372036854775807`),
		ev(3, `"good":1e12`),
		ev(4, `"good":1000000000000`),
		ev(5, `"good":-1`),
		ev(6, `"good":600000,"reject":600000`),
		ev(7, `"good":1,"wraps":-1`),
		ev(8, `"good":1,"refused":"above max_rate"`),
		`{"edge_id":"e1","seq":9,"line":"L1","type":"count","ts":"2300-01-01T00:00:00Z","count":{"counter":"good","good":1}}`,
		`{"edge_id":"e1","seq":10,"line":"L1","type":"count","ts":"1969-12-31T23:59:59Z","count":{"counter":"good","good":1}}`,
		`{"edge_id":"e1","seq":11,"line":"L1","type":"state","ts":"2026-11-25T11:59:00Z","state":{"state":"down","reason":"` + long + `"}}`,
		`{"edge_id":"e1","seq":12,"line":"L1","type":"scan","ts":"2026-11-25T11:59:00Z","scan":{"station":"S1","code":"a\u0000b"}}`,
		"{\"edge_id\":\"e1\",\"seq\":13,\"line\":\"L1\",\"type\":\"scan\",\"ts\":\"2026-11-25T11:59:00Z\",\"scan\":{\"station\":\"S1\",\"code\":\"\xff\xfe\"}}",
		`{"edge_id":"e1","seq":14,"line":"L1","type":"qc","ts":"2026-11-25T11:59:00Z","qc":{"characteristic":"d","value":1e400,"pass":true}}`,
		ev(15, `"good":1000000`),
	}
	payload := `{"v":1,"edge_id":"e1","events":[` + strings.Join(events, ",") + `]}`
	b, err := DecodeBatch("e1", []byte(payload))
	if err != nil {
		t.Fatalf("DecodeBatch refused the whole batch: %v", err)
	}
	valid, refused := b.ScreenWith(screenNow, Limits{}, nil)
	if len(valid) != 2 || valid[0].Seq != 1 || valid[1].Seq != 15 {
		t.Fatalf("valid = %+v, want seqs 1 and 15", valid)
	}
	want := map[uint64]string{
		2: "ceiling", 3: "does not decode", 4: "ceiling", 5: "negative", 6: "ceiling", 7: "count.wraps",
		8: "edge found it impossible", 9: "1970 to 2262", 10: "1970 to 2262", 11: "state.reason: 257 characters",
		12: "scan.code: contains NUL", 13: "invalid UTF-8", 14: "does not decode",
	}
	if len(refused) != len(want) {
		t.Fatalf("refused %d: %+v", len(refused), refused)
	}
	for _, r := range refused {
		if !strings.Contains(r.Reason, want[r.Seq]) {
			t.Errorf("seq %d refused for %q, want a reason mentioning %q", r.Seq, r.Reason, want[r.Seq])
		}
		if r.Line != "L1" {
			t.Errorf("seq %d: line %q, want L1", r.Seq, r.Line)
		}
		if !utf8.Valid(r.Raw) || strings.ContainsRune(string(r.Raw), 0) || len(r.Raw) == 0 {
			t.Errorf("seq %d: raw %q is not storable text", r.Seq, r.Raw)
		}
	}
	// A time beyond 2262 is never kept as a time.
	for _, r := range refused {
		if (r.Seq == 9 || r.Seq == 10) && !r.SourceTime.IsZero() {
			t.Errorf("seq %d kept source time %v", r.Seq, r.SourceTime)
		}
	}
	acks := Rejections(refused)
	if len(acks) != len(refused) || acks[0].Seq != refused[0].Seq || acks[0].Reason != refused[0].Reason {
		t.Errorf("Rejections = %+v", acks)
	}
}

func TestScreenWithConfiguredLimits(t *testing.T) {
	e := Event{EdgeID: "e1", Seq: 1, Line: "L1", Type: TypeCount, SourceTime: screenNow.Add(10 * time.Minute), Count: &Count{Counter: "g", Good: 500}}
	b := Batch{Version: Version, EdgeID: "e1", Events: []Event{e}}
	if valid, _ := b.ScreenWith(screenNow, Limits{}, nil); len(valid) != 1 {
		t.Fatal("defaults refused a good event")
	}
	_, refused := b.ScreenWith(screenNow, Limits{MaxCountDelta: 100, MaxFutureSkew: 5 * time.Minute}, nil)
	if len(refused) != 1 || !strings.Contains(refused[0].Reason, "ceiling of 100") {
		t.Fatalf("refused = %+v, want the ceiling of 100", refused)
	}
	e.Count.Good = 5
	b.Events = []Event{e}
	_, refused = b.ScreenWith(screenNow, Limits{MaxFutureSkew: 5 * time.Minute}, nil)
	if len(refused) != 1 || !strings.Contains(refused[0].Reason, "ahead of central's clock") {
		t.Fatalf("refused = %+v, want the future skew", refused)
	}
}

// Without a readable seq an event cannot be acknowledged: the batch is
// refused whole, as before.
func TestDecodeBatchNeedsEverySeq(t *testing.T) {
	in := `{"v":1,"edge_id":"e1","events":[{"seq":1,"count":{"good":1e12}},{"seq":"two","count":{"good":1e12}}]}`
	if _, err := DecodeBatch("e1", []byte(in)); err == nil || !strings.Contains(err.Error(), "batch:") {
		t.Fatalf("DecodeBatch = %v, want the batch refused", err)
	}
}

// FuzzDecodeAndScreen: whatever arrives, DecodeBatch and ScreenWith do not
// panic, every event is either valid or refused with a reason, and what
// passes is within every bound (so storing it can neither overflow a count
// nor convert an impossible time). The seeds are in testdata/fuzz.
func FuzzDecodeAndScreen(f *testing.F) {
	for _, p := range fastSeeds() {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		b, err := DecodeBatch("e1", p)
		if err != nil {
			return
		}
		for i := range b.Events {
			if b.Events[i].Seq == 0 || i > 0 && b.Events[i].Seq <= b.Events[i-1].Seq {
				t.Fatalf("DecodeBatch passed seqs out of order: %s", p)
			}
		}
		valid, refused := b.ScreenWith(screenNow, Limits{}, func(l string) bool { return l != "L9" })
		if len(valid)+len(refused) != len(b.Events) {
			t.Fatalf("%d valid + %d refused of %d events", len(valid), len(refused), len(b.Events))
		}
		for _, e := range valid {
			if err := e.Validate(); err != nil {
				t.Fatalf("passed an invalid event (%v): %s", err, p)
			}
			if e.EdgeID != "e1" || e.Line == "L9" || !inRange(e.SourceTime) ||
				e.SourceTime.After(screenNow.Add(MaxFutureSkew)) || e.SourceTime.Before(screenNow.Add(-MaxAge)) {
				t.Fatalf("passed an event outside its bounds: %+v", e)
			}
			if c := e.Count; c != nil && (c.Good < 0 || c.Reject < 0 || c.Good+c.Reject > DefaultMaxCountDelta || c.Refused != "") {
				t.Fatalf("passed an impossible count: %+v", *c)
			}
			if _, err := e.AppendJSON(nil); err != nil {
				t.Fatalf("a valid event does not encode: %v", err)
			}
		}
		for _, r := range refused {
			text := string(r.Raw) + r.Reason + r.Type + r.Line
			if r.Reason == "" || !utf8.ValidString(text) || strings.ContainsRune(text, 0) || len(r.Raw) > maxRawBytes+32 ||
				utf8.RuneCountInString(r.Reason) > maxReasonChars+1 {
				t.Fatalf("refused event not storable: %+v", r)
			}
			if !r.SourceTime.IsZero() && !inRange(r.SourceTime) {
				t.Fatalf("refused event keeps an unconvertible time %v", r.SourceTime)
			}
		}
	})
}

// What a refused event claims reaches a database as text it takes: no NUL,
// valid UTF-8, bounded.
func TestRefusedIsStorable(t *testing.T) {
	in := `{"v":1,"edge_id":"e1","events":[{"edge_id":"e1","seq":1,"line":"L\u0000","type":"x\u0000` + strings.Repeat("y", 5000) +
		`","ts":"2026-11-25T11:59:00Z","state":{"state":"` + strings.Repeat("z", 9000) + `"}}]}`
	b, err := DecodeBatch("e1", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	_, refused := b.ScreenWith(screenNow, Limits{}, nil)
	if len(refused) != 1 {
		t.Fatalf("refused %+v", refused)
	}
	r := refused[0]
	for _, s := range []string{r.Line, r.Type, r.Reason} {
		if strings.ContainsRune(s, 0) || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxReasonChars+1 {
			t.Errorf("not storable: %.80q (%d)", s, len(s))
		}
	}
}
