package wire

import "strconv"

// decodeFast parses a batch in the exact shape edges write (see
// Event.AppendJSON): every field known, strings of printable ASCII without
// escapes, integers without fraction or exponent, no null, no field twice.
// It reports false at anything else, and DecodeBatch then runs
// encoding/json, whose result is the contract; where decodeFast accepts, it
// must produce exactly what encoding/json would (FuzzDecodeFast checks it).
// It exists because encoding/json's reflection was the largest cost in
// central at tens of thousands of events a second.
func decodeFast(payload []byte) (Batch, bool) {
	d := fastDecoder{p: payload}
	var b Batch
	var seen [3]bool
	ok := d.object(func(key []byte) bool {
		switch string(key) {
		case "v":
			if seen[0] {
				return false
			}
			seen[0] = true
			n, ok := d.int()
			if !ok || n != int64(int(n)) {
				return false
			}
			b.Version = int(n)
			return true
		case "edge_id":
			if seen[1] {
				return false
			}
			seen[1] = true
			s, ok := d.str()
			b.EdgeID = s
			return ok
		case "events":
			if seen[2] {
				return false
			}
			seen[2] = true
			return d.events(&b)
		}
		return false
	})
	if !ok {
		return Batch{}, false
	}
	d.ws()
	return b, d.i == len(d.p)
}

type fastDecoder struct {
	p []byte
	i int
	// The same few strings repeat in every event: keep one copy of each.
	edge, line, counter string
}

func (d *fastDecoder) ws() {
	for d.i < len(d.p) {
		switch d.p[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) next(c byte) bool {
	d.ws()
	if d.i < len(d.p) && d.p[d.i] == c {
		d.i++
		return true
	}
	return false
}

// object reads {"key": value, ...}, calling field after each key's colon
// to read its value.
func (d *fastDecoder) object(field func(key []byte) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	for {
		d.ws()
		key, ok := d.raw()
		if !ok || !d.next(':') {
			return false
		}
		d.ws()
		if !field(key) {
			return false
		}
		if d.next('}') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

// raw reads a plain string and returns its bytes, unquoted.
func (d *fastDecoder) raw() ([]byte, bool) {
	if d.i >= len(d.p) || d.p[d.i] != '"' {
		return nil, false
	}
	start := d.i + 1
	for j := start; j < len(d.p); j++ {
		switch c := d.p[j]; {
		case c == '"':
			d.i = j + 1
			return d.p[start:j], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

func (d *fastDecoder) str() (string, bool) {
	b, ok := d.raw()
	return string(b), ok
}

// interned reads a string, reusing *last when it is the same.
func (d *fastDecoder) interned(last *string) (string, bool) {
	b, ok := d.raw()
	if !ok {
		return "", false
	}
	if string(b) != *last {
		*last = string(b)
	}
	return *last, true
}

// digits reads an integer literal: -?(0|[1-9][0-9]*), nothing more.
func (d *fastDecoder) digits() ([]byte, bool) {
	start := d.i
	if d.i < len(d.p) && d.p[d.i] == '-' {
		d.i++
	}
	first := d.i
	for d.i < len(d.p) && d.p[d.i] >= '0' && d.p[d.i] <= '9' {
		d.i++
	}
	n := d.i - first
	if n == 0 || (n > 1 && d.p[first] == '0') {
		return nil, false
	}
	if d.i < len(d.p) {
		switch d.p[d.i] {
		case '.', 'e', 'E':
			return nil, false
		}
	}
	return d.p[start:d.i], true
}

func (d *fastDecoder) int() (int64, bool) {
	b, ok := d.digits()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

func (d *fastDecoder) uint() (uint64, bool) {
	b, ok := d.digits()
	if !ok || b[0] == '-' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	return n, err == nil
}

func (d *fastDecoder) bool() (bool, bool) {
	switch {
	case len(d.p)-d.i >= 4 && string(d.p[d.i:d.i+4]) == "true":
		d.i += 4
		return true, true
	case len(d.p)-d.i >= 5 && string(d.p[d.i:d.i+5]) == "false":
		d.i += 5
		return false, true
	}
	return false, false
}

func (d *fastDecoder) events(b *Batch) bool {
	if !d.next('[') {
		return false
	}
	b.Events = make([]Event, 0, 64)
	if d.next(']') {
		return true
	}
	for {
		b.Events = append(b.Events, Event{})
		if !d.event(&b.Events[len(b.Events)-1]) {
			return false
		}
		if d.next(']') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

func (d *fastDecoder) event(e *Event) bool {
	var seen uint16
	once := func(bit uint16) bool {
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	}
	return d.object(func(key []byte) bool {
		var ok bool
		switch string(key) {
		case "edge_id":
			if !once(1) {
				return false
			}
			e.EdgeID, ok = d.interned(&d.edge)
		case "seq":
			if !once(2) {
				return false
			}
			e.Seq, ok = d.uint()
		case "line":
			if !once(4) {
				return false
			}
			e.Line, ok = d.interned(&d.line)
		case "type":
			if !once(8) {
				return false
			}
			var t []byte
			if t, ok = d.raw(); ok {
				e.Type = eventType(t)
			}
		case "ts":
			if !once(16) {
				return false
			}
			start := d.i
			if _, ok = d.raw(); ok {
				// encoding/json hands time.Time its quoted bytes: so do we.
				ok = e.SourceTime.UnmarshalJSON(d.p[start:d.i]) == nil
			}
		case "count":
			if !once(32) {
				return false
			}
			e.Count = new(Count)
			ok = d.count(e.Count)
		case "state":
			if !once(64) {
				return false
			}
			e.State = new(State)
			ok = d.state(e.State)
		case "device_ts":
			if !once(128) {
				return false
			}
			start := d.i
			if _, ok = d.raw(); ok {
				ok = e.DeviceTime.UnmarshalJSON(d.p[start:d.i]) == nil
			}
		case "clock_offset_ms":
			if !once(256) {
				return false
			}
			e.ClockOffsetMS, ok = d.int()
		}
		return ok // scan, qc and anything else: encoding/json's work
	})
}

func eventType(t []byte) string {
	switch string(t) {
	case TypeCount:
		return TypeCount
	case TypeState:
		return TypeState
	}
	return string(t)
}

func (d *fastDecoder) count(c *Count) bool {
	var seen uint8
	return d.object(func(key []byte) bool {
		var bit uint8
		var ok bool
		switch string(key) {
		case "counter":
			bit = 1
			c.Counter, ok = d.interned(&d.counter)
		case "good":
			bit = 2
			c.Good, ok = d.int()
		case "reject":
			bit = 4
			c.Reject, ok = d.int()
		case "raw":
			bit = 8
			c.Raw, ok = d.uint()
		case "reset":
			bit = 16
			c.Reset, ok = d.bool()
		case "wraps":
			bit = 32
			var n int64
			n, ok = d.int()
			ok = ok && n == int64(int(n))
			c.Wraps = int(n)
		case "ambiguous":
			bit = 64
			c.Ambiguous, ok = d.bool()
		case "alt_parts":
			bit = 128
			c.AltParts, ok = d.uint()
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

func (d *fastDecoder) state(s *State) bool {
	var seen uint8
	return d.object(func(key []byte) bool {
		var bit uint8
		var ok bool
		switch string(key) {
		case "state":
			bit = 1
			s.State, ok = d.str()
		case "reason":
			bit = 2
			s.Reason, ok = d.str()
		case "raw":
			bit = 4
			s.Raw, ok = d.str()
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}
