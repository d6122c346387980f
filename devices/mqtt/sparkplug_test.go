package mqtt

import (
	"context"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/internal/peers"
	"github.com/linewise/linewise/devices/linesim"
	"github.com/linewise/linewise/devices/mqtt/sparkplug"
)

// edgeNode plays a Sparkplug edge node: it publishes payloads and collects
// the NCMDs the host sends it.
type edgeNode struct {
	t    *testing.T
	c    paho.Client
	ncmd chan sparkplug.Payload
}

func newEdgeNode(t *testing.T, broker, group, edge string) *edgeNode {
	t.Helper()
	e := &edgeNode{t: t, ncmd: make(chan sparkplug.Payload, 16)}
	e.c = paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID("edge-" + edge))
	if tok := e.c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("edge node connect: %v", tok.Error())
	}
	t.Cleanup(func() { e.c.Disconnect(100) })
	topic := sparkplug.Topic{Group: group, Type: sparkplug.NCMD, EdgeNode: edge}.String()
	tok := e.c.Subscribe(topic, 0, func(_ paho.Client, m paho.Message) {
		p, err := sparkplug.Unmarshal(m.Payload())
		if err != nil {
			t.Errorf("NCMD does not decode: %v", err)
			return
		}
		e.ncmd <- p
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("edge node subscribe: %v", tok.Error())
	}
	return e
}

func (e *edgeNode) send(topic string, p sparkplug.Payload) {
	e.t.Helper()
	b, err := sparkplug.Marshal(p)
	if err != nil {
		e.t.Fatal(err)
	}
	e.sendRaw(topic, b)
}

func (e *edgeNode) sendRaw(topic string, b []byte) {
	e.t.Helper()
	if tok := e.c.Publish(topic, 0, false, b); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		e.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func (e *edgeNode) wantRebirth(within time.Duration) {
	e.t.Helper()
	select {
	case p := <-e.ncmd:
		if len(p.Metrics) != 1 || p.Metrics[0].Name != sparkplug.RebirthMetric || p.Metrics[0].Value != true {
			e.t.Fatalf("NCMD is not a rebirth request: %+v", p)
		}
	case <-time.After(within):
		e.t.Fatalf("no rebirth request within %v", within)
	}
}

func (e *edgeNode) noRebirth(within time.Duration) {
	e.t.Helper()
	select {
	case p := <-e.ncmd:
		e.t.Fatalf("unexpected NCMD %+v", p)
	case <-time.After(within):
	}
}

func spPayload(seq uint64, metrics ...sparkplug.Metric) sparkplug.Payload {
	return sparkplug.Payload{Timestamp: uint64(time.Now().UnixMilli()), Seq: seq, HasSeq: true, Metrics: metrics}
}

func want(t *testing.T, ch <-chan devices.Reading, signal string, q devices.Quality, v any, errHas string) {
	t.Helper()
	r := next(t, ch)
	if r.Signal != signal || r.Quality != q || (v != nil && r.Value != v) {
		t.Fatalf("got %s %v %#v (err %v); want %s %v %#v", r.Signal, r.Quality, r.Value, r.Err, signal, q, v)
	}
	if errHas != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), errHas)) {
		t.Fatalf("%s: err %v, want it to mention %q", signal, r.Err, errHas)
	}
}

func quietFor(t *testing.T, ch <-chan devices.Reading, d time.Duration) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("unexpected reading %+v", r)
	case <-time.After(d):
	}
}

// One edge node with a device, through BIRTH, aliased DATA, a seq gap
// (rebirth request, Uncertain until the new BIRTH), DDEATH, a stale and a
// current NDEATH, and a payload that does not decode.
func TestSparkplugHost(t *testing.T) {
	_, url, _ := startBroker(t)
	sparkplugHost(t, url)
}

// The same against Mosquitto.
func TestPeerMosquittoSparkplugHost(t *testing.T) {
	sparkplugHost(t, peers.URL(peers.Mosquitto(t)))
}

func sparkplugHost(t *testing.T, url string) {
	edge := newEdgeNode(t, url, "plant", "line1")
	cfg := NewConfig()
	cfg.Broker = url
	cfg.Signals = []Signal{
		{Name: "good", Payload: "sparkplug", Group: "plant", EdgeNode: "line1", Metric: "GoodCount"},
		{Name: "temp", Payload: "sparkplug", Group: "plant", EdgeNode: "line1", Device: "oven", Metric: "Temp"},
		{Name: "other", Payload: "sparkplug", Group: "plant", EdgeNode: "line2", Metric: "GoodCount"},
	}
	d, err := New("sp", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan devices.Reading, 100)
	if err := d.Start(context.Background(), func(r devices.Reading) { ch <- r }); err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background())

	// The host asks for a BIRTH as soon as it is subscribed.
	edge.wantRebirth(5 * time.Second)

	nb := sparkplug.Topic{Group: "plant", Type: sparkplug.NBIRTH, EdgeNode: "line1"}.String()
	nd := sparkplug.Topic{Group: "plant", Type: sparkplug.NDATA, EdgeNode: "line1"}.String()
	db := sparkplug.Topic{Group: "plant", Type: sparkplug.DBIRTH, EdgeNode: "line1", Device: "oven"}.String()
	dd := sparkplug.Topic{Group: "plant", Type: sparkplug.DDATA, EdgeNode: "line1", Device: "oven"}.String()
	ddeath := sparkplug.Topic{Group: "plant", Type: sparkplug.DDEATH, EdgeNode: "line1", Device: "oven"}.String()
	ndeath := sparkplug.Topic{Group: "plant", Type: sparkplug.NDEATH, EdgeNode: "line1"}.String()

	birth := func(good int64) sparkplug.Payload {
		return spPayload(0,
			sparkplug.Metric{Name: "bdSeq", DataType: sparkplug.UInt64, Value: uint64(3)},
			sparkplug.Metric{Name: "GoodCount", Alias: 1, HasAlias: true, DataType: sparkplug.UInt32, Value: good},
			sparkplug.Metric{Name: "Offset", Alias: 5, HasAlias: true, DataType: sparkplug.Int16, Value: int64(-1)})
	}
	edge.send(nb, birth(10))
	want(t, ch, "good", devices.Good, int64(10), "")
	edge.send(db, spPayload(1, sparkplug.Metric{Name: "Temp", Alias: 2, HasAlias: true, DataType: sparkplug.Float, Value: 20.5}))
	want(t, ch, "temp", devices.Good, 20.5, "")
	// DATA by alias only: resolved through the BIRTHs.
	edge.send(nd, spPayload(2, sparkplug.Metric{Alias: 1, HasAlias: true, Value: int64(11), DataType: sparkplug.UInt32}))
	want(t, ch, "good", devices.Good, int64(11), "")
	edge.send(dd, spPayload(3, sparkplug.Metric{Alias: 2, HasAlias: true, Value: 21.0, DataType: sparkplug.Float}))
	want(t, ch, "temp", devices.Good, 21.0, "")
	// seq wraps 255 → 0 without a gap.
	edge.send(nb, birth(12))
	want(t, ch, "good", devices.Good, int64(12), "")
	for s := uint64(1); s <= 256; s++ {
		edge.send(nd, spPayload(s%256, sparkplug.Metric{Alias: 5, HasAlias: true, Value: int64(-1), DataType: sparkplug.Int16}))
	}
	edge.noRebirth(300 * time.Millisecond)
	quietFor(t, ch, 100*time.Millisecond)

	// Gap: 0 was last, 2 comes. Every signal of the node turns Uncertain
	// (with its last value), the host asks for a rebirth, and data stays
	// Uncertain until the BIRTH.
	edge.send(nd, spPayload(2, sparkplug.Metric{Alias: 1, HasAlias: true, Value: int64(14), DataType: sparkplug.UInt32}))
	want(t, ch, "good", devices.Uncertain, int64(12), "seq gap: got 2 after 0")
	want(t, ch, "temp", devices.Uncertain, 21.0, "rebirth requested")
	want(t, ch, "good", devices.Uncertain, int64(14), "waiting for its rebirth")
	edge.wantRebirth(5 * time.Second)
	edge.send(nd, spPayload(4, sparkplug.Metric{Alias: 1, HasAlias: true, Value: int64(15), DataType: sparkplug.UInt32}))
	want(t, ch, "good", devices.Uncertain, int64(15), "")
	edge.noRebirth(300 * time.Millisecond) // not again within rebirthEvery
	edge.send(nb, birth(16))
	want(t, ch, "good", devices.Good, int64(16), "")
	edge.send(db, spPayload(1, sparkplug.Metric{Name: "Temp", Alias: 2, HasAlias: true, DataType: sparkplug.Float, Value: 22.0}))
	want(t, ch, "temp", devices.Good, 22.0, "")

	// DDEATH: the device's signals are Bad; the node's are not touched.
	edge.send(ddeath, spPayload(2))
	want(t, ch, "temp", devices.Bad, nil, "DDEATH")
	quietFor(t, ch, 100*time.Millisecond)

	// An NDEATH of an older session (other bdSeq) is ignored; the current one
	// makes every signal of the node Bad.
	edge.send(ndeath, sparkplug.Payload{Metrics: []sparkplug.Metric{{Name: "bdSeq", DataType: sparkplug.UInt64, Value: uint64(2)}}})
	quietFor(t, ch, 200*time.Millisecond)
	edge.send(ndeath, sparkplug.Payload{Metrics: []sparkplug.Metric{{Name: "bdSeq", DataType: sparkplug.UInt64, Value: uint64(3)}}})
	want(t, ch, "good", devices.Bad, nil, "NDEATH")
	want(t, ch, "temp", devices.Bad, nil, "NDEATH")

	// Garbage on a node topic: Bad readings naming the problem.
	edge.send(nb, birth(17))
	want(t, ch, "good", devices.Good, int64(17), "")
	edge.sendRaw(nd, []byte{0x12, 0x05, 0x0a})
	want(t, ch, "good", devices.Bad, nil, "does not decode")
	want(t, ch, "temp", devices.Bad, nil, "does not decode")
}

// Config checks for Sparkplug signals.
func TestSparkplugConfig(t *testing.T) {
	cfg := NewConfig()
	cfg.Broker = "tcp://127.0.0.1:1"
	cfg.Signals = []Signal{
		{Name: "a", Payload: "sparkplug", Group: "g/x", EdgeNode: "", Metric: "", Topic: "t"},
		{Name: "b", Topic: "x/y", Metric: "m"},
	}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("bad sparkplug config validated")
	}
	for _, w := range []string{"signals[0].topic", "signals[0].group", "signals[0].edge_node: required", "signals[0].metric: required", "signals[1].metric: only applies to payload: sparkplug"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("errors lack %q:\n%v", w, err)
		}
	}
}

// The simulator as a Sparkplug edge node: the driver, started after it,
// asks for a rebirth, then follows NDATA by alias to the line's truth; the
// simulator's NDEATH on stop makes the readings Bad.
func TestLinesimSparkplug(t *testing.T) {
	_, url, _ := startBroker(t)
	sim, err := linesim.New(linesim.Config{Seed: 5, Speed: 100, HTTP: "127.0.0.1:0",
		MQTT:  linesim.MQTTConfig{Broker: url, ClientID: "linesim-sp", Sparkplug: true},
		Lines: []linesim.LineConfig{{ID: "L1", IdealCycle: time.Second, ScrapRate: 0.2}}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			sim.Stop(context.Background())
		}
	}()
	time.Sleep(500 * time.Millisecond) // its NBIRTH is gone by the time we subscribe

	cfg := NewConfig()
	cfg.Broker = url
	for _, m := range []string{"GoodCount", "RejectCount", "State"} {
		cfg.Signals = append(cfg.Signals, Signal{Name: m, Payload: "sparkplug", Group: linesim.SparkplugGroup, EdgeNode: "L1", Metric: m})
	}
	d, err := New("spsim", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan devices.Reading, 1000)
	if err := d.Start(context.Background(), func(r devices.Reading) { ch <- r }); err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background())

	time.Sleep(500 * time.Millisecond)
	truth, err := sim.StopLine("L1")
	if err != nil || truth.Made == 0 {
		t.Fatalf("stop: %+v %v", truth, err)
	}
	want := map[string]any{"GoodCount": int64(truth.GoodCounter), "RejectCount": int64(truth.RejectCounter), "State": int64(0)}
	got := map[string]any{}
	deadline := time.After(10 * time.Second)
	for got["GoodCount"] != want["GoodCount"] || got["RejectCount"] != want["RejectCount"] || got["State"] != want["State"] {
		select {
		case r := <-ch:
			// Data that races the rebirth comes Uncertain; the truth must
			// arrive Good.
			if r.Quality == devices.Good {
				got[r.Signal] = r.Value
			} else {
				got[r.Signal] = nil
			}
		case <-deadline:
			t.Fatalf("got %v, want %v", got, want)
		}
	}

	stopped = true
	if err := sim.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	bad := map[string]bool{}
	deadline = time.After(5 * time.Second)
	for len(bad) < 3 {
		select {
		case r := <-ch:
			if r.Quality == devices.Bad && strings.Contains(r.Err.Error(), "NDEATH") {
				bad[r.Signal] = true
			}
		case <-deadline:
			t.Fatalf("no NDEATH Bad readings after the simulator stopped: %v", bad)
		}
	}
}
