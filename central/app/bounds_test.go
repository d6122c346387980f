package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// TestImpossibleEventsAreQuarantined is issue #10's attack over the real
// MQTT and HTTPS ingest paths, on SQLite and PostgreSQL: counts of
// 9223372036854775807 and 1e12 (as a JSON number) over both, 10^12, a negative
// count, a time in 2300 and one two days ahead, an oversized string, a NUL,
// invalid UTF-8 and a line the edge does not own are each refused with
// their reason in the ack (so the edge's outbox moves on), kept in the
// quarantine a supervisor reads, raised as one quarantined_event exception
// on the line, and change no count: the lines, orders, schedule and export
// routes answer 200 with the valid events' counts only.
func TestImpossibleEventsAreQuarantined(t *testing.T) {
	onBackends(t, func(t *testing.T, backend func(*Config)) {
		a := startApp(t, backend, withEdges)
		base := "http://" + a.HTTPAddr()
		e := newEdge(t, a.BrokerAddr(), "edge-L1", demoToken)
		before := l1(t, a)

		now := time.Now().UTC()
		ev := func(seq int, ts time.Time, count string) string {
			return `{"edge_id":"edge-L1","seq":` + itoa(seq) + `,"line":"L1","type":"count","ts":"` + ts.Format(time.RFC3339Nano) +
				`","count":{"counter":"parts",` + count + `}}`
		}
		batch := func(evs ...string) []byte {
			return []byte(`{"v":1,"edge_id":"edge-L1","events":[` + strings.Join(evs, ",") + `]}`)
		}
		mqtt := batch(ev(1, now, `"good":4,"reject":0,"raw":4`), ev(2, now, `"good":9223372036854775807,"reject":0,"raw":5`),
			ev(3, now, `"good":1e12,"reject":0,"raw":6`), ev(4, now, `"good":1000000000000,"reject":0,"raw":7`),
			ev(5, now, `"good":6,"reject":1,"raw":13`))
		ack := e.publish("edge-L1", mqtt)
		if ack.Error != "" || ack.From != 1 || ack.To != 5 || rejectedSeqs(ack) != "2,3,4" {
			t.Fatalf("MQTT ack = %+v, want 1..5 with 2, 3 and 4 rejected", ack)
		}
		// The edge resends (it lost the ack): nothing is counted or kept twice.
		if again := e.publish("edge-L1", mqtt); rejectedSeqs(again) != "2,3,4" || again.To != 5 {
			t.Fatalf("MQTT re-ack = %+v", again)
		}

		https := batch(ev(6, now, `"good":-5,"reject":0`), ev(7, time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), `"good":1,"reject":0`),
			ev(8, now, `"good":1,"reject":0`),
			`{"edge_id":"edge-L1","seq":9,"line":"L1","type":"state","ts":"`+now.Format(time.RFC3339Nano)+`","state":{"state":"down","reason":"`+strings.Repeat("x", 300)+`"}}`,
			ev(10, now, `"good":9223372036854775807,"reject":0`), ev(11, now, `"good":1e12,"reject":0`),
			ev(12, now.Add(48*time.Hour), `"good":1,"reject":0`),
			`{"edge_id":"edge-L1","seq":13,"line":"L1","type":"scan","ts":"`+now.Format(time.RFC3339Nano)+`","scan":{"station":"ST-L1","code":"WO\u0000"}}`,
			"{\"edge_id\":\"edge-L1\",\"seq\":14,\"line\":\"L1\",\"type\":\"scan\",\"ts\":\""+now.Format(time.RFC3339Nano)+"\",\"scan\":{\"station\":\"ST-L1\",\"code\":\"WO\xff\"}}",
			`{"edge_id":"edge-L1","seq":15,"line":"L2","type":"count","ts":"`+now.Format(time.RFC3339Nano)+`","count":{"counter":"parts","good":1}}`)
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/ingest", bytes.NewReader(https))
		req.Header.Set("Authorization", "Bearer "+demoToken)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var hack wire.Ack
		err = json.NewDecoder(res.Body).Decode(&hack)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || hack.From != 6 || hack.To != 15 || rejectedSeqs(hack) != "6,7,9,10,11,12,13,14,15" {
			t.Fatalf("HTTPS: %d %+v %v; want 200, 6..15 with all but 8 rejected", res.StatusCode, hack, err)
		}
		reasons := map[uint64]string{}
		for _, r := range append(ack.Rejected, hack.Rejected...) {
			reasons[r.Seq] = r.Reason
		}
		for seq, want := range map[uint64]string{2: "ceiling", 3: "does not decode", 4: "ceiling", 6: "negative", 7: "1970 to 2262", 9: "state.reason: 300 characters",
			10: "ceiling", 11: "does not decode", 12: "ahead of central's clock", 13: "scan.code: contains NUL", 14: "invalid UTF-8",
			15: `"L2" is not a line edge "edge-L1" may report for`} {
			if !strings.Contains(reasons[seq], want) {
				t.Errorf("event %d refused for %q, want %q", seq, reasons[seq], want)
			}
		}

		// Counts: only events 1, 5 and 8.
		if l := l1(t, a); l.Good != before.Good+11 || l.Reject != before.Reject+1 {
			t.Errorf("L1 good/reject %d/%d, want %d/%d", l.Good, l.Reject, before.Good+11, before.Reject+1)
		}
		sup := signIn(t, base, "super", "super-demo")
		for _, path := range []string{"/api/v1/lines", "/api/v1/orders", "/api/v1/schedule"} {
			if code, body := get(t, sup, base+path); code != 200 {
				t.Errorf("GET %s: %d %s", path, code, body)
			}
		}

		// What a supervisor sees.
		if code, _ := get(t, http.DefaultClient, base+"/api/v1/quarantine"); code != 401 {
			t.Errorf("quarantine without sign-in: %d, want 401", code)
		}
		op := signIn(t, base, "op1", "op1-demo")
		if code, _ := get(t, op, base+"/api/v1/quarantine"); code != 403 {
			t.Errorf("quarantine as operator: %d, want 403", code)
		}
		for _, path := range []string{"/api/v1/exports/orders.csv", "/api/v1/exports/work-orders.csv", "/api/v1/exports/work-orders.xlsx"} {
			if code, body := get(t, sup, base+path); code != 200 {
				t.Errorf("GET %s: %d %.200s", path, code, body)
			}
		}
		code, body := get(t, sup, base+"/api/v1/quarantine?line=L1&edge=edge-L1")
		var q []domain.QuarantinedEvent
		if err := json.Unmarshal([]byte(body), &q); code != 200 || err != nil {
			t.Fatalf("quarantine: %d %v %.300s", code, err, body)
		}
		var seqs []int
		for _, x := range q {
			seqs = append(seqs, int(x.Seq))
			if x.Reason != reasons[x.Seq] || x.Raw == "" || x.Line != "L1" {
				t.Errorf("quarantined %+v", x)
			}
		}
		sort.Ints(seqs)
		if got := joinInts(seqs); got != "2,3,4,6,7,9,10,11,12,13,14" {
			t.Fatalf("quarantined seqs %s, want 2,3,4,6,7,9,10,11,12,13,14 (15 is L2's)", got)
		}
		if code, body := get(t, sup, base+"/api/v1/quarantine?limit=2&offset=0"); code != 200 || strings.Count(body, `"seq"`) != 2 {
			t.Errorf("paged quarantine: %d %.200s", code, body)
		}
		if code, _ := get(t, sup, base+"/api/v1/quarantine?limit=0"); code != 400 {
			t.Errorf("limit=0: %d, want 400", code)
		}
		code, body = get(t, sup, base+"/api/v1/exceptions?line=L1&kind=quarantined_event&status=open")
		var xs []domain.Exception
		if err := json.Unmarshal([]byte(body), &xs); code != 200 || err != nil || len(xs) != 1 {
			t.Fatalf("exceptions: %d %v %.300s", code, err, body)
		}
		if xs[0].Occurrences != 11 || !strings.Contains(xs[0].Detail, "refused") {
			t.Errorf("exception = %+v, want 11 occurrences and a detail naming the reason", xs[0])
		}
		if st := a.IngestStats(); st.Quarantined != 12 || st.Rejected != 15 {
			t.Errorf("stats %+v, want 12 quarantined, 15 rejected (the resend's 3 again)", st)
		}
		if _, body := get(t, http.DefaultClient, base+"/metrics"); !strings.Contains(body, "linewise_ingest_events_quarantined_total 12") {
			t.Errorf("metrics lack the quarantine count")
		}
	})
}

func rejectedSeqs(a wire.Ack) string {
	var s []int
	for _, r := range a.Rejected {
		s = append(s, int(r.Seq))
	}
	return joinInts(s)
}

func joinInts(s []int) string {
	out := make([]string, len(s))
	for i, n := range s {
		out[i] = itoa(n)
	}
	return strings.Join(out, ",")
}

func itoa(n int) string { return strconv.Itoa(n) }

func signIn(t *testing.T, base, user, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"username":"`+user+`","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("sign in as %s: %d", user, res.StatusCode)
	}
	return c
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
