package drivers

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/linewise/linewise/devices/configerr"
	"gopkg.in/yaml.v3"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

func parse(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

// Every registered driver lives in devices/<Dir(name)>/ (devices/scanner for scanner-tcp) with a README whose first
// YAML example opens cleanly, without touching the network.
func TestContractREADMEExampleOpens(t *testing.T) {
	if len(Names()) == 0 {
		t.Fatal("no drivers registered")
	}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			readme, err := os.ReadFile(filepath.Join("..", Dir(name), "README.md"))
			if err != nil {
				t.Fatalf("driver %s has no README.md in its package folder: %v", name, err)
			}
			m := yamlBlock.FindSubmatch(readme)
			if m == nil {
				t.Fatalf("README.md of %s has no ```yaml example", name)
			}
			node := parse(t, string(m[1]))
			var head struct{ Name, Driver string }
			if err := node.Decode(&head); err != nil || head.Driver != name {
				t.Fatalf("example's driver is %q, want %q (%v)", head.Driver, name, err)
			}
			d, err := Open(name, head.Name, node, quiet)
			if err != nil {
				t.Fatalf("README example does not open: %v", err)
			}
			if d.Name != head.Name || d.Driver != name || len(d.Signals) == 0 {
				t.Fatalf("device %+v", d)
			}
			if d.Poller != nil && d.PollInterval <= 0 {
				t.Fatalf("poller without a poll interval")
			}
			if d.Poller != nil {
				_ = d.Poller.Close()
			}
		})
	}
}

// A bad config comes back as FieldErrors naming each key, all at once, and
// Locate finds their lines.
func TestContractBadConfig(t *testing.T) {
	src := `name: dev1
driver: DRIVER
bogus_key: 1
signals:
  - name: ""
`
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			node := parse(t, strings.Replace(src, "DRIVER", name, 1))
			_, err := Open(name, "dev1", node, quiet)
			if err == nil {
				t.Fatal("bad config opened")
			}
			var paths []string
			var text []string
			for _, e := range configerr.Locate(node, err) {
				var fe *configerr.FieldError
				if errors.As(e, &fe) {
					paths = append(paths, fe.Path)
				}
				text = append(text, e.Error())
			}
			all := strings.Join(text, "\n")
			for _, want := range []string{"line 3: bogus_key: unknown key", "line 5: signals[0].name: required"} {
				if !strings.Contains(all, want) {
					t.Errorf("errors lack %q:\n%s", want, all)
				}
			}
			if !slicesContains(paths, "bogus_key") {
				t.Errorf("no FieldError for bogus_key: %v", paths)
			}
		})
	}
}

// Validation (as opposed to decoding) errors carry the key path and line too.
func TestContractInvalidValues(t *testing.T) {
	src := `name: dev1
driver: DRIVER
signals:
  - name: ""
`
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			node := parse(t, strings.Replace(src, "DRIVER", name, 1))
			_, err := Open(name, "dev1", node, quiet)
			if err == nil {
				t.Fatal("invalid config opened")
			}
			var all []string
			for _, e := range configerr.Locate(node, err) {
				all = append(all, e.Error())
			}
			if !strings.Contains(strings.Join(all, "\n"), "line 4: signals[0].name: required") {
				t.Errorf("errors lack the signal name problem at line 4:\n%s", strings.Join(all, "\n"))
			}
		})
	}
}

func TestOpenUnknownDriver(t *testing.T) {
	_, err := Open("nope", "x", parse(t, "name: x\n"), quiet)
	var fe *configerr.FieldError
	if !errors.As(err, &fe) || fe.Path != "driver" {
		t.Fatalf("unknown driver: %v", err)
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
