package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/devices/linesim"
	"github.com/linewise/linewise/edge/config"
)

// TestDeployConfigsLoad: every configuration configs/deploy ships passes
// the programs' own validation (what --check-config runs), the replicas
// share one database and shared group with a client id each, every edge
// the replicas list has its file with the matching line, and every file
// compose.yaml mounts exists.
func TestDeployConfigsLoad(t *testing.T) {
	dir := "../../configs/deploy"
	replicas, _ := filepath.Glob(filepath.Join(dir, "central-*.yaml"))
	if len(replicas) != 3 {
		t.Fatalf("central replicas configured: %v, want 3", replicas)
	}
	ids := map[string]bool{}
	var first app.Config
	for i, f := range replicas {
		cfg, err := app.LoadConfig(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if ids[cfg.MQTT.ClientID] {
			t.Errorf("%s: client_id %s taken by another replica", f, cfg.MQTT.ClientID)
		}
		ids[cfg.MQTT.ClientID] = true
		if cfg.Database.Driver != "postgres" || cfg.MQTT.SharedGroup == "" || cfg.MQTT.Username != cfg.MQTT.ClientID {
			t.Errorf("%s: driver %q, shared_group %q, username %q client_id %q", f, cfg.Database.Driver, cfg.MQTT.SharedGroup, cfg.MQTT.Username, cfg.MQTT.ClientID)
		}
		if i == 0 {
			first = cfg
			continue
		}
		if cfg.Database.DSN != first.Database.DSN || cfg.MQTT.SharedGroup != first.MQTT.SharedGroup || len(cfg.Edges) != len(first.Edges) {
			t.Errorf("%s differs from %s beyond the client id", f, replicas[0])
		}
	}
	for _, e := range first.Edges {
		f := filepath.Join(dir, e.ID+".yaml")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("edge %s listed by central: %v", e.ID, err)
		}
		l, err := config.Parse(f, b, testLogger(t))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if l.Config.EdgeID != e.ID || len(e.Lines) != 1 || l.Config.Line != e.Lines[0] {
			t.Errorf("%s: edge %s line %s; central lists %s for %v", f, l.Config.EdgeID, l.Config.Line, e.ID, e.Lines)
		}
	}
	if _, err := linesim.LoadConfig(filepath.Join(dir, "linesim.yaml")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for name, s := range compose.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join(dir, src)); err != nil {
					t.Errorf("compose service %s mounts %s: %v", name, src, err)
				}
			}
		}
	}
	for _, want := range []string{"central-1", "central-2", "central-3", "proxy", "postgres", "mosquitto", "influxdb", "linesim", "edge-L1", "edge-L2"} {
		if _, ok := compose.Services[want]; !ok {
			t.Errorf("compose.yaml has no service %s", want)
		}
	}
}
