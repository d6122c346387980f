package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// edge/README.md is the page a line is configured from: each whole agent
// configuration in it (a yaml block with edge_id) is the file in
// edge/testdata its first line names, byte for byte, and the agent accepts
// it; there is an OPC UA and a Modbus line among them.
func TestREADMEExampleConfigs(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	drivers := map[string]bool{}
	n := 0
	for _, m := range yamlBlock.FindAllSubmatch(readme, -1) {
		block := m[1]
		if !bytes.Contains(block, []byte("\nedge_id:")) {
			continue
		}
		n++
		first, _, _ := bytes.Cut(block, []byte("\n"))
		name, ok := strings.CutPrefix(string(first), "# edge/testdata/")
		name, _, _ = strings.Cut(name, " ")
		if !ok || !strings.HasSuffix(name, ".yaml") {
			t.Errorf("example %d does not start with the comment # edge/testdata/<file>.yaml: %q", n, first)
			continue
		}
		path := filepath.Join("..", "testdata", name)
		file, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("example %s: %v", name, err)
			continue
		}
		if !bytes.Equal(file, block) {
			t.Errorf("the README's example %s differs from edge/testdata/%s: copy one over the other", name, name)
		}
		l, err := Parse(path, block, nil)
		if err != nil {
			t.Errorf("example %s is refused:\n%v", name, err)
			continue
		}
		for _, d := range l.Devices {
			drivers[d.Driver] = true
		}
	}
	for _, want := range []string{"opcua", "modbus"} {
		if !drivers[want] {
			t.Errorf("edge/README.md has no worked example of a %s line", want)
		}
	}
}

// Every key of the edge configuration (as configs/edge.schema.json lists
// them, and TestSchemaMatchesConfig keeps that in step with the Go structs)
// is in edge/README.md's reference, written as `its.full.path`.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../configs/edge.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	defs, _ := schema["$defs"].(map[string]any)
	resolve := func(n map[string]any) map[string]any {
		if ref, ok := n["$ref"].(string); ok {
			if d, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any); ok {
				return d
			}
		}
		return n
	}
	var keys []string
	var walk func(path string, n map[string]any)
	walk = func(path string, n map[string]any) {
		n = resolve(n)
		if props, ok := n["properties"].(map[string]any); ok && len(props) > 0 {
			for k, v := range props {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, v.(map[string]any))
			}
			return
		}
		if items, ok := n["items"].(map[string]any); ok {
			if it := resolve(items); it["properties"] != nil {
				walk(path+"[]", it)
				return
			}
			keys = append(keys, path+"[]")
			return
		}
		keys = append(keys, path)
	}
	walk("", schema)
	sort.Strings(keys)
	if len(keys) < 50 {
		t.Fatalf("only %d keys found in the schema: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !bytes.Contains(readme, []byte("`"+k+"`")) {
			t.Errorf("edge/README.md does not document `%s`", k)
		}
	}
}
