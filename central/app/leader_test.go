package app

import (
	"bufio"
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/edge/wire"
)

// leaders is which of rs lead now.
func leaders(rs []*App) []int {
	var out []int
	for i, r := range rs {
		if r.Leading() {
			out = append(out, i)
		}
	}
	return out
}

// TestOneLeaderHandsOver: of three replicas exactly one runs the timed
// work; when it stops another takes over, and when a leader's connection
// is cut (its server backend terminated, as when the network fails) it
// stops leading and the lock goes to one replica. Prints handover times.
func TestOneLeaderHandsOver(t *testing.T) {
	rs := startReplicas(t, 3)
	waitFor(t, "one leader", func() bool { return len(leaders(rs)) == 1 })
	first := leaders(rs)[0]
	for range 20 { // it stays one
		if n := len(leaders(rs)); n != 1 {
			t.Fatalf("%d leaders", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t0 := time.Now()
	stop(t, rs[first])
	rest := append(append([]*App{}, rs[:first]...), rs[first+1:]...)
	waitFor(t, "a new leader after the leader stopped", func() bool { return len(leaders(rest)) == 1 })
	t.Logf("handover after the leader stopped: %v", time.Since(t0).Round(time.Millisecond))

	// Cut the leader's connection at the server.
	second := leaders(rest)[0]
	db, err := sql.Open("pgx", pgtest.BaseDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 = time.Now()
	var n int
	if err := db.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE l.locktype = 'advisory' AND l.classid = $1 AND a.application_name = 'linewise-central-leader' AND l.granted`,
		leaderKey).Scan(&n); err != nil || n == 0 {
		t.Fatalf("terminating the leader's connection: %d, %v", n, err)
	}
	cut := rest[second].lead.pid.Load()
	waitFor(t, "one leader after the cut, holding the lock on a live connection", func() bool {
		ls := leaders(rest)
		if len(ls) != 1 || rest[ls[0]].lead.pid.Load() == cut {
			return false
		}
		var holder uint32
		err := db.QueryRow(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = hashtext($2)::oid AND granted`,
			leaderKey, schemaOf(t, rest[0])).Scan(&holder)
		return err == nil && holder == rest[ls[0]].lead.pid.Load()
	})
	t.Logf("one leader again after its connection was cut: %v (replica %d leads)", time.Since(t0).Round(time.Millisecond), leaders(rest)[0])
}

// sse reads a server-sent-events stream into (event, data) pairs.
func sse(t *testing.T, c *http.Client, url string) <-chan [2]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	out := make(chan [2]string, 256)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		var ev string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				select {
				case out <- [2]string{ev, strings.TrimPrefix(line, "data: ")}:
				default: // a slow test drops; the next snapshot follows
				}
			}
		}
	}()
	return out
}

// await reads the stream until an event of kind whose data holds want.
func await(t *testing.T, ch <-chan [2]string, kind, want string) time.Time {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before %s with %q", kind, want)
			}
			if m[0] == kind && strings.Contains(m[1], want) {
				return time.Now()
			}
		case <-deadline:
			t.Fatalf("no %s event with %q within 15s", kind, want)
		}
	}
}

// TestLiveUpdatesReachEveryReplica: a browser on replica B sees an
// exception raised on replica A (exceptions are pushed only when they
// change, so without the fan-out B would never send it) and counts A
// ingested; after B's LISTEN connection is cut, what A did meanwhile
// reaches B by the catch-up read on reconnect.
func TestLiveUpdatesReachEveryReplica(t *testing.T) {
	rs := startReplicas(t, 2, withEdges)
	a, b := "http://"+rs[0].HTTPAddr(), "http://"+rs[1].HTTPAddr()
	c := jarClient()
	if code, body := send(t, c, "POST", a+"/api/v1/login", `{"username":"super","password":"super-demo"}`); code != 200 {
		t.Fatalf("login: %d %s", code, body)
	}
	stream := sse(t, c, b+"/api/v1/stream")
	await(t, stream, "exceptions", "[")

	t0 := time.Now()
	if code, body := send(t, c, "POST", a+"/api/v1/exceptions", `{"line":"L1","detail":"blanks run out (replica A)"}`); code != 201 && code != 200 {
		t.Fatalf("raise on A: %d %s", code, body)
	}
	t.Logf("exception raised on A reached B's stream after %v", await(t, stream, "exceptions", "blanks run out (replica A)").Sub(t0).Round(time.Millisecond))

	e := &excEnv{t: t, a: rs[0]}
	t0 = time.Now()
	e.send(countAt(time.Now().UTC(), 777, 0))
	t.Logf("a count ingested by A reached B's stream after %v", await(t, stream, "lines", `777`).Sub(t0).Round(time.Millisecond))

	// Cut B's (and A's) LISTEN connections; raise at once, while nobody listens.
	db, err := sql.Open("pgx", pgtest.BaseDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'linewise-central-live'
		AND query ILIKE 'LISTEN "linewise_live_' || $1 || '%'`, schemaOf(t, rs[0])).Scan(&n); err != nil || n == 0 {
		t.Fatalf("terminating the LISTEN connections: %d, %v", n, err)
	}
	if code, body := send(t, c, "POST", a+"/api/v1/exceptions", `{"line":"L2","detail":"no film on L2 (while B was away)"}`); code != 201 && code != 200 {
		t.Fatalf("raise on A: %d %s", code, body)
	}
	await(t, stream, "exceptions", "no film on L2 (while B was away)")
}

func schemaOf(t *testing.T, a *App) string {
	t.Helper()
	var s string
	if err := a.Store().Handle().Read().QueryRow(context.Background(), `SELECT current_schema()`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func countAt(at time.Time, good, reject int64) wire.Event {
	return wire.Event{Type: wire.TypeCount, SourceTime: at, Count: &wire.Count{Counter: "parts", Good: good, Reject: reject, Raw: uint64(good)}}
}
