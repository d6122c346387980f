package sparkplug

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestRoundTrip(t *testing.T) {
	in := Payload{Timestamp: 1700000000123, Seq: 0, HasSeq: true, Metrics: []Metric{
		{Name: "bdSeq", DataType: UInt64, Value: uint64(7)},
		{Name: "GoodCount", Alias: 0, HasAlias: true, DataType: UInt32, Value: int64(4000000000), Timestamp: 1700000000100},
		{Name: "Temp", Alias: 2, HasAlias: true, DataType: Float, Value: 21.5},
		{Name: "Pressure", Alias: 3, HasAlias: true, DataType: Double, Value: -3.25},
		{Name: "Delta", DataType: Int8, Value: int64(-5)},
		{Name: "Offset", DataType: Int16, Value: int64(-300)},
		{Name: "Level", DataType: Int32, Value: int64(-123456)},
		{Name: "Big", DataType: Int64, Value: int64(-1 << 40)},
		{Name: "Running", DataType: Boolean, Value: true},
		{Name: "Order", DataType: String, Value: "WO-1"},
		{Name: "Raw", DataType: Bytes, Value: []byte{1, 2, 3}},
		{Name: "Missing", DataType: Int32, IsNull: true},
		{Name: "When", DataType: DateTime, Value: int64(1700000000000)},
	}}
	b, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	// A DateTime comes back as RFC 3339 text.
	in.Metrics[len(in.Metrics)-1].Value = "2023-11-14T22:13:20Z"
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
}

// Fields we do not model (metadata, properties, uuid, body) are skipped.
func TestUnknownFieldsSkipped(t *testing.T) {
	var m []byte
	m = protowire.AppendTag(m, fName, protowire.BytesType)
	m = protowire.AppendString(m, "x")
	m = protowire.AppendTag(m, 9, protowire.BytesType) // properties
	m = protowire.AppendBytes(m, []byte{0x0a, 0x01, 'k'})
	m = protowire.AppendTag(m, fInt, protowire.VarintType)
	m = protowire.AppendVarint(m, 9)
	var b []byte
	b = protowire.AppendTag(b, 4, protowire.BytesType) // uuid
	b = protowire.AppendString(b, "u")
	b = protowire.AppendTag(b, fPayloadMetrics, protowire.BytesType)
	b = protowire.AppendBytes(b, m)
	p, err := Unmarshal(b)
	if err != nil || len(p.Metrics) != 1 || p.Metrics[0].Value != int64(9) || p.HasSeq {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestGarbage(t *testing.T) {
	for _, b := range [][]byte{{0xff}, {0x12, 0x05, 0x0a}, bytes.Repeat([]byte{0x80}, 12), {0x12, 0x02, 0x0a, 0x09}} {
		if _, err := Unmarshal(b); err == nil {
			t.Errorf("% x decoded without error", b)
		}
	}
}

func TestTopics(t *testing.T) {
	for s, ok := range map[string]bool{
		"spBv1.0/g/NBIRTH/e":      true,
		"spBv1.0/g/DDATA/e/d":     true,
		"spBv1.0/g/NDATA/e/d":     false,
		"spBv1.0/g/DDATA/e":       false,
		"spBv1.0/g/BOGUS/e":       false,
		"spAv1.0/g/NDATA/e":       false,
		"spBv1.0/g/NDATA":         false,
		"spBv1.0/g/DDATA/e/d/x/y": false,
	} {
		tp, err := ParseTopic(s)
		if (err == nil) != ok {
			t.Errorf("%s: %v", s, err)
		}
		if ok && tp.String() != s {
			t.Errorf("%s: round trip %s", s, tp)
		}
	}
	if NextSeq(255) != 0 || NextSeq(3) != 4 {
		t.Error("seq does not wrap at 256")
	}
	p, err := Unmarshal(Rebirth(timeZero))
	if err != nil || len(p.Metrics) != 1 || p.Metrics[0].Name != RebirthMetric || p.Metrics[0].Value != true {
		t.Fatalf("rebirth: %+v %v", p, err)
	}
}

var timeZero = time.Unix(1700000000, 0)
