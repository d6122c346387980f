package app

import (
	"bytes"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/edge/wire"
)

const demoToken = "demo-edge-L1-token"

func withEdges(c *Config) {
	c.Edges = []EdgeConfig{{ID: "edge-L1", Token: demoToken, Lines: []string{"L1"}}}
	c.MQTT.Embedded.AnonymousTopics = []string{"linesim/#"}
}

// TestEdgeAuthEndToEnd runs central with edges configured: the embedded
// broker refuses anonymous and wrong-token edges, the configured edge
// delivers over MQTT and over HTTPS (counted once across both), a batch
// for a line it does not own is refused, and /metrics reports it all.
func TestEdgeAuthEndToEnd(t *testing.T) {
	a := startApp(t, withEdges)

	for _, tt := range []struct{ name, user, pass string }{
		{"anonymous", "", ""}, {"wrong token", "edge-L1", "not-the-token-at-all"},
	} {
		c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + a.BrokerAddr()).SetClientID("intruder").
			SetUsername(tt.user).SetPassword(tt.pass).SetAutoReconnect(false))
		if tok := c.Connect(); tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
			// An anonymous client is let in for linesim/# only: it must not
			// reach edge topics.
			if tt.user != "" {
				t.Errorf("%s: connected", tt.name)
			}
			sub := c.Subscribe(wire.AckTopic("edge-L1"), 1, func(paho.Client, paho.Message) {})
			sub.WaitTimeout(5 * time.Second)
			if r := sub.(*paho.SubscribeToken).Result()[wire.AckTopic("edge-L1")]; r < 0x80 {
				t.Errorf("%s: subscribed to edge-L1's acks", tt.name)
			}
			c.Disconnect(50)
		}
	}

	e := newEdge(t, a.BrokerAddr(), "edge-L1", demoToken)
	if ack := e.publish("edge-L1", edgeBatch(t, "edge-L1", "L1", 1, 4, 6)); !reflect.DeepEqual(ack, wire.Ack{EdgeID: "edge-L1", From: 1, To: 2}) {
		t.Fatalf("ack = %+v", ack)
	}
	if ack := e.publish("edge-L1", edgeBatch(t, "edge-L1", "L2", 3, 5)); len(ack.Rejected) != 1 || ack.Rejected[0].Seq != 3 || !strings.Contains(ack.Rejected[0].Reason, `"L2"`) {
		t.Fatalf("ack for line L2 = %+v, want event 3 rejected naming L2", ack)
	}

	// The same batch again over HTTPS: acknowledged, not counted again.
	post := func(token string, body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+a.HTTPAddr()+"/api/v1/ingest", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := post(demoToken, edgeBatch(t, "edge-L1", "L1", 1, 4, 6)); code != 200 || !strings.Contains(body, `"to":2`) {
		t.Fatalf("HTTPS resend: %d %s", code, body)
	}
	if code, body := post(demoToken, edgeBatch(t, "edge-L1", "L1", 3, 5)); code != 200 || !strings.Contains(body, `"from":3,"to":3`) {
		t.Fatalf("HTTPS new batch: %d %s", code, body)
	}
	if code, _ := post("wrong-token-wrong-token", edgeBatch(t, "edge-L1", "L1", 4, 1)); code != 401 {
		t.Fatalf("HTTPS with a wrong token: %d, want 401", code)
	}
	if l := l1(t, a); l.Good != 15 {
		t.Fatalf("L1 good = %d, want 15 (4+6 once, then 5)", l.Good)
	}

	res, err := http.Get("http://" + a.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	m, _ := io.ReadAll(res.Body)
	for _, want := range []string{
		"linewise_ingest_batches_received_total 4",
		"linewise_ingest_events_applied_total 3",
		"linewise_ingest_events_duplicate_total 2",
		"linewise_ingest_batches_refused_total 0",
		"linewise_ingest_events_rejected_total 1",
		"linewise_ingest_batches_malformed_total 0",
		"linewise_ingest_store_errors_total 0",
		`linewise_ingest_edge_last_seq{edge="edge-L1"} 3`,
		"linewise_ingest_batch_commit_seconds_count 3",
		"linewise_live_clients 0",
		"linewise_live_clients_dropped_total 0",
		"go_goroutines",
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
