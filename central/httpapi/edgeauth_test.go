package httpapi

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/linewise/linewise/central/ingest"
	"github.com/linewise/linewise/central/live"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/throttle"
)

// Wrong edge tokens at the heartbeat and at ingest are throttled per
// claimed edge id and per address, with a metric per lockout; the edge
// itself keeps working from its own address.
func TestEdgeTokensThrottled(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	edges := ingest.NewEdges([]ingest.Edge{
		{ID: "edge-L1", TokenSHA256: sha256.Sum256([]byte(tokenL1)), Lines: []string{"L1"}},
		{ID: "edge-L2", TokenSHA256: sha256.Sum256([]byte(tokenL2)), Lines: []string{"L2"}},
	})
	in := ingest.New(ingest.Config{Edges: edges}, nil, nil, log)
	guard := throttle.NewEdgeGuard(throttle.Config{MaxFailures: 3, IPMaxFailures: 10, Window: time.Hour}, nil, log)
	reg := prometheus.NewRegistry()
	reg.MustRegister(guard)
	st, err := store.Open(context.Background(), store.DriverSQLite, store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	api := New(Options{Store: st, Hub: live.New(4), Log: log, Ingest: in, Metrics: reg, EdgeGuard: guard})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { api.CloseStreams(); srv.Close() })

	post := func(path, token, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	heartbeat := func(edge, token string) int {
		return post("/api/v1/edges/"+edge+"/heartbeat", token, `{"edge_id":"`+edge+`","status":"online"}`).StatusCode
	}
	step := func(name string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %d, want %d", name, got, want)
		}
	}
	step("edge-L1 heartbeat with its token", heartbeat("edge-L1", tokenL1), http.StatusNoContent)
	for i := 0; i < 3; i++ {
		step("a wrong token for edge-L2", heartbeat("edge-L2", "wrong-token-000000000"), http.StatusUnauthorized)
	}
	res := post("/api/v1/edges/edge-L2/heartbeat", "wrong-token-000000000", "{}")
	step("edge-L2 locked out", res.StatusCode, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	step("edge-L2's own token while its id is locked out (never seen from here)", heartbeat("edge-L2", tokenL2), http.StatusTooManyRequests)
	for i := 0; i < 5; i++ {
		step("a wrong token for edge-L1", heartbeat("edge-L1", "wrong-token-000000000"), http.StatusUnauthorized)
	}
	step("edge-L1 from its own address after others failed under its name", heartbeat("edge-L1", tokenL1), http.StatusNoContent)
	// 8 failures from this address so far; 2 more at ingest lock it out.
	for i := 0; i < 2; i++ {
		step("ingest with a wrong token", post("/api/v1/ingest", "wrong-token-000000000", `{"v":1,"edge_id":"edge-L1"}`).StatusCode, http.StatusUnauthorized)
	}
	step("ingest from a locked-out address", post("/api/v1/ingest", tokenL1, `{"v":1,"edge_id":"edge-L1"}`).StatusCode, http.StatusTooManyRequests)

	lockouts := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "linewise_edge_auth_lockouts_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			lockouts[label(m, "via")+"/"+label(m, "kind")] = m.GetCounter().GetValue()
		}
	}
	if lockouts["https/edge"] != 1 || lockouts["https/ip"] != 1 {
		t.Errorf("lockouts %v, want one of edge-L2 and one of the address", lockouts)
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
