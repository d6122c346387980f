package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/edge/wire"
)

// startShippedMosquitto runs Mosquitto with configs/mosquitto (its
// mosquitto.conf and linewise.acl) on a free port, with a password file
// for central, edge-L1, edge-L2 and the simulator.
func startShippedMosquitto(t *testing.T, users map[string]string) *mosquitto {
	t.Helper()
	pw, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mosquitto_passwd is not installed (CI=true: a missing service is a failure)")
		}
		t.Skip("mosquitto_passwd is not installed")
	}
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "linewise.passwd")
	if err := os.WriteFile(pwFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for u, p := range users {
		if out, err := exec.Command(pw, "-b", pwFile, u, p).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd %s: %v\n%s", u, err, out)
		}
	}
	conf, err := os.ReadFile("../../configs/mosquitto/mosquitto.conf")
	if err != nil {
		t.Fatal(err)
	}
	acl, err := filepath.Abs("../../configs/mosquitto/linewise.acl")
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	var out []string
	for _, l := range strings.Split(string(conf), "\n") {
		switch {
		case l == "listener 1883":
			l = "listener " + port + " 127.0.0.1"
		case strings.HasPrefix(l, "password_file "):
			l = "password_file " + pwFile
		case strings.HasPrefix(l, "acl_file "):
			l = "acl_file " + acl
		case l == "persistence true":
			l = "persistence false"
		case strings.HasPrefix(l, "persistence_location "):
			continue
		}
		out = append(out, l)
	}
	if os.Geteuid() == 0 {
		// As root Mosquitto switches to user mosquitto, who cannot read
		// the test's private temporary directory.
		out = append(out, "user root")
	}
	m := &mosquitto{t: t, addr: addr, conf: filepath.Join(dir, "mosquitto.conf")}
	if err := os.WriteFile(m.conf, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("mosquitto"); err != nil {
		if _, e := os.Stat("/usr/sbin/mosquitto"); e != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("mosquitto is not installed (CI=true: a missing service is a failure)")
			}
			t.Skip("mosquitto is not installed")
		}
	}
	m.start()
	t.Cleanup(m.stop)
	return m
}

type mqttClient struct {
	c    paho.Client
	lost chan struct{}
	msgs chan string
}

func mqttDial(t *testing.T, addr, clientID, user, pass string) (*mqttClient, error) {
	t.Helper()
	mc := &mqttClient{lost: make(chan struct{}), msgs: make(chan string, 100)}
	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(clientID).SetUsername(user).SetPassword(pass).
		SetCleanSession(false).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).
		SetConnectionLostHandler(func(paho.Client, error) { close(mc.lost) }).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { mc.msgs <- m.Topic() + " " + string(m.Payload()) })
	mc.c = paho.NewClient(opts)
	tok := mc.c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, context.DeadlineExceeded
	}
	if tok.Error() != nil {
		return nil, tok.Error()
	}
	t.Cleanup(func() { mc.c.Disconnect(50) })
	return mc, nil
}

func (mc *mqttClient) publish(topic, payload string) error {
	tok := mc.c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(5 * time.Second) {
		return errors.New("no PUBACK")
	}
	return tok.Error()
}

func (mc *mqttClient) subscribe(t *testing.T, topics ...string) {
	t.Helper()
	filters := map[string]byte{}
	for _, f := range topics {
		filters[f] = 1
	}
	tok := mc.c.SubscribeMultiple(filters, nil)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %v: %v", topics, tok.Error())
	}
}

func (mc *mqttClient) next(t *testing.T) string {
	t.Helper()
	select {
	case m := <-mc.msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
		return ""
	}
}

// The Mosquitto configuration shipped in configs/mosquitto does what
// central's embedded broker does: no anonymous clients, a client id
// belongs to its credential (use_username_as_clientid), an edge publishes
// only its own batches and status and reads only its own acks.
func TestMosquittoACLConfig(t *testing.T) {
	m := startShippedMosquitto(t, map[string]string{
		"linewise-central": "central-secret-0123", "edge-L1": edgeToken, "edge-L2": "edge-L2-token-0123456789", "linesim": "linesim-0123456789",
	})
	central, err := mqttDial(t, m.addr, "linewise-central", "linewise-central", "central-secret-0123")
	if err != nil {
		t.Fatalf("central: %v", err)
	}
	central.subscribe(t, wire.EventsWildcard, wire.StatusWildcard)
	edge, err := mqttDial(t, m.addr, "linewise-edge-"+edgeID, edgeID, edgeToken)
	if err != nil {
		t.Fatalf("edge-L1 with its token: %v", err)
	}
	edge.subscribe(t, wire.AckTopic(edgeID))

	for _, tt := range []struct{ name, clientID, user, pass string }{
		{"anonymous with the edge's client id", "linewise-edge-" + edgeID, "", ""},
		{"anonymous with the edge's id", edgeID, "", ""},
		{"the edge's username with a wrong token", "linewise-edge-" + edgeID, edgeID, "wrong-token-0123456789"},
	} {
		if _, err := mqttDial(t, m.addr, tt.clientID, tt.user, tt.pass); err == nil {
			t.Errorf("%s: connected, want refused", tt.name)
		}
	}
	// Another edge claiming edge-L1's client id connects as itself: its
	// client id is its username, so edge-L1 keeps its session.
	other, err := mqttDial(t, m.addr, "linewise-edge-"+edgeID, "edge-L2", "edge-L2-token-0123456789")
	if err != nil {
		t.Fatalf("edge-L2: %v", err)
	}
	// Nor may it publish edge-L1's batches or status, or read its acks:
	// Mosquitto acknowledges and drops them.
	other.publish(wire.EventsTopic(edgeID), "forged")
	other.publish(wire.StatusTopic(edgeID), "forged")
	other.subscribe(t, wire.AckTopic(edgeID))
	sim, err := mqttDial(t, m.addr, "linesim-1", "linesim", "linesim-0123456789")
	if err != nil {
		t.Fatalf("linesim: %v", err)
	}
	sim.publish(wire.EventsTopic(edgeID), "forged")

	if err := edge.publish(wire.EventsTopic(edgeID), "real"); err != nil {
		t.Fatalf("edge-L1 publish after the others connected (was it kicked?): %v", err)
	}
	if got := central.next(t); got != wire.EventsTopic(edgeID)+" real" {
		t.Errorf("central's first message is %q, want edge-L1's own batch", got)
	}
	if err := central.publish(wire.AckTopic(edgeID), "ack"); err != nil {
		t.Fatal(err)
	}
	if got := edge.next(t); got != wire.AckTopic(edgeID)+" ack" {
		t.Errorf("edge-L1 got %q, want its ack", got)
	}
	select {
	case <-edge.lost:
		t.Error("edge-L1 was disconnected")
	default:
	}
	select {
	case got := <-other.msgs:
		t.Errorf("edge-L2 read %q", got)
	default:
	}
}

// The shipped ACL lets several central replicas (users linewise-central-1,
// -2, …) take the edges' batches as one shared subscription: each batch
// reaches exactly one of them.
func TestMosquittoACLSharedSubscription(t *testing.T) {
	m := startShippedMosquitto(t, map[string]string{
		"linewise-central-1": "central-1-secret-0123", "linewise-central-2": "central-2-secret-0123", "edge-L1": edgeToken})
	var cs []*mqttClient
	for i, pass := range []string{"central-1-secret-0123", "central-2-secret-0123"} {
		user := fmt.Sprintf("linewise-central-%d", i+1)
		c, err := mqttDial(t, m.addr, user, user, pass)
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		c.subscribe(t, "$share/central/"+wire.EventsWildcard)
		cs = append(cs, c)
	}
	edge, err := mqttDial(t, m.addr, "edge-L1", "edge-L1", edgeToken)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	for i := range n {
		if err := edge.publish(wire.EventsTopic("edge-L1"), fmt.Sprintf("batch-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int{}
	per := make([]int, len(cs))
	deadline := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case msg := <-cs[0].msgs:
			got[msg]++
			per[0]++
		case msg := <-cs[1].msgs:
			got[msg]++
			per[1]++
		case <-deadline:
			t.Fatalf("%d of %d batches reached a replica (per replica %v)", len(got), n, per)
		}
	}
	time.Sleep(300 * time.Millisecond) // a copy to the other replica would be here by now
	for len(cs[0].msgs)+len(cs[1].msgs) > 0 {
		select {
		case msg := <-cs[0].msgs:
			got[msg]++
		case msg := <-cs[1].msgs:
			got[msg]++
		}
	}
	for msg, k := range got {
		if k != 1 {
			t.Errorf("%q reached %d replicas, want 1", msg, k)
		}
	}
	if per[0] == 0 || per[1] == 0 {
		t.Errorf("batches per replica %v: the broker did not share them", per)
	}
}
