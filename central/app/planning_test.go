package app

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigPlanning(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "central.yaml")
	body := `planning:
  budget: 500ms
  freeze_horizon: 2h
  shifts:
    - {start: "22:00", end: "06:00"}
  planned_stops:
    - {line: L1, start: 2026-03-03T06:00:00Z, end: 2026-03-03T10:00:00Z}
`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	pl := cfg.Planning
	if pl.Budget != 500*time.Millisecond || pl.FreezeHorizon != 2*time.Hour || len(pl.Shifts) != 1 || pl.Shifts[0].Start != "22:00" ||
		len(pl.PlannedStops) != 1 || pl.RepairTime != 30*time.Minute || !pl.Auto {
		t.Fatalf("planning config %+v", pl)
	}
	bad := "planning:\n  shifts:\n    - {start: \"25:00\", end: \"06:00\"}\n  budget: -1s\n"
	if err := os.WriteFile(p, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(p)
	if err == nil || !strings.Contains(err.Error(), "planning.shifts[0].start") || !strings.Contains(err.Error(), "planning.budget") {
		t.Fatalf("bad planning config: %v", err)
	}
}

func TestAppServesPlanner(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HTTP, cfg.DataDir, cfg.MQTT.Embedded.Listen = "127.0.0.1:0", t.TempDir(), "127.0.0.1:0"
	cfg.Planning.Poll = 50 * time.Millisecond
	a, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())
	for _, path := range []string{"/planner", "/api/v1/schedule", "/api/v1/schedule/proposals"} {
		res, err := authGet(t, a, path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
	}
	if a.Planning() == nil {
		t.Fatal("no planning service")
	}
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
