package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds every event is held to, by the edge before it sends and by
// central before it stores (issue #10). An event outside them is refused
// on its own: central keeps it in quarantine with the reason, acknowledges
// it so it never blocks the edge's outbox, and it changes no count.
const (
	// DefaultMaxCountDelta is the hard ceiling on good+reject in one count
	// event unless configured otherwise: far above what any line makes
	// between two events, far below where sums could overflow int64.
	DefaultMaxCountDelta = 1_000_000
	// MaxCountDeltaLimit is the largest ceiling that may be configured:
	// it takes nine billion events at it for a sum to overflow int64.
	MaxCountDeltaLimit = 1_000_000_000
	// MaxStringChars bounds every string field of an event, in characters.
	MaxStringChars = 256
	// MaxWraps bounds Count.Wraps: a counter that rolled over more often
	// than this between two reads was not read, it was guessed.
	MaxWraps = 1 << 16
	// maxRawBytes bounds the copy of a refused event kept in quarantine.
	maxRawBytes = 16 << 10
	// maxReasonChars bounds a refusal's reason (it may quote a field).
	maxReasonChars = 1000
)

// Times an event may carry at all. time.Time.UnixNano is undefined outside
// them (and central stores times as unix nanoseconds), so a time outside is
// refused before anything converts it.
var (
	MinTime = time.Unix(0, 0).UTC()
	MaxTime = time.Unix(0, math.MaxInt64).UTC() // 2262-04-11T23:47:16.854775807Z
)

// Limits are the configurable bounds Screen holds events to; a zero field
// takes its default.
type Limits struct {
	MaxCountDelta int64         // good+reject per count event; default DefaultMaxCountDelta
	MaxFutureSkew time.Duration // how far ahead of the receiver's clock; default MaxFutureSkew
	MaxAge        time.Duration // how far behind it; default MaxAge
}

func (l Limits) withDefaults() Limits {
	if l.MaxCountDelta <= 0 {
		l.MaxCountDelta = DefaultMaxCountDelta
	}
	l.MaxCountDelta = min(l.MaxCountDelta, MaxCountDeltaLimit)
	if l.MaxFutureSkew <= 0 {
		l.MaxFutureSkew = MaxFutureSkew
	}
	if l.MaxAge <= 0 {
		l.MaxAge = MaxAge
	}
	return l
}

// Refused is an event Screen refused, with what a quarantine keeps of it.
// Line, Type and SourceTime are as the event claimed (zero when they could
// not be read); Raw is the event's JSON as received or re-encoded, valid
// UTF-8, at most 16 KiB.
type Refused struct {
	Seq        uint64
	Line       string
	Type       string
	SourceTime time.Time // zero unless within MinTime..MaxTime
	Reason     string
	Raw        []byte
}

// Rejections is the part of refused events an Ack carries back.
func Rejections(refused []Refused) []Rejection {
	if len(refused) == 0 {
		return nil
	}
	out := make([]Rejection, len(refused))
	for i, r := range refused {
		out[i] = Rejection{Seq: r.Seq, Reason: r.Reason}
	}
	return out
}

// undecodable is an event of a batch whose fields did not decode (a number
// where the type cannot hold it, invalid UTF-8, an unknown field) but whose
// seq did: it is refused on its own instead of refusing the whole batch.
type undecodable struct {
	reason string
	raw    []byte
}

// decodeEventByEvent is DecodeBatch's last resort, for a payload that
// encoding/json refused as a whole: the batch's frame must still decode,
// and then each event on its own. An event that does not decode but whose
// seq does stays in the batch as a placeholder that Screen refuses.
func decodeEventByEvent(payload []byte) (Batch, bool) {
	var frame struct {
		Version int               `json:"v"`
		EdgeID  string            `json:"edge_id"`
		Events  []json.RawMessage `json:"events"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&frame); err != nil {
		return Batch{}, false
	}
	b := Batch{Version: frame.Version, EdgeID: frame.EdgeID, Events: make([]Event, len(frame.Events))}
	for i, raw := range frame.Events {
		var reason string
		if !utf8.Valid(raw) {
			reason = "invalid UTF-8"
		} else {
			d := json.NewDecoder(bytes.NewReader(raw))
			d.DisallowUnknownFields()
			var e Event
			if err := d.Decode(&e); err != nil {
				reason = "does not decode: " + strings.TrimPrefix(err.Error(), "json: ")
			} else {
				b.Events[i] = e
				continue
			}
		}
		// What identifies it, as far as it reads: Unmarshal skips a field
		// of the wrong type and fills the others.
		var id struct {
			EdgeID string `json:"edge_id"`
			Seq    uint64 `json:"seq"`
			Line   string `json:"line"`
			Type   string `json:"type"`
		}
		_ = json.Unmarshal(raw, &id)
		if id.Seq == 0 {
			return Batch{}, false // without its seq the ack range cannot cover it
		}
		b.Events[i] = Event{EdgeID: id.EdgeID, Seq: id.Seq, Line: id.Line, Type: id.Type}
		if b.undecodable == nil {
			b.undecodable = map[int]undecodable{}
		}
		b.undecodable[i] = undecodable{reason: reason, raw: raw}
	}
	return b, true
}

// ScreenWith splits a decoded batch into the events to apply and the ones
// to refuse, each with its reason, holding them to lim. allowLine, when not
// nil, says whether the batch's edge may report for a line. now is the
// receiver's clock.
func (b *Batch) ScreenWith(now time.Time, lim Limits, allowLine func(line string) bool) (valid []Event, refused []Refused) {
	lim = lim.withDefaults()
	latest, earliest := now.Add(lim.MaxFutureSkew), now.Add(-lim.MaxAge)
	valid = make([]Event, 0, len(b.Events)) // nearly all pass: grow once
	for i := range b.Events {
		e := &b.Events[i]
		var reason string
		bad, undecoded := b.undecodable[i]
		switch {
		case undecoded:
			reason = bad.reason
		default:
			if err := e.validate(lim); err != nil {
				reason = err.Error()
				break
			}
			switch {
			case e.EdgeID != b.EdgeID:
				reason = fmt.Sprintf("edge_id: %q is not the batch's edge %q", e.EdgeID, b.EdgeID)
			case e.SourceTime.After(latest):
				reason = fmt.Sprintf("ts: %s is more than %s ahead of central's clock", e.SourceTime.Format(time.RFC3339), lim.MaxFutureSkew)
			case e.SourceTime.Before(earliest):
				reason = fmt.Sprintf("ts: %s is more than %s old", e.SourceTime.Format(time.RFC3339), ageText(lim.MaxAge))
			case allowLine != nil && !allowLine(e.Line):
				reason = fmt.Sprintf("line: %q is not a line edge %q may report for", e.Line, b.EdgeID)
			}
		}
		if reason == "" {
			valid = append(valid, *e)
			continue
		}
		// What the event claims is kept as text a database takes: reasons
		// may quote a field, and the field may be anything.
		r := Refused{Seq: e.Seq, Line: storable(e.Line, MaxStringChars), Type: storable(e.Type, 64), Reason: storable(reason, maxReasonChars)}
		if inRange(e.SourceTime) {
			r.SourceTime = e.SourceTime
		}
		if undecoded {
			r.Raw = bad.raw
		} else if raw, err := e.AppendJSON(nil); err == nil {
			r.Raw = raw
		}
		r.Raw = keepRaw(r.Raw)
		refused = append(refused, r)
	}
	return valid, refused
}

func ageText(d time.Duration) string {
	if d == MaxAge {
		return "a year"
	}
	return d.String()
}

func inRange(t time.Time) bool { return !t.Before(MinTime) && !t.After(MaxTime) }

// storable makes s valid UTF-8 without NUL, at most n characters.
func storable(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) > n && utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}

// keepRaw makes a refused event's bytes storable as text: valid UTF-8,
// without NUL, at most maxRawBytes.
func keepRaw(raw []byte) []byte {
	if len(raw) > maxRawBytes {
		raw = append(raw[:maxRawBytes:maxRawBytes], "…(truncated)"...)
	}
	s := strings.ToValidUTF8(string(raw), "\uFFFD")
	return []byte(strings.ReplaceAll(s, "\x00", "\uFFFD"))
}

// checkString bounds one string field: valid UTF-8, no NUL, at most
// MaxStringChars characters.
func checkString(field, s string) error {
	switch {
	case !utf8.ValidString(s):
		return fmt.Errorf("%s: invalid UTF-8", field)
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%s: contains NUL", field)
	case len(s) > MaxStringChars && utf8.RuneCountInString(s) > MaxStringChars:
		return fmt.Errorf("%s: %d characters, at most %d", field, utf8.RuneCountInString(s), MaxStringChars)
	}
	return nil
}

// checkBounds holds an event's content to lim: counts, time range and
// string fields. Validate's checks of presence and form come first.
func (e *Event) checkBounds(lim Limits) []error {
	var errs []error
	// Before anything converts it to unix nanoseconds.
	if !e.SourceTime.IsZero() && !inRange(e.SourceTime) {
		errs = append(errs, fmt.Errorf("ts: %s is outside %d..%d (1970 to 2262)",
			e.SourceTime.Format(time.RFC3339), MinTime.Year(), MaxTime.Year()))
	}
	str := func(field, s string) {
		if err := checkString(field, s); err != nil {
			errs = append(errs, err)
		}
	}
	if c := e.Count; c != nil {
		str("count.counter", c.Counter)
		switch {
		case c.Good < 0 || c.Reject < 0:
			errs = append(errs, fmt.Errorf("count: good %d and reject %d must not be negative", c.Good, c.Reject))
		case c.Good > lim.MaxCountDelta || c.Reject > lim.MaxCountDelta || c.Good+c.Reject > lim.MaxCountDelta:
			errs = append(errs, fmt.Errorf("count: good %d + reject %d is above the ceiling of %d parts per event", c.Good, c.Reject, lim.MaxCountDelta))
		}
		if c.Wraps < 0 || c.Wraps > MaxWraps {
			errs = append(errs, fmt.Errorf("count.wraps: %d is outside 0..%d", c.Wraps, MaxWraps))
		}
		if c.Refused != "" {
			str("count.refused", c.Refused)
			errs = append(errs, fmt.Errorf("count: the edge found it impossible: %s", c.Refused))
		}
	}
	if s := e.State; s != nil {
		str("state.state", s.State)
		str("state.reason", s.Reason)
		str("state.raw", s.Raw)
	}
	if s := e.Scan; s != nil {
		str("scan.station", s.Station)
		str("scan.operator", s.Operator)
		str("scan.code", s.Code)
		str("scan.action", s.Action)
	}
	if q := e.QC; q != nil {
		str("qc.station", q.Station)
		str("qc.unit", q.Unit)
		str("qc.characteristic", q.Characteristic)
		for _, v := range []*float64{&q.Value, q.Lower, q.Upper} {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
				errs = append(errs, errors.New("qc: value and limits must be finite numbers"))
				break
			}
		}
	}
	return errs
}
