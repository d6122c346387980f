package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "central.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // substrings the error must contain; none means valid
	}{
		{"empty file is defaults", "", nil},
		{"shipped example", mustRead(t, "../../configs/central.yaml"), nil},
		{"unknown key with line", "http: 127.0.0.1:0\nmqtt:\n  embeded:\n    enabled: true\n", []string{":3: mqtt.embeded: unknown key"}},
		{"invalid http address", "http: localhost\n", []string{":1: http:", "not host:port"}},
		{"bad port", "http: 127.0.0.1:99999\n", []string{"http:", "port"}},
		{"every problem at once", "http: x\ndatabase:\n  driver: oracle\nmqtt:\n  client_id: \"a b\"\n", []string{
			":1: http:", ":3: database.driver:", ":5: mqtt.client_id:"}},
		{"external broker required without embedded", "mqtt:\n  embedded:\n    enabled: false\n", []string{"mqtt.broker_url: must be set"}},
		{"postgres needs a dsn", "database:\n  driver: postgres\n", []string{":2: database.dsn: is required when database.driver is postgres"}},
		{"reports problems", "reports:\n  day_start: \"8am\"\n  small_stop: -1m\n  startup: 25h\n  reasons:\n    \"7\": {category: Mechanical}\n", []string{
			":2: reports.day_start:", ":3: reports.small_stop:", ":4: reports.startup:", "reports.reasons.7.text: is required"}},
		{"reports day start", "reports:\n  day_start: \"08:00\"\n", nil},
		{"postgres with a dsn", "database:\n  driver: postgres\n  dsn: postgres://u@h/db\n", nil},
		{"edge with hashed token", "edges:\n  - id: e1\n    token_sha256: " + strings.Repeat("ab", 32) + "\n    lines: [L1]\n", nil},
		{"edge problems", `edges:
  - id: "bad id"
    lines: []
  - id: e2
    token: short
    lines: [L1]
  - id: e3
    token: long-enough-token-1
    token_sha256: abcd
    lines: ["a b"]
  - id: e4
    token_sha256: xyz
    lines: [L1]
  - id: e5
    token: same-token-for-two
    lines: [L1]
  - id: e5
    token: same-token-for-two
    lines: [L2]
  - id: linewise-central
    token: central-is-not-an-edge
    lines: [L1]
`, []string{
			":2: edges[0].id:", "edges[0].token: token or token_sha256 is required", ":3: edges[0].lines: at least one line",
			":5: edges[1].token: token must be at least 16", "edges[2].token: set token or token_sha256, not both", ":10: edges[2].lines[0]:",
			":12: edges[3].token_sha256: token_sha256 must be 64 hex digits", ":17: edges[5].id: edge \"e5\" is listed twice",
			"edges[5].token: same token as edge \"e5\"", ":20: edges[6].id: \"linewise-central\" is central's own MQTT username"}},
		{"sign_in off", "sign_in:\n  max_failures: 0\n  ip_max_failures: 0\n  window: 0s\n", nil},
		{"sign_in problems", "sign_in:\n  max_failures: -1\n  ip_max_failures: -3\n", []string{
			":2: sign_in.max_failures: must not be negative", ":3: sign_in.ip_max_failures:"}},
		{"sign_in window", "sign_in:\n  window: 10ms\n", []string{":2: sign_in.window: 10ms is too short"}},
		{"anonymous topics", "mqtt:\n  embedded:\n    anonymous_topics: [linesim/#, linewise/#, \"#\"]\n", []string{
			"mqtt.embedded.anonymous_topics[1]:", "mqtt.embedded.anonymous_topics[2]:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeConfig(t, tt.body)
			_, err := LoadConfig(p)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), p+":") {
				t.Errorf("error %q does not start with the file path", err)
			}
		})
	}
}

func TestDefaultConfigIsValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.HTTP = "nope"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "http") {
		t.Fatalf("Validate with http=nope: %v, want an error naming http", err)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNotifyConfigErrorsNameFileLineKey(t *testing.T) {
	p := writeConfig(t, `notify:
  escalate_after: -1m
  smtp:
    host: mail.plant
    from: nobody
    starttls: maybe
  webhooks:
    - name: ops
      url: "ftp://x"
      secret: short
  routes:
    - kinds: [exception_opened]
      roles: [boss]
      webhooks: [chat]
`)
	_, err := LoadConfig(p)
	for _, want := range []string{":2: notify.escalate_after:", ":5: notify.smtp.from:", ":6: notify.smtp.starttls:",
		":9: notify.webhooks[0].url:", ":10: notify.webhooks[0].secret:", ":13: notify.routes[0].roles[0]:", ":14: notify.routes[0].webhooks[0]:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
