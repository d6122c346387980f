package telemetry

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
)

type logLines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logLines) count(level string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), "level="+level+" ")
}

// databases lists InfluxDB 1.8's databases through its /query endpoint.
func databases(t *testing.T, base string) []string {
	t.Helper()
	resp, err := http.PostForm(base+"/query", url.Values{"q": {"SHOW DATABASES"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			Series []struct {
				Values [][]string `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	var dbs []string
	for _, r := range out.Results {
		for _, s := range r.Series {
			for _, v := range s.Values {
				dbs = append(dbs, v[0])
			}
		}
	}
	return dbs
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Against a real InfluxDB 1.8 with no database "plant_a": without
// create_bucket every write fails (counted, one WARN, nothing written); with
// it the writer sends CREATE DATABASE and the points arrive.
func TestCreateBucketInfluxDB18(t *testing.T) {
	base := startInfluxDB18(t)
	cfg := Config{URL: base, Bucket: "plant_a/autogen", BatchSize: 10, FlushInterval: 20 * time.Millisecond, RateInterval: time.Hour}
	readings := func(w *Writer, n int) {
		for i := range n {
			w.Reading("plc", devices.Reading{Signal: "good_total", Value: int64(i), Quality: devices.Good, SourceTime: time.Now().Add(-time.Duration(n-i) * time.Millisecond)})
		}
	}

	t.Run("off", func(t *testing.T) {
		logs := &logLines{}
		w := New(cfg, "edge-L1", "L1", slog.New(slog.NewTextHandler(logs, nil)))
		w.Start(context.Background())
		readings(w, 25)
		waitFor(t, "three failed writes", func() bool { return w.Stats.Failed.Load() >= 3 })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := w.Stop(ctx); err == nil || !strings.Contains(err.Error(), "database not found") {
			t.Errorf("Stop = %v, want the points not written because the database is missing", err)
		}
		if n := w.Stats.Written.Load(); n != 0 {
			t.Errorf("%d points written to a missing database", n)
		}
		if n := logs.count("WARN"); n != 1 {
			t.Errorf("%d WARN lines for %d failed writes, want 1:\n%s", n, w.Stats.Failed.Load(), logs.b.String())
		}
		if slices.Contains(databases(t, base), "plant_a") {
			t.Error("database plant_a created with create_bucket off")
		}
	})

	t.Run("on", func(t *testing.T) {
		on := cfg
		on.CreateBucket = true
		logs := &logLines{}
		w := New(on, "edge-L1", "L1", slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
		defer func() {
			if t.Failed() {
				t.Log(logs.b.String())
			}
		}()
		w.Start(context.Background())
		readings(w, 25)
		waitFor(t, "25 points written", func() bool { return w.Stats.Written.Load() == 25 })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(databases(t, base), "plant_a") {
			t.Fatalf("database plant_a not created; databases: %v", databases(t, base))
		}
		resp, err := http.PostForm(base+"/query", url.Values{"db": {"plant_a"}, "q": {`SELECT count("value") FROM "reading" WHERE "signal" = 'good_total'`}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Results []struct {
				Series []struct {
					Values [][]any `json:"values"`
				} `json:"series"`
			} `json:"results"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		if len(out.Results) == 0 || len(out.Results[0].Series) == 0 || out.Results[0].Series[0].Values[0][1] != float64(25) {
			t.Errorf("count of good_total points in plant_a: %+v, want 25", out)
		}
	})
}
