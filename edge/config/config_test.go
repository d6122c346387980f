package config

import (
	"strings"
	"testing"
)

const good = `edge_id: edge-L1
line: L1
data_dir: /tmp/x
central:
  mqtt: {broker: "tcp://127.0.0.1:18830"}
devices:
  - name: plc
    driver: modbus
    address: 127.0.0.1:5020
    signals:
      - {name: good_total, table: holding, address: 0, type: uint16}
counters:
  - {signal: good_total, kind: good, bits: 16}
`

func TestValidConfigLoads(t *testing.T) {
	l, err := Parse("edge.yaml", []byte(good), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Devices) != 1 || l.DeviceOf("good_total") != "plc" || l.Counters[0].Mode != "cumulative" || l.Counters[0].FirstRead != "baseline" {
		t.Fatalf("loaded %+v", l)
	}
}

// Every problem is reported at once, each with the file, the line and the key.
func TestErrorsNameFileLineAndKey(t *testing.T) {
	bad := `edge_id: "edge L1"
line: L1
data_dir: /tmp/x
centrl: {}
central:
  mqtt: {broker: "127.0.0.1:18830"}
devices:
  - name: plc
    driver: modbus
    address: 127.0.0.1:5020
    signals:
      - {name: good_total, table: holding, address: 0, type: uint16}
  - name: other
    driver: profibus
counters:
  - signal: good_total
    kind: scrap
    bits: 12
  - signal: nowhere
    kind: good
`
	_, err := Parse("edge.yaml", []byte(bad), nil)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"edge.yaml:1: edge_id:",
		"edge.yaml:4: centrl: unknown key",
		"edge.yaml:6: central.mqtt.broker:",
		"edge.yaml:14: devices[1].driver: unknown driver \"profibus\"",
		"edge.yaml:17: counters[0].kind:",
		"edge.yaml:18: counters[0].bits:",
		"edge.yaml:19: counters[1].signal: no device delivers signal \"nowhere\"",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q; got:\n%s", want, msg)
		}
	}
}

func TestEmptyAndNonYAML(t *testing.T) {
	for _, in := range []string{"", "::: [", "- a\n- b\n"} {
		if _, err := Parse("e.yaml", []byte(in), nil); err == nil || !strings.HasPrefix(err.Error(), "e.yaml") {
			t.Errorf("Parse(%q) = %v, want an error naming the file", in, err)
		}
	}
}

func TestInferValidation(t *testing.T) {
	bad := good + `state:
  signal: good_total
  infer:
    short_stop_after: 5
    down_after: 4
    planned_signal: break_bit
`
	_, err := Parse("edge.yaml", []byte(bad), nil)
	if err == nil {
		t.Fatal("bad infer accepted")
	}
	for _, want := range []string{
		"edge.yaml:17: state.infer: infer is for machines without a state signal",
		"edge.yaml:17: state.infer.ideal_cycle: missing or not positive",
		"edge.yaml:17: state.infer: want 1 <= short_stop_after < down_after, got 5 and 4",
		"edge.yaml:19: state.infer.planned_signal: no device delivers signal \"break_bit\"",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q; got:\n%s", want, err)
		}
	}
	l, err := Parse("edge.yaml", []byte(good+"state:\n  infer: {ideal_cycle: 2s}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if in := l.State.Infer; in.ShortStopAfter != 3 || in.DownAfter != 20 {
		t.Fatalf("defaults: %+v", in)
	}
}
