package config

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/linewise/linewise/edge/telemetry"
)

// The JSON Schema in configs/ describes exactly the keys the agent accepts:
// a key added to the Go config and not to the schema (or the reverse) fails.
func TestSchemaMatchesConfig(t *testing.T) {
	b, err := os.ReadFile("../../configs/edge.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatalf("edge.schema.json: %v", err)
	}
	check := func(path string, node map[string]any, typ reflect.Type) {
		t.Helper()
		props, _ := node["properties"].(map[string]any)
		var inSchema, inGo []string
		for k := range props {
			inSchema = append(inSchema, k)
		}
		for i := 0; i < typ.NumField(); i++ {
			if tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
				inGo = append(inGo, tag)
			}
		}
		sort.Strings(inSchema)
		sort.Strings(inGo)
		if !reflect.DeepEqual(inSchema, inGo) {
			t.Errorf("%s: schema has %v, Go config has %v", path, inSchema, inGo)
		}
	}
	sub := func(node map[string]any, keys ...string) map[string]any {
		for _, k := range keys {
			node = node["properties"].(map[string]any)[k].(map[string]any)
		}
		return node
	}
	check("(top)", schema, reflect.TypeOf(Config{}))
	check("central", sub(schema, "central"), reflect.TypeOf(Central{}))
	check("central.mqtt", sub(schema, "central", "mqtt"), reflect.TypeOf(MQTT{}))
	check("central.https", sub(schema, "central", "https"), reflect.TypeOf(HTTPS{}))
	check("outbox", sub(schema, "outbox"), reflect.TypeOf(Outbox{}))
	check("state", sub(schema, "state"), reflect.TypeOf(State{}))
	check("state.infer", sub(schema, "state", "infer"), reflect.TypeOf(Infer{}))
	check("telemetry", sub(schema, "telemetry"), reflect.TypeOf(Telemetry{}))
	check("telemetry.influxdb", sub(schema, "telemetry", "influxdb"), reflect.TypeOf(telemetry.Config{}))
	check("scans[]", sub(schema, "scans")["items"].(map[string]any), reflect.TypeOf(Scan{}))
	check("qc[]", sub(schema, "qc")["items"].(map[string]any), reflect.TypeOf(QC{}))
	counters := sub(schema, "counters")
	check("counters[]", counters["items"].(map[string]any), reflect.TypeOf(Counter{}))
}

func TestShippedEdgeConfigLoads(t *testing.T) {
	if _, err := Load("../../configs/edge-L1.yaml", nil); err != nil {
		t.Fatalf("configs/edge-L1.yaml: %v", err)
	}
}
