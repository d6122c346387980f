package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// TestLivenessEdgeStalled: an edge whose heartbeats report a backlog while
// nothing new of it commits is shown stalled (not online) on GET
// /api/v1/edges and on its line, and edge_stalled opens for L1; a new event
// committing resolves it.
func TestLivenessEdgeStalled(t *testing.T) {
	a := startApp(t, withEdges, withLiveness, func(c *Config) { c.Exceptions.EdgeStalledAfter = time.Second })
	e := &excEnv{t: t, a: a}
	e.send(stateAt(time.Now().UTC(), wire.StateRunning, ""))

	depth := 0
	beat := func() {
		body := fmt.Sprintf(`{"edge_id":"edge-L1","status":"online","outbox_depth":%d,"oldest_unacked_s":%d}`, depth, 2*depth)
		req, _ := http.NewRequest(http.MethodPost, "http://"+a.HTTPAddr()+"/api/v1/edges/edge-L1/heartbeat", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+demoToken)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}
	stalledLine := func() *domain.EdgeStall {
		res, err := authGet(t, a, "/api/v1/lines")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var ls []struct {
			ID    string            `json:"id"`
			Stall *domain.EdgeStall `json:"edge_stalled"`
		}
		if err := json.NewDecoder(res.Body).Decode(&ls); err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if l.ID == "L1" {
				return l.Stall
			}
		}
		return nil
	}
	beat()
	if es := supervisorEdges(t, a); !es[0].Online || es[0].Stalled || es[0].OutboxDepth == nil || *es[0].OutboxDepth != 0 {
		t.Fatalf("edge with an empty outbox: %+v", es[0])
	}
	// Events wait at the edge; none arrive.
	depth = 40
	waitFor(t, "edge-L1 stalled on GET /api/v1/edges", func() bool {
		beat()
		es := supervisorEdges(t, a)
		return es[0].Stalled && !es[0].Online && es[0].Stall != nil && es[0].Stall.OutboxDepth == 40
	})
	if st := stalledLine(); st == nil || st.Edge != "edge-L1" || st.OutboxDepth != 40 {
		t.Errorf("L1 on /api/v1/lines: edge_stalled %+v", st)
	}
	waitFor(t, "edge_stalled open on L1", func() bool {
		xs := e.list(domain.ExceptionEdgeStalled)
		return len(xs) == 1 && xs[0].Status == domain.ExceptionOpen && strings.Contains(xs[0].Detail, "edge edge-L1 stalled")
	})
	// The backlog arrives: the stall ends and the exception resolves.
	e.send(stateAt(time.Now().UTC(), wire.StateRunning, ""))
	depth = 0
	beat()
	waitFor(t, "edge_stalled resolved by central", func() bool {
		xs := e.list(domain.ExceptionEdgeStalled)
		return len(xs) == 1 && xs[0].Status == domain.ExceptionResolved && xs[0].ResolvedBy == domain.SystemActor
	})
	if es := supervisorEdges(t, a); !es[0].Online || es[0].Stalled || es[0].LastCommit == nil {
		t.Errorf("edge after its events committed: %+v", es[0])
	}
	if st := stalledLine(); st != nil {
		t.Errorf("L1 still shows the stall: %+v", st)
	}
}
