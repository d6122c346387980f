package config

import (
	"strings"
	"testing"
)

const warnBase = `edge_id: edge-L1
line: L1
data_dir: /tmp/x
central:
  mqtt: {broker: "tcp://127.0.0.1:18830"}
devices:
  - name: plc
    driver: modbus
    address: 127.0.0.1:5020
    poll_interval: %s
    signals:
      - {name: good_total, table: holding, address: 0, type: uint16}
      - {name: reject_total, table: holding, address: 1, type: uint32}
      - {name: boots, table: holding, address: 3, type: uint16}
`

// What --check-config warns about: every wrapping counter whose maximum
// rate cannot be derived, a counter that can wrap within two polls, and
// inferred-state thresholds shorter than a poll.
func TestCheckConfigWarnings(t *testing.T) {
	cases := []struct {
		name, poll, rest string
		want             []string // substrings, one warning each, in order
	}{
		{"no rate anywhere", "1s", `counters:
  - {signal: good_total, kind: good, bits: 16}
  - {signal: reject_total, kind: reject, bits: 32}
  - {signal: boots, kind: reject, mode: pulse}
`, []string{`counters[0].max_rate: counter "good_total" wraps at 65536 but no maximum rate is known`,
			`counters[1].max_rate: counter "reject_total" wraps at 4294967296`}},
		{"line ideal cycle gives every counter its rate", "1s", `ideal_cycle: 2s
counters:
  - {signal: good_total, kind: good, bits: 16}
  - {signal: reject_total, kind: reject, bits: 32}
`, nil},
		{"max_rate on one counter only", "1s", `counters:
  - {signal: good_total, kind: good, bits: 16, max_rate: 3}
  - {signal: reject_total, kind: reject, bits: 16}
`, []string{`counters[1].max_rate: counter "reject_total"`}},
		{"an overflow count stands in for the rate", "1s", `counters:
  - {signal: good_total, kind: good, bits: 16, wraps_signal: boots}
`, nil},
		{"64-bit counters do not wrap", "1s", `counters:
  - {signal: good_total, kind: good, bits: 64}
`, nil},
		{"state.infer.ideal_cycle gives the rate", "1s", `counters:
  - {signal: good_total, kind: good, bits: 16}
state:
  infer: {ideal_cycle: 500ms, short_stop_after: 3}
`, nil},
		{"short stop shorter than a poll", "1s", `counters:
  - {signal: good_total, kind: good, bits: 16}
state:
  infer: {ideal_cycle: 200ms, short_stop_after: 3, down_after: 20}
`, []string{`state.infer.short_stop_after: 3 ideal cycles of 200ms is 600ms, shorter than the counters' poll interval of 1s`}},
		{"wrap within two polls", "5s", `ideal_cycle: 100us
counters:
  - {signal: good_total, kind: good, bits: 16}
`, []string{`counters[0].bits: counter "good_total" can wrap every 5.243s at 1.25e+04 parts/s, within two polls of 5s`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			yml := strings.Replace(warnBase, "%s", tc.poll, 1) + tc.rest
			l, err := Parse("edge.yaml", []byte(yml), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Warnings) != len(tc.want) {
				t.Fatalf("warnings %q, want %d like %q", l.Warnings, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(l.Warnings[i], "edge.yaml:") || !strings.Contains(l.Warnings[i], w) {
					t.Errorf("warning %d = %q, want edge.yaml:<line>: and %q", i, l.Warnings[i], w)
				}
			}
		})
	}
}

func TestClockAndRestartKeys(t *testing.T) {
	l, err := Parse("edge.yaml", []byte(strings.Replace(warnBase, "%s", "1s", 1)+`ideal_cycle: 1s
counters:
  - {signal: good_total, kind: good, bits: 16, restart_signal: boots}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.ClockTolerance != DefaultClockTolerance || l.Counters[0].Rate != 1.25 {
		t.Fatalf("clock tolerance %s, rate %v", l.ClockTolerance, l.Counters[0].Rate)
	}
	_, err = Parse("edge.yaml", []byte(strings.Replace(warnBase, "%s", "1s", 1)+`ideal_cycle: -1s
clock_tolerance: 10ms
counters:
  - {signal: good_total, kind: good, bits: 16, restart_signal: nowhere}
  - {signal: reject_total, kind: reject, mode: pulse, restart_signal: boots}
`), nil)
	for _, want := range []string{"ideal_cycle: -1s is negative", "clock_tolerance: 10ms is below 100ms",
		`counters[0].restart_signal: no device delivers signal "nowhere"`, "counters[1].restart_signal: only a cumulative counter resets"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error containing %q, got %v", want, err)
		}
	}
}
