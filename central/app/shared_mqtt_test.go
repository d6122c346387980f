package app

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/edge/wire"
)

// startMosquittoForTest runs a real Mosquitto 2 on a free port (never
// 1883, which other tests' brokers and the plant's own may hold); without
// it the test skips, and fails with CI=true.
func startMosquittoForTest(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/mosquitto"); e == nil {
			bin, err = "/usr/sbin/mosquitto", nil
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mosquitto is not installed (CI=true: a missing service is a failure)")
		}
		t.Skip("mosquitto is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(conf, []byte("listener "+port+" 127.0.0.1\nallow_anonymous true\npersistence false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSharedSubscriptionSplitsBatchesOverMosquitto: two replicas on one
// PostgreSQL subscribe as mqtt.shared_group "central" on a real Mosquitto;
// an edge's 40 batches are each taken by one replica (both take some), every
// batch is acknowledged, the stored count is exactly the batches' sum, and
// both replicas hear the edge's status (statuses are not shared).
func TestSharedSubscriptionSplitsBatchesOverMosquitto(t *testing.T) {
	broker := startMosquittoForTest(t)
	i := 0
	rs := startReplicas(t, 2, withEdges, func(c *Config) {
		i++
		c.MQTT.Embedded.Enabled = false
		c.MQTT.BrokerURL = "tcp://" + broker
		c.MQTT.ClientID = fmt.Sprintf("linewise-central-%d", i)
		c.MQTT.SharedGroup = "central"
	})
	opts := paho.NewClientOptions().AddBroker("tcp://" + broker).SetClientID("linewise-edge-edge-L1").
		SetUsername("edge-L1").SetPassword(demoToken)
	edge := paho.NewClient(opts)
	if tok := edge.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("edge connect: %v", tok.Error())
	}
	defer edge.Disconnect(100)
	acked := make(chan uint64, 100)
	if tok := edge.Subscribe(wire.AckTopic("edge-L1"), 1, func(_ paho.Client, m paho.Message) {
		var a wire.Ack
		if json.Unmarshal(m.Payload(), &a) == nil {
			acked <- a.To
		}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("edge subscribe: %v", tok.Error())
	}
	status, _ := json.Marshal(map[string]any{"edge_id": "edge-L1", "status": "online", "version": "shared-v1"})
	edge.Publish(wire.StatusTopic("edge-L1"), 1, true, status).WaitTimeout(5 * time.Second)

	const batches = 40
	start := time.Now().UTC().Add(-time.Minute)
	for n := range batches {
		seq := uint64(n + 1)
		b := wire.Batch{Version: wire.Version, EdgeID: "edge-L1", Events: []wire.Event{{EdgeID: "edge-L1", Line: "L1", Seq: seq, Type: wire.TypeCount,
			SourceTime: start.Add(time.Duration(n) * time.Millisecond), Count: &wire.Count{Counter: "parts", Good: 3, Raw: seq * 3}}}}
		body, _ := json.Marshal(b)
		if tok := edge.Publish(wire.EventsTopic("edge-L1"), 1, false, body); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %d: %v", n, tok.Error())
		}
	}
	seen := map[uint64]bool{}
	timeout := time.After(20 * time.Second)
	for len(seen) < batches {
		select {
		case to := <-acked:
			seen[to] = true
		case <-timeout:
			t.Fatalf("%d of %d batches acknowledged", len(seen), batches)
		}
	}
	s0, s1 := rs[0].IngestStats(), rs[1].IngestStats()
	t.Logf("replica 0 took %d batches, replica 1 %d", s0.Received, s1.Received)
	if s0.Received+s1.Received != batches || s0.Received == 0 || s1.Received == 0 {
		t.Errorf("batches received: %d and %d; want %d between them, each some", s0.Received, s1.Received, batches)
	}
	if s0.Applied+s1.Applied != batches {
		t.Errorf("events applied: %d + %d, want %d", s0.Applied, s1.Applied, batches)
	}
	for k, r := range rs {
		waitFor(t, fmt.Sprintf("replica %d to hear the edge's status", k), func() bool {
			es := r.Liveness().List()
			return len(es) == 1 && es[0].Version == "shared-v1"
		})
	}
}
