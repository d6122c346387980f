package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
)

// stationClient is a browser at a station page: a cookie jar and the
// same-origin headers a page's fetch sends.
type stationClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newStationClient(t *testing.T, a *App) *stationClient {
	jar, _ := cookiejar.New(nil)
	return &stationClient{t: t, base: "http://" + a.HTTPAddr(), c: &http.Client{Jar: jar}}
}

func (s *stationClient) post(path string, body any) (int, string, http.Header) {
	s.t.Helper()
	return s.send(http.MethodPost, path, body)
}

func (s *stationClient) send(method, path string, body any) (int, string, http.Header) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", s.base)
	res, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out), res.Header
}

func (s *stationClient) get(path string) (int, string) {
	s.t.Helper()
	return get(s.t, s.c, s.base+path)
}

func (s *stationClient) must(path string, body any, want string) string {
	s.t.Helper()
	code, out, _ := s.post(path, body)
	if code != 200 || !strings.Contains(out, want) {
		s.t.Fatalf("POST %s: %d %s (want %q)", path, code, out, want)
	}
	return out
}

// TestManualReportingCompletesAnOrderOnL2: the demo's L2 has no PLC. An
// operator signs in at ST-L2 with a badge, starts WO-1005-10, reports good
// and scrap by hand (a retry is one report), reports a breakdown with a
// reason from the reason tree, which opens machine_down after the grace
// and a breakdown interval with that reason exactly as a machine's signal
// would, ends it (the exception resolves), reports the rest and completes
// the order — on SQLite and PostgreSQL.
func TestManualReportingCompletesAnOrderOnL2(t *testing.T) {
	onBackends(t, func(t *testing.T, backend func(*Config)) {
		start := time.Now().UTC().Truncate(time.Second)
		clock := &fakeClock{t: start}
		a := startApp(t, backend, func(c *Config) {
			c.DemoStart = start.Add(-time.Minute)
			c.ExceptionsNow = clock.Now
			c.Exceptions.Poll = time.Hour
			c.Planning.Auto = false
			c.Reports.Reasons = oee.ReasonMap{"31": {Text: "Electrical fault", Category: "Electrical"}, "82": {Text: "Break", Category: "Planned", Planned: true}}
		})
		ctx := context.Background()
		op := newStationClient(t, a)
		super := signIn(t, op.base, "super", "super-demo")
		op.must("/api/v1/stations/ST-L2/scan", map[string]string{"code": "B-1001"}, "signed in")
		op.must("/api/v1/stations/ST-L2/scan", map[string]string{"code": "WO-1005-10", "client_id": "s1"}, "started WO-1005-10")

		// Good and scrap; the retry (same client id) is the first's answer and one event.
		out := map[string]any{"work_order": "WO-1005-10", "good": 120, "scrap": 3, "reason": "cracked pad", "client_id": "r1"}
		op.must("/api/v1/stations/ST-L2/output", out, "reported 120 good and 3 scrap (cracked pad)")
		code, body, h := op.post("/api/v1/stations/ST-L2/output", out)
		if code != 200 || h.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %d %s %v", code, body, h)
		}
		w, err := a.Store().GetWorkOrder(ctx, "WO-1005-10")
		if err != nil || w.Good != 120 || w.Reject != 3 {
			t.Fatalf("after a report and its retry: %+v %v", w, err)
		}
		// Scrap without a reason, and a work order of another line, are refused.
		if code, body, _ := op.post("/api/v1/stations/ST-L2/output", map[string]any{"work_order": "WO-1005-10", "scrap": 1, "client_id": "r2"}); code != 400 || !strings.Contains(body, `"field":"reason"`) {
			t.Errorf("scrap without reason: %d %s", code, body)
		}
		if code, body, _ := op.post("/api/v1/stations/ST-L2/output", map[string]any{"work_order": "WO-1001-10", "good": 1, "client_id": "r3"}); code != 409 || !strings.Contains(body, "runs on line L1") {
			t.Errorf("other line: %d %s", code, body)
		}
		// The dashboard's line and the raw events see it as a count.
		if _, lines := op.get("/api/v1/lines"); !strings.Contains(lines, `"good":120`) {
			t.Errorf("lines: %s", lines)
		}
		if _, evs := get(t, super, op.base+"/api/v1/events?line=L2&type=count"); strings.Count(evs, `"counter":"manual ST-L2","good":120,"reject":3`) != 1 {
			t.Errorf("count events of L2: %s", evs)
		}

		// A breakdown with a reason from the tree.
		if _, rs := op.get("/api/v1/stations/ST-L2/reasons"); !strings.Contains(rs, `"text":"Electrical fault"`) {
			t.Errorf("reasons: %s", rs)
		}
		if code, body, _ := op.post("/api/v1/stations/ST-L2/stop", map[string]any{"reason": "99", "client_id": "d0"}); code != 400 || !strings.Contains(body, `"field":"reason"`) {
			t.Errorf("unknown reason: %d %s", code, body)
		}
		op.must("/api/v1/stations/ST-L2/stop", map[string]any{"reason": "31", "client_id": "d1"}, "line L2 down: Electrical fault")
		downAt := time.Now()
		clock.Set(downAt.Add(3 * time.Minute))
		var down []domain.Exception
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if err := a.Exceptions().Evaluate(ctx); err != nil {
				t.Fatal(err)
			}
			down, err = a.Store().ListExceptions(ctx, domain.ExceptionFilter{Line: "L2", Kind: []domain.ExceptionKind{domain.ExceptionMachineDown}})
			if err != nil {
				t.Fatal(err)
			}
			if len(down) > 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(down) != 1 || down[0].WorkOrder != "WO-1005-10" || down[0].Status != domain.ExceptionOpen {
			t.Fatalf("machine_down on L2: %+v", down)
		}
		if code, body, _ := op.post("/api/v1/stations/ST-L2/stop", map[string]any{"reason": "31", "client_id": "d2"}); code != 409 || !strings.Contains(body, "already down") {
			t.Errorf("second stop: %d %s", code, body)
		}
		op.must("/api/v1/stations/ST-L2/stop/end", map[string]any{"client_id": "u1"}, "line L2 running again")
		clock.Set(time.Now().Add(3 * time.Minute))
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if err := a.Exceptions().Evaluate(ctx); err != nil {
				t.Fatal(err)
			}
			down, _ = a.Store().ListExceptions(ctx, domain.ExceptionFilter{Line: "L2", Kind: []domain.ExceptionKind{domain.ExceptionMachineDown}})
			if (len(down) == 1 && down[0].Status == domain.ExceptionResolved) || time.Now().After(deadline) {
				break
			}
		}
		if len(down) != 1 || down[0].Status != domain.ExceptionResolved {
			t.Fatalf("machine_down after the stop ended: %+v", down)
		}
		// The downtime interval, as OEE counts it, carries the reason's text.
		from := start.Add(-time.Hour).Format(time.RFC3339)
		to := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if _, states := get(t, super, op.base+"/api/v1/lines/L2/states?from="+from+"&to="+to); !strings.Contains(states, "Electrical fault") {
			t.Errorf("states of L2: %s", states)
		}

		// The rest by hand, then complete: the order is done.
		op.must("/api/v1/stations/ST-L2/output", map[string]any{"work_order": "WO-1005-10", "good": 180, "client_id": "r4"}, "reported 180 good")
		op.must("/api/v1/stations/ST-L2/complete", map[string]any{"work_order": "WO-1005-10", "client_id": "c1"}, "order PO-1005 is complete")
		rec, err := a.Store().GetOrderRecord(ctx, "PO-1005")
		if err != nil || rec.Status != domain.StatusCompleted || rec.WorkOrders[0].Good != 300 || rec.WorkOrders[0].Reject != 3 {
			t.Fatalf("PO-1005: %+v %v", rec, err)
		}
		// Every report is audited with who made it.
		audit, err := a.Store().ListAudit(ctx, domain.AuditFilter{Entity: "work_order", EntityID: "WO-1005-10"})
		if err != nil {
			t.Fatal(err)
		}
		var reports []string
		for _, e := range audit {
			if strings.HasPrefix(e.Action, "report_") {
				reports = append(reports, e.Action+" by "+e.Actor)
			}
		}
		if got := strings.Join(reports, ", "); strings.Count(got, "report_output by op1") != 2 || !strings.Contains(got, "report_stop by op1") || !strings.Contains(got, "report_stop_end by op1") {
			t.Errorf("audit: %s", got)
		}
	})
}
