package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/central/reports"
	"github.com/linewise/linewise/edge/wire"
)

// TestStoredReportDeliveredByWebhook: with a route for report_ready to a
// webhook, the day report the generator stores after the plant day ends is
// delivered with its summary, its content as JSON (the stored content, as
// is) and its workbook, whose plant totals are the report's; each shift
// report is delivered with its summary and JSON.
func TestStoredReportDeliveredByWebhook(t *testing.T) {
	var mu sync.Mutex
	var got []notify.WebhookBody
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b notify.WebhookBody
		if err := json.Unmarshal(body, &b); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	start := time.Now().UTC().Truncate(24 * time.Hour).Add(-14 * time.Hour) // yesterday 10:00, in the demo's shift 06:00-14:00 (UTC)
	clock := &fakeClock{t: start}
	a := startApp(t, withEdges, func(c *Config) {
		c.DemoStart = start
		c.ExceptionsNow = clock.Now
		c.Exceptions.Poll = time.Hour
		c.Planning.Auto = false
		c.Notify.Webhooks = []notify.WebhookConfig{{Name: "reports", URL: hook.URL, Secret: "a-webhook-secret-of-32-bytes!!!!"}}
		c.Notify.Routes = []notify.Route{{Kinds: []string{notify.KindReportReady}, Webhooks: []string{"reports"}}}
	})
	e := &excEnv{t: t, a: a, clock: clock, start: start}
	e.send(wire.Event{Type: wire.TypeState, SourceTime: start.Add(time.Second), State: &wire.State{State: wire.StateRunning}},
		wire.Event{Type: wire.TypeCount, SourceTime: start.Add(time.Minute), Count: &wire.Count{Counter: "parts", Good: 120, Reject: 4}})
	ctx := context.Background()
	// The app's own generator runs on the wall clock, and once the demo day
	// has ended it may store these reports before this Tick does: read what
	// is stored, whoever stored it.
	if _, err := reports.New(a.store, *reportsConfig(a.cfg), nil).Tick(ctx, start.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation(a.cfg.Planning.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	date := start.In(loc).Format(time.DateOnly) // the plant day holding start (days start at 00:00)
	stored, err := a.store.StoredReports(ctx, date, date)
	if err != nil {
		t.Fatal(err)
	}
	var day []byte
	shifts := 0
	for _, r := range stored {
		if r.Kind == reports.KindShift && r.Date == date && r.Revision == 1 {
			shifts++
		}
	}
	if r, err := a.store.StoredReportRevision(ctx, reports.KindDay, date, "", 1); err == nil {
		day = r.Content
	}
	if day == nil {
		t.Fatalf("no day report stored for %s: %d reports", date, len(stored))
	}
	var want reports.DayReport
	if err := json.Unmarshal(day, &want); err != nil {
		t.Fatal(err)
	}
	if want.PlantTotals.Good != 120 || want.PlantTotals.Reject != 4 {
		t.Fatalf("the day report holds %+v, want the 120 good and 4 rejects sent", want.PlantTotals)
	}
	clock.Set(start.Add(24 * time.Hour)) // the watcher looks at the plant days around its now
	// The app's own notify loop may claim a delivery before this Step
	// does: wait until every stored report of the day has arrived.
	arrived := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, b := range got {
			if b.Kind == notify.KindReportReady && b.Vars["date"] == date {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(20 * time.Second); arrived() < shifts+1 && time.Now().Before(deadline); {
		a.Notify().Step(ctx)
		time.Sleep(20 * time.Millisecond)
	}

	mu.Lock()
	defer mu.Unlock()
	var dayHook *notify.WebhookBody
	shiftHooks := 0
	for i, b := range got {
		if b.Kind != notify.KindReportReady || b.Vars["date"] != date {
			continue
		}
		if b.Vars["kind"] == reports.KindDay {
			dayHook = &got[i]
			continue
		}
		shiftHooks++
		if len(b.Files) != 1 || !strings.HasSuffix(b.Files[0].Name, ".json") || !strings.Contains(b.EnclosedText, "Plant: good") {
			t.Errorf("shift report %s delivered with %q and %d files", b.Vars["shift"], b.EnclosedText, len(b.Files))
		}
	}
	if dayHook == nil {
		t.Fatalf("the day report was not delivered; the webhook got %d bodies", len(got))
	}
	if shiftHooks != shifts {
		t.Errorf("%d shift reports delivered, %d stored", shiftHooks, shifts)
	}
	if !strings.HasPrefix(dayHook.EnclosedText, "Revision 1, generated ") || !strings.Contains(dayHook.EnclosedText, "Plant: good 120, scrap 4 ") {
		t.Errorf("summary %q", dayHook.EnclosedText)
	}
	if dayHook.Vars["revision"] != "1" || len(dayHook.Files) != 2 {
		t.Fatalf("day delivery vars %v, %d files", dayHook.Vars, len(dayHook.Files))
	}
	js, xl := dayHook.Files[0], dayHook.Files[1]
	if js.ContentType != "application/json" || !bytes.Equal(compact(t, js.Content), compact(t, day)) {
		t.Errorf("the JSON file %s is not the stored content", js.Name)
	}
	raw, err := base64.StdEncoding.DecodeString(xl.Base64)
	if err != nil || !strings.HasSuffix(xl.Name, "-r1.xlsx") {
		t.Fatalf("workbook %s: %v", xl.Name, err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Production")
	if err != nil {
		t.Fatal(err)
	}
	plant := rows[len(want.Production)+1]
	if plant[0] != "Plant" || plant[3] != strconv.FormatInt(want.PlantTotals.Good, 10) || plant[4] != strconv.FormatInt(want.PlantTotals.Reject, 10) {
		t.Errorf("the workbook's plant row %q", plant)
	}
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
