package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/edge/wire"
)

// TestBenchReplicaLivePush (LINEWISE_BENCH=1): 1,000 dashboards
// (LINEWISE_BENCH_STREAMS) spread over three replicas on one PostgreSQL;
// a supervisor raises an exception on replica A and each stream's time to
// see it is taken (API call to browser: A commits, NOTIFY, the others read
// and push). Prints p50/p99/max over every stream and round, per replica
// (A serves its own streams without the fan-out: its figure is the
// baseline), and the heap per open stream (server and test client together,
// in one process).
func TestBenchReplicaLivePush(t *testing.T) {
	if os.Getenv("LINEWISE_BENCH") != "1" {
		t.Skip("set LINEWISE_BENCH=1")
	}
	streams := 1000
	if v, err := strconv.Atoi(os.Getenv("LINEWISE_BENCH_STREAMS")); err == nil && v > 0 {
		streams = v
	}
	const rounds = 20
	rs := startReplicas(t, 3)
	c := jarClient()
	c.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	base := func(i int) string { return "http://" + rs[i].HTTPAddr() }
	if code, body := send(t, c, "POST", base(0)+"/api/v1/login", `{"username":"super","password":"super-demo"}`); code != 200 {
		t.Fatalf("login: %d %s", code, body)
	}
	type arrival struct {
		replica, round int
		at             time.Time
	}
	arrivals := make(chan arrival, streams*rounds)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var ready sync.WaitGroup
	for s := range streams {
		r := s % 3
		ready.Add(1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base(r)+"/api/v1/stream", nil)
			res, err := c.Do(req)
			if err != nil || res.StatusCode != 200 {
				ready.Done()
				return
			}
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			sc.Buffer(make([]byte, 0, 4<<10), 1<<22)
			first := true
			seen := map[int]bool{}
			for sc.Scan() {
				line := sc.Text()
				if first && strings.HasPrefix(line, "event: exceptions") {
					first = false
					ready.Done()
				}
				if !strings.HasPrefix(line, "data: ") || !strings.Contains(line, "bench-round-") {
					continue
				}
				now := time.Now()
				for k := range rounds {
					if !seen[k] && strings.Contains(line, fmt.Sprintf("bench-round-%d\"", k)) {
						seen[k] = true
						arrivals <- arrival{r, k, now}
					}
				}
			}
		}()
	}
	ready.Wait()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	perStream := float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / float64(streams) / 1024

	lat := [3][]time.Duration{}
	for k := range rounds {
		t0 := time.Now()
		code, body := send(t, c, "POST", base(0)+"/api/v1/exceptions", fmt.Sprintf(`{"line":"L1","detail":"bench-round-%d"}`, k))
		if code != 201 && code != 200 {
			t.Fatalf("raise: %d %s", code, body)
		}
		got := 0
		timeout := time.After(30 * time.Second)
		for got < streams {
			select {
			case a := <-arrivals:
				if a.round == k {
					lat[a.replica] = append(lat[a.replica], a.at.Sub(t0))
					got++
				}
			case <-timeout:
				t.Fatalf("round %d: %d of %d streams saw the exception", k, got, streams)
			}
		}
		var x struct {
			ID string `json:"id"`
		}
		json.Unmarshal([]byte(body), &x)
		if code, body := send(t, c, "POST", base(0)+"/api/v1/exceptions/"+x.ID+"/resolve", `{"note":"bench"}`); code != 200 {
			t.Fatalf("resolve %s: %d %s", x.ID, code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(p*float64(len(ds))))]
	}
	var all []time.Duration
	for r := range 3 {
		all = append(all, lat[r]...)
		what := "via LISTEN/NOTIFY"
		if r == 0 {
			what = "the raising replica itself (baseline)"
		}
		fmt.Printf("replica %d, %s: %d arrivals, p50 %v, p99 %v, max %v\n", r, what, len(lat[r]),
			pct(lat[r], 0.5).Round(100*time.Microsecond), pct(lat[r], 0.99).Round(100*time.Microsecond), pct(lat[r], 1).Round(100*time.Microsecond))
	}
	fmt.Printf("%d streams over 3 replicas, %d rounds: event-to-browser p50 %v, p99 %v, max %v; heap per open stream %.1f KiB (server and client)\n",
		streams, rounds, pct(all, 0.5).Round(100*time.Microsecond), pct(all, 0.99).Round(100*time.Microsecond), pct(all, 1).Round(100*time.Microsecond), perStream)
}

// TestBenchReplicaIngest (LINEWISE_BENCH=1): one edge's batches (500
// count events each, 8 in flight like an edge's window) through a real
// Mosquitto into one central, then into three replicas sharing the
// subscription, on one PostgreSQL; events/s from the first publish to the
// last ack. On two cores the point is the overhead of replication, not a
// speed-up: both figures and their ratio are printed.
func TestBenchReplicaIngest(t *testing.T) {
	if os.Getenv("LINEWISE_BENCH") != "1" {
		t.Skip("set LINEWISE_BENCH=1")
	}
	broker := startMosquittoForTest(t)
	const batches, size, window = 100, 500, 8
	rate := map[int]float64{}
	for _, n := range []int{1, 3} {
		i := 0
		rs := startReplicas(t, n, withEdges, func(c *Config) {
			i++
			c.MQTT.Embedded.Enabled = false
			c.MQTT.BrokerURL = "tcp://" + broker
			c.MQTT.ClientID = fmt.Sprintf("bench-central-%d-%d", n, i)
			c.MQTT.SharedGroup = fmt.Sprintf("bench%d", n)
			c.Planning.Auto = false
		})
		acked := make(chan uint64, batches)
		edge := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + broker).SetClientID(fmt.Sprintf("bench-edge-%d", n)))
		if tok := edge.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
		edge.Subscribe(wire.AckTopic("edge-L1"), 1, func(_ paho.Client, m paho.Message) {
			var a wire.Ack
			if json.Unmarshal(m.Payload(), &a) == nil {
				acked <- a.To
			}
		}).WaitTimeout(5 * time.Second)
		bodies := make([][]byte, batches)
		at := time.Now().UTC().Add(-time.Hour)
		for b := range batches {
			bt := wire.Batch{Version: wire.Version, EdgeID: "edge-L1"}
			for e := range size {
				seq := uint64(b*size + e + 1)
				bt.Events = append(bt.Events, wire.Event{EdgeID: "edge-L1", Line: "L1", Seq: seq, Type: wire.TypeCount,
					SourceTime: at.Add(time.Duration(seq) * time.Millisecond), Count: &wire.Count{Counter: "parts", Good: 1, Raw: seq}})
			}
			bodies[b], _ = json.Marshal(bt)
		}
		t0 := time.Now()
		sent, done := 0, 0
		for done < batches {
			for sent < batches && sent-done < window {
				edge.Publish(wire.EventsTopic("edge-L1"), 1, false, bodies[sent])
				sent++
			}
			select {
			case <-acked:
				done++
			case <-time.After(60 * time.Second):
				t.Fatalf("%d replicas: %d of %d batches acknowledged", n, done, batches)
			}
		}
		rate[n] = float64(batches*size) / time.Since(t0).Seconds()
		var per []int64
		for _, r := range rs {
			per = append(per, r.IngestStats().Received)
		}
		edge.Disconnect(50)
		fmt.Printf("%d replica(s): %.0f events/s (%d events; batches per replica %v)\n", n, rate[n], batches*size, per)
	}
	fmt.Printf("ingest with 3 replicas is %.2f× the rate of 1 on this machine\n", rate[3]/rate[1])
}
