package sparkplug

import (
	"bytes"
	"math"
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

// FuzzUnmarshal: whatever a device publishes, Unmarshal does not panic,
// every value it returns is one of the documented kinds, and no timestamp
// it carries becomes a time that cannot be converted to nanoseconds. The
// seeds are in testdata/fuzz.
func FuzzUnmarshal(f *testing.F) {
	good, _ := Marshal(Payload{Timestamp: 1700000000123, Seq: 3, HasSeq: true, Metrics: []Metric{
		{Name: "GoodCount", Alias: 1, HasAlias: true, DataType: UInt32, Value: int64(42), Timestamp: 1700000000100},
		{Name: "Temp", DataType: Double, Value: 21.5}, {Name: "Order", DataType: String, Value: "WO-1"},
		{Name: "When", DataType: DateTime, Value: int64(1700000000000)}, {Name: "Raw", DataType: Bytes, Value: []byte{1}}}})
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Unmarshal(b)
		if err != nil {
			return
		}
		for _, ts := range append([]uint64{p.Timestamp}, metricTimes(p)...) {
			if at, ok := TimeOf(ts); ok && (at.Year() < 1970 || at.After(time.Unix(0, math.MaxInt64))) {
				t.Fatalf("TimeOf(%d) = %v", ts, at)
			}
		}
		for _, m := range p.Metrics {
			switch m.Value.(type) {
			case nil, int64, uint64, float64, bool, string, []byte:
			default:
				t.Fatalf("metric %q: value of type %T", m.Name, m.Value)
			}
			_ = Retype(m.Value, m.DataType)
		}
		if _, err := Marshal(p); err != nil && len(p.Metrics) == 0 {
			t.Fatalf("a payload without metrics does not encode: %v", err)
		}
	})
}

func metricTimes(p Payload) []uint64 {
	var out []uint64
	for _, m := range p.Metrics {
		out = append(out, m.Timestamp)
	}
	return out
}

func TestTimeOfRefusesBeyond2262(t *testing.T) {
	if _, ok := TimeOf(0); ok {
		t.Error("0 is a time")
	}
	if at, ok := TimeOf(1700000000123); !ok || at.UnixMilli() != 1700000000123 {
		t.Errorf("TimeOf(1700000000123) = %v, %v", at, ok)
	}
	if _, ok := TimeOf(uint64(maxMillis) + 1); ok {
		t.Error("a millisecond after 2262-04-11 is a time")
	}
	if _, ok := TimeOf(1 << 63); ok {
		t.Error("2^63 ms is a time")
	}
}
