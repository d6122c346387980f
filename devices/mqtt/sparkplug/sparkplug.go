// Package sparkplug encodes and decodes Eclipse Sparkplug B payloads and
// topics: the part of the spec a host application reading production values
// needs (timestamp, seq, metrics with name, alias, datatype, timestamp,
// is_null and scalar values). It hand-encodes the protobuf wire format with
// protowire, so no generated code or protoc is needed. DataSets, templates,
// properties and metadata are skipped on decode and never encoded.
//
// It must never panic on a payload: everything a device sends is untrusted.
package sparkplug

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// Namespace is the first topic level of Sparkplug B.
const Namespace = "spBv1.0"

// DataType is a Sparkplug B metric datatype (the spec's enum numbers).
type DataType uint32

// The scalar datatypes this package reads and writes.
const (
	Unknown  DataType = 0
	Int8     DataType = 1
	Int16    DataType = 2
	Int32    DataType = 3
	Int64    DataType = 4
	UInt8    DataType = 5
	UInt16   DataType = 6
	UInt32   DataType = 7
	UInt64   DataType = 8
	Float    DataType = 9
	Double   DataType = 10
	Boolean  DataType = 11
	String   DataType = 12
	DateTime DataType = 13
	Text     DataType = 14
	UUID     DataType = 15
	Bytes    DataType = 17
)

// Metric is one metric of a payload. Value holds int64, uint64, float64,
// bool, string or []byte (or nil when IsNull or the value is of a kind this
// package skips). HasAlias distinguishes alias 0 from no alias.
type Metric struct {
	Name      string
	Alias     uint64
	HasAlias  bool
	Timestamp uint64 // ms since the Unix epoch; 0 if absent
	DataType  DataType
	IsNull    bool
	Value     any
}

// Payload is a Sparkplug B payload. HasSeq distinguishes seq 0 from absent
// (an NDEATH carries no seq).
type Payload struct {
	Timestamp uint64 // ms since the Unix epoch
	Metrics   []Metric
	Seq       uint64
	HasSeq    bool
}

// Protobuf field numbers from sparkplug_b.proto.
const (
	fPayloadTimestamp = 1
	fPayloadMetrics   = 2
	fPayloadSeq       = 3

	fName      = 1
	fAlias     = 2
	fTimestamp = 3
	fDataType  = 4
	fIsNull    = 7
	fInt       = 10
	fLong      = 11
	fFloat     = 12
	fDouble    = 13
	fBool      = 14
	fString    = 15
	fBytes     = 16
)

// Marshal encodes p.
func Marshal(p Payload) ([]byte, error) {
	var b []byte
	if p.Timestamp != 0 {
		b = protowire.AppendTag(b, fPayloadTimestamp, protowire.VarintType)
		b = protowire.AppendVarint(b, p.Timestamp)
	}
	for i, m := range p.Metrics {
		mb, err := marshalMetric(m)
		if err != nil {
			return nil, fmt.Errorf("metric %d (%s): %w", i, m.Name, err)
		}
		b = protowire.AppendTag(b, fPayloadMetrics, protowire.BytesType)
		b = protowire.AppendBytes(b, mb)
	}
	if p.HasSeq {
		b = protowire.AppendTag(b, fPayloadSeq, protowire.VarintType)
		b = protowire.AppendVarint(b, p.Seq)
	}
	return b, nil
}

func marshalMetric(m Metric) ([]byte, error) {
	var b []byte
	varint := func(f protowire.Number, v uint64) {
		b = protowire.AppendTag(b, f, protowire.VarintType)
		b = protowire.AppendVarint(b, v)
	}
	if m.Name != "" {
		b = protowire.AppendTag(b, fName, protowire.BytesType)
		b = protowire.AppendString(b, m.Name)
	}
	if m.HasAlias {
		varint(fAlias, m.Alias)
	}
	if m.Timestamp != 0 {
		varint(fTimestamp, m.Timestamp)
	}
	if m.DataType != Unknown {
		varint(fDataType, uint64(m.DataType))
	}
	if m.IsNull || m.Value == nil {
		varint(fIsNull, 1)
		return b, nil
	}
	switch m.DataType {
	case Int8, Int16, Int32, UInt8, UInt16, UInt32:
		n, ok := asInt(m.Value)
		if !ok {
			return nil, fmt.Errorf("value %T for %v", m.Value, m.DataType)
		}
		varint(fInt, uint64(uint32(n))) // two's complement in uint32, as the spec's reference code does
	case Int64, UInt64, DateTime:
		n, ok := asInt(m.Value)
		if u, isU := m.Value.(uint64); isU {
			n, ok = int64(u), true
		}
		if !ok {
			return nil, fmt.Errorf("value %T for %v", m.Value, m.DataType)
		}
		varint(fLong, uint64(n))
	case Float:
		f, ok := m.Value.(float64)
		if !ok {
			return nil, fmt.Errorf("value %T for %v", m.Value, m.DataType)
		}
		b = protowire.AppendTag(b, fFloat, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(float32(f)))
	case Double:
		f, ok := m.Value.(float64)
		if !ok {
			return nil, fmt.Errorf("value %T for %v", m.Value, m.DataType)
		}
		b = protowire.AppendTag(b, fDouble, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(f))
	case Boolean:
		v, ok := m.Value.(bool)
		if !ok {
			return nil, fmt.Errorf("value %T for %v", m.Value, m.DataType)
		}
		varint(fBool, protowire.EncodeBool(v))
	case String, Text, UUID:
		s, ok := m.Value.(string)
		if !ok {
			return nil, fmt.Errorf("value %T for %v", m.Value, m.DataType)
		}
		b = protowire.AppendTag(b, fString, protowire.BytesType)
		b = protowire.AppendString(b, s)
	case Bytes:
		v, ok := m.Value.([]byte)
		if !ok {
			return nil, fmt.Errorf("value %T for %v", m.Value, m.DataType)
		}
		b = protowire.AppendTag(b, fBytes, protowire.BytesType)
		b = protowire.AppendBytes(b, v)
	default:
		return nil, fmt.Errorf("datatype %d not supported", m.DataType)
	}
	return b, nil
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	}
	return 0, false
}

// Unmarshal decodes a payload. Unknown fields are skipped; a truncated or
// malformed buffer is an error.
func Unmarshal(b []byte) (Payload, error) {
	var p Payload
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return p, fmt.Errorf("payload: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == fPayloadTimestamp && typ == protowire.VarintType:
			p.Timestamp, n = protowire.ConsumeVarint(b)
		case num == fPayloadSeq && typ == protowire.VarintType:
			p.Seq, n = protowire.ConsumeVarint(b)
			p.HasSeq = true
		case num == fPayloadMetrics && typ == protowire.BytesType:
			var mb []byte
			mb, n = protowire.ConsumeBytes(b)
			if n >= 0 {
				m, err := unmarshalMetric(mb)
				if err != nil {
					return p, fmt.Errorf("metric %d: %w", len(p.Metrics), err)
				}
				p.Metrics = append(p.Metrics, m)
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return p, fmt.Errorf("payload field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	return p, nil
}

func unmarshalMetric(b []byte) (Metric, error) {
	var m Metric
	var raw struct {
		set  bool
		kind protowire.Number
		u    uint64
		s    []byte
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return m, protowire.ParseError(n)
		}
		b = b[n:]
		var v uint64
		switch {
		case typ == protowire.VarintType && (num == fAlias || num == fTimestamp || num == fDataType || num == fIsNull || num == fInt || num == fLong || num == fBool):
			v, n = protowire.ConsumeVarint(b)
			switch num {
			case fAlias:
				m.Alias, m.HasAlias = v, true
			case fTimestamp:
				m.Timestamp = v
			case fDataType:
				m.DataType = DataType(v)
			case fIsNull:
				m.IsNull = v != 0
			default:
				raw.set, raw.kind, raw.u = true, num, v
			}
		case typ == protowire.Fixed32Type && num == fFloat:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			raw.set, raw.kind, raw.u = true, num, uint64(x)
		case typ == protowire.Fixed64Type && num == fDouble:
			v, n = protowire.ConsumeFixed64(b)
			raw.set, raw.kind, raw.u = true, num, v
		case typ == protowire.BytesType && (num == fName || num == fString || num == fBytes):
			var s []byte
			s, n = protowire.ConsumeBytes(b)
			if num == fName {
				m.Name = string(s)
			} else {
				raw.set, raw.kind, raw.s = true, num, s
			}
		default: // metadata, properties, datasets, templates, extensions
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return m, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	if m.IsNull || !raw.set {
		return m, nil
	}
	switch raw.kind {
	case fInt:
		switch m.DataType {
		case Int8:
			m.Value = int64(int8(raw.u))
		case Int16:
			m.Value = int64(int16(raw.u))
		case Int32:
			m.Value = int64(int32(raw.u))
		default: // unsigned, or a DATA metric that left the datatype to its BIRTH
			m.Value = int64(uint32(raw.u))
		}
	case fLong:
		switch m.DataType {
		case UInt64:
			m.Value = raw.u
		case DateTime:
			m.Value = time.UnixMilli(int64(raw.u)).UTC().Format(time.RFC3339Nano)
		default:
			m.Value = int64(raw.u)
		}
	case fFloat:
		m.Value = float64(math.Float32frombits(uint32(raw.u)))
	case fDouble:
		m.Value = math.Float64frombits(raw.u)
	case fBool:
		m.Value = raw.u != 0
	case fString:
		m.Value = string(raw.s)
	case fBytes:
		m.Value = append([]byte(nil), raw.s...)
	}
	return m, nil
}

// Retype reinterprets a value decoded without its datatype (a DATA metric
// that relies on its BIRTH) as datatype t: signed ints of int_value and
// uint64 and DateTime of long_value depend on it.
func Retype(v any, t DataType) any {
	switch x := v.(type) {
	case int64:
		switch t {
		case Int8:
			return int64(int8(x))
		case Int16:
			return int64(int16(x))
		case Int32:
			return int64(int32(x))
		case UInt64:
			return uint64(x)
		case DateTime:
			return time.UnixMilli(x).UTC().Format(time.RFC3339Nano)
		}
	}
	return v
}

// Message types (the third topic level).
const (
	NBIRTH = "NBIRTH"
	NDATA  = "NDATA"
	NDEATH = "NDEATH"
	NCMD   = "NCMD"
	DBIRTH = "DBIRTH"
	DDATA  = "DDATA"
	DDEATH = "DDEATH"
	DCMD   = "DCMD"
	STATE  = "STATE"
)

// Topic is a parsed Sparkplug B topic: spBv1.0/group/type/edge_node[/device].
type Topic struct {
	Group, Type, EdgeNode, Device string
}

// ParseTopic splits a Sparkplug B topic.
func ParseTopic(s string) (Topic, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 4 || len(parts) > 5 || parts[0] != Namespace {
		return Topic{}, fmt.Errorf("topic %q is not %s/group/type/edge_node[/device]", s, Namespace)
	}
	t := Topic{Group: parts[1], Type: parts[2], EdgeNode: parts[3]}
	if len(parts) == 5 {
		t.Device = parts[4]
	}
	switch t.Type {
	case NBIRTH, NDATA, NDEATH, NCMD:
		if t.Device != "" {
			return t, fmt.Errorf("topic %q: %s takes no device", s, t.Type)
		}
	case DBIRTH, DDATA, DDEATH, DCMD:
		if t.Device == "" {
			return t, fmt.Errorf("topic %q: %s needs a device", s, t.Type)
		}
	default:
		return t, fmt.Errorf("topic %q: unknown message type %q", s, t.Type)
	}
	return t, nil
}

// String builds the topic.
func (t Topic) String() string {
	s := Namespace + "/" + t.Group + "/" + t.Type + "/" + t.EdgeNode
	if t.Device != "" {
		s += "/" + t.Device
	}
	return s
}

// ValidID reports whether s may be a group, edge node or device id: not
// empty and free of the characters MQTT topics give meaning to.
func ValidID(s string) error {
	if s == "" {
		return errors.New("required")
	}
	if strings.ContainsAny(s, "/+#") {
		return fmt.Errorf("%q must not contain '/', '+' or '#'", s)
	}
	return nil
}

// RebirthMetric is the metric an NCMD carries to ask an edge node for a
// new NBIRTH (and DBIRTHs).
const RebirthMetric = "Node Control/Rebirth"

// Rebirth builds an NCMD payload asking for a rebirth.
func Rebirth(now time.Time) []byte {
	b, _ := Marshal(Payload{Timestamp: uint64(now.UnixMilli()), Metrics: []Metric{
		{Name: RebirthMetric, DataType: Boolean, Value: true, Timestamp: uint64(now.UnixMilli())},
	}})
	return b
}

// NextSeq is the seq after s (0..255, wrapping).
func NextSeq(s uint64) uint64 { return (s + 1) % 256 }

// maxMillis is the last millisecond time.Time.UnixNano can represent
// (2262-04-11): a later timestamp must not reach code that converts it.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// TimeOf turns a Sparkplug timestamp (ms since the Unix epoch) into a time,
// reporting false for 0 or one beyond 2262, which a device's clock cannot
// mean and which could not be converted to nanoseconds later.
func TimeOf(ms uint64) (time.Time, bool) {
	if ms == 0 || ms > uint64(maxMillis) {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}
