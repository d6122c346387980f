package config

import (
	"strings"
	"testing"
)

// The stall and fallback keys are checked with the rest, each named.
func TestStallAndFallbackKeys(t *testing.T) {
	l, err := Parse("edge.yaml", []byte(good), nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Central.StallAfter != 3 || l.Central.HTTPSFallback() {
		t.Errorf("defaults: stall_after %d, fallback %v; want 3 and none", l.Central.StallAfter, l.Central.HTTPSFallback())
	}
	withFallback := strings.Replace(good, `  mqtt: {broker: "tcp://127.0.0.1:18830"}`,
		`  mqtt: {broker: "tcp://127.0.0.1:18830"}
  https: {url: "https://central.plant:8443", token: "0123456789abcdef0"}
  stall_after: 5
  fallback_hold: 30s`, 1)
	if l, err = Parse("edge.yaml", []byte(withFallback), nil); err != nil || !l.Central.HTTPSFallback() || l.Central.StallAfter != 5 {
		t.Errorf("with an HTTPS fallback: %v", err)
	}
	bad := strings.Replace(good, `  mqtt: {broker: "tcp://127.0.0.1:18830"}`,
		`  mqtt: {broker: "tcp://127.0.0.1:18830"}
  https: {url: "https://central.plant:8443"}
  stall_after: -1
  fallback_hold: 10ms`, 1)
	_, err = Parse("edge.yaml", []byte(bad), nil)
	for _, key := range []string{"central.https.token", "central.stall_after", "central.fallback_hold"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("no problem named for %s: %v", key, err)
		}
	}
}
