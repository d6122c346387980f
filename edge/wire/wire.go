// Package wire is the contract between an edge agent and central: the events
// an edge sends, the batch they travel in, the acknowledgement central returns,
// and the MQTT topics. Edge owns it; central imports it. It must stay free of
// any other linewise import, and a change here is a protocol change: add
// fields, never repurpose them.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Version is carried in every batch so central can refuse what it does not speak.
const Version = 1

// Event types.
const (
	TypeCount = "count"
	TypeState = "state"
	TypeScan  = "scan"
	TypeQC    = "qc"
)

// Machine states a state event may carry.
const (
	StateRunning     = "running"
	StateIdle        = "idle"
	StateDown        = "down"
	StateSetup       = "setup"
	StatePlannedStop = "planned_stop"
	// StateNoData means the edge cannot read the machine: it is not downtime.
	StateNoData = "no_data"
)

// ValidStates lists every state value in the order dashboards show them.
var ValidStates = []string{StateRunning, StateIdle, StateDown, StateSetup, StatePlannedStop, StateNoData}

// Event is one thing that happened on a line, as the edge saw it.
// (EdgeID, Seq) identifies it for ever: Seq is persisted by the edge and
// never reused, so central deduplicates on the pair.
type Event struct {
	EdgeID     string    `json:"edge_id"`
	Seq        uint64    `json:"seq"`
	Line       string    `json:"line"`
	Type       string    `json:"type"`
	SourceTime time.Time `json:"ts"`
	Count      *Count    `json:"count,omitempty"`
	State      *State    `json:"state,omitempty"`
	Scan       *Scan     `json:"scan,omitempty"`
	QC         *QC       `json:"qc,omitempty"`
	// DeviceTime is set when the device's clock was off by more than the
	// edge's clock_tolerance: SourceTime is then the edge's receive time
	// and this the device's own timestamp, kept for audit.
	DeviceTime time.Time `json:"device_ts,omitzero"`
	// ClockOffsetMS, when not 0, says a device of the line has a clock off
	// by more than the tolerance: its measured offset (device minus edge,
	// milliseconds; the largest of the line's devices). Every event of the
	// line carries it while that lasts, so central shows the skew and clears
	// it when events arrive without it.
	ClockOffsetMS int64 `json:"clock_offset_ms,omitempty"`
}

// Count is the parts made since the previous count event of the same counter.
type Count struct {
	Counter string `json:"counter"`         // configured signal name
	Good    int64  `json:"good"`            // good parts in this delta
	Reject  int64  `json:"reject"`          // rejected parts in this delta
	Raw     uint64 `json:"raw"`             // counter value as read, for audit
	Reset   bool   `json:"reset,omitempty"` // the counter restarted (power cycle) before this delta
	Wraps   int    `json:"wraps,omitempty"` // how many times it wrapped within this delta
	// Ambiguous: the edge could not tell from the evidence whether the
	// counter wrapped or reset (or how often it wrapped). It counted the
	// smaller reading; AltParts is how many parts more the other reading
	// gives. Central opens a counter_ambiguous exception for a person.
	Ambiguous bool   `json:"ambiguous,omitempty"`
	AltParts  uint64 `json:"alt_parts,omitempty"`
	// Refused, when set, is why the edge found this delta impossible (above
	// its counter's max_rate × elapsed time, or the ceiling): it is sent
	// rather than dropped so the parts are not lost, and central
	// quarantines it instead of counting it.
	Refused string `json:"refused,omitempty"`
}

// State is a machine state change that began at the event's SourceTime.
type State struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"` // fault or reason code, mapped to text where configured
	Raw    string `json:"raw,omitempty"`    // the PLC value it came from
}

// Scan is one barcode read at a station.
type Scan struct {
	Station  string `json:"station"`
	Operator string `json:"operator,omitempty"`
	Code     string `json:"code"`
	Action   string `json:"action,omitempty"` // start, pause, resume, complete, lot, serial
}

// QC is one quality measurement.
type QC struct {
	Station        string   `json:"station,omitempty"`
	Unit           string   `json:"unit,omitempty"` // unit serial or lot
	Characteristic string   `json:"characteristic"`
	Value          float64  `json:"value"`
	Lower          *float64 `json:"lower,omitempty"`
	Upper          *float64 `json:"upper,omitempty"`
	Pass           bool     `json:"pass"`
}

// Batch is what an edge publishes: consecutive events of one edge in Seq order.
type Batch struct {
	Version int     `json:"v"`
	EdgeID  string  `json:"edge_id"`
	Events  []Event `json:"events"`

	// Events (by index) that did not decode but whose seq did: placeholders
	// that Screen refuses. Set only by DecodeBatch.
	undecodable map[int]undecodable
}

// EncodedBatch is a Batch in its wire form, ready to publish.
type EncodedBatch struct {
	From, To uint64 // the first and last event's Seq
	Events   int
	Payload  []byte // the JSON of a Batch
}

// BatchWriter builds a Batch's JSON from events that are JSON already, each
// as json.Marshal(Event) wrote it when the edge stored it: a sender splices
// them in instead of decoding and encoding every event again. The result
// decodes exactly like json.Marshal of the same Batch.
type BatchWriter struct {
	buf    []byte
	events int
}

// NewBatchWriter starts a batch of edgeID's events; sizeHint is the
// expected payload size in bytes.
func NewBatchWriter(edgeID string, sizeHint int) *BatchWriter {
	id, _ := json.Marshal(edgeID) // a string always encodes
	w := &BatchWriter{buf: make([]byte, 0, max(sizeHint, 64))}
	w.buf = fmt.Appendf(w.buf, `{"v":%d,"edge_id":%s,"events":[`, Version, id)
	return w
}

// Add appends one encoded event.
func (w *BatchWriter) Add(event []byte) {
	if w.events > 0 {
		w.buf = append(w.buf, ',')
	}
	w.buf = append(w.buf, event...)
	w.events++
}

// Len is the number of events added.
func (w *BatchWriter) Len() int { return w.events }

// Bytes closes the batch and returns its JSON; add nothing after.
func (w *BatchWriter) Bytes() []byte { return append(w.buf, "]}"...) }

// Ack tells an edge that central has committed every event of its batch with
// From <= Seq <= To (duplicates included): those may leave the outbox.
type Ack struct {
	EdgeID string `json:"edge_id"`
	From   uint64 `json:"from"`
	To     uint64 `json:"to"`
	// Error, when set, says central refused the whole batch for good (it is
	// malformed or the edge is not allowed); the edge must not resend it.
	Error string `json:"error,omitempty"`
	// Rejected lists events of From..To that central refused one by one
	// (invalid, absurd timestamp, a line the edge does not own). The rest of
	// the range was committed. Rejected events must not be resent.
	Rejected []Rejection `json:"rejected,omitempty"`
}

// Rejection is one refused event and why.
type Rejection struct {
	Seq    uint64 `json:"seq"`
	Reason string `json:"reason"`
}

// Topic layout on the broker. EdgeIDs are restricted (see ValidID) so they
// cannot contain MQTT wildcards or separators.
const (
	TopicPrefix = "linewise/v1/edges/"
	// EventsWildcard is what central subscribes to.
	EventsWildcard = TopicPrefix + "+/events"
	// StatusWildcard is where central hears every edge's status.
	StatusWildcard = TopicPrefix + "+/status"
)

// StatusTopic is where edge id publishes its status, retained: "online" on
// connect and at every heartbeat, "offline" on a clean shutdown and, as the
// MQTT Last Will the broker sends for it, when its connection dies.
func StatusTopic(edgeID string) string { return TopicPrefix + edgeID + "/status" }

// Edge statuses.
const (
	StatusOnline  = "online"
	StatusOffline = "offline"
)

// Status is an edge's liveness message: on its status topic over MQTT, and
// the body of POST /api/v1/edges/{id}/heartbeat over HTTPS.
type Status struct {
	EdgeID    string    `json:"edge_id"`
	Status    string    `json:"status"` // online or offline
	Version   string    `json:"version,omitempty"`
	StartedAt time.Time `json:"started_at,omitzero"`
	At        time.Time `json:"at,omitzero"` // when the edge sent it (the will: when it connected)
	// The backlog, in heartbeats of edges that report it: events in the
	// outbox central has not acknowledged, and how long (seconds) the
	// oldest of them has waited. Central shows an edge whose backlog waits
	// too long as stalled. Absent: not reported (an older edge, a will).
	OutboxDepth    *int64   `json:"outbox_depth,omitempty"`
	OldestUnackedS *float64 `json:"oldest_unacked_s,omitempty"`
}

// DecodeStatus reads a Status sent for edge (the topic's or the token's
// edge): it must name that edge and say online or offline.
func DecodeStatus(edge string, payload []byte) (Status, error) {
	var s Status
	if err := json.Unmarshal(payload, &s); err != nil {
		return s, fmt.Errorf("status: %w", err)
	}
	if s.EdgeID != edge {
		return s, fmt.Errorf("status: field edge_id: %q is not %q", s.EdgeID, edge)
	}
	if s.Status != StatusOnline && s.Status != StatusOffline {
		return s, fmt.Errorf("status: field status: %q is not online or offline", s.Status)
	}
	if s.OutboxDepth != nil && *s.OutboxDepth < 0 {
		return s, fmt.Errorf("status: field outbox_depth: %d is negative", *s.OutboxDepth)
	}
	if a := s.OldestUnackedS; a != nil && (*a < 0 || math.IsNaN(*a) || math.IsInf(*a, 0)) {
		return s, fmt.Errorf("status: field oldest_unacked_s: %v is not a non-negative number of seconds", *a)
	}
	return s, nil
}

// EventsTopic is where edge id publishes its batches.
func EventsTopic(edgeID string) string { return TopicPrefix + edgeID + "/events" }

// AckTopic is where central acknowledges edge id's batches.
func AckTopic(edgeID string) string { return TopicPrefix + edgeID + "/ack" }

// EdgeFromTopic returns the edge id of an events, ack or status topic.
func EdgeFromTopic(topic string) (string, bool) {
	rest, ok := strings.CutPrefix(topic, TopicPrefix)
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "/")
	return id, ok && ValidID(id) == nil
}

// ValidID checks an edge, line or station id: 1-64 of [A-Za-z0-9_.-].
func ValidID(id string) error {
	if id == "" {
		return errors.New("must not be empty")
	}
	if len(id) > 64 {
		return errors.New("must be at most 64 characters")
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Errorf("must use only letters, digits, '_', '-' and '.', found %q", r)
		}
	}
	return nil
}

// MaxBatchBytes bounds a batch payload; central refuses larger ones.
const MaxBatchBytes = 4 << 20

// DecodeBatch parses and checks a batch payload received on topic for edge.
// Every problem is reported with the field that has it; nothing is partially
// accepted: a batch is valid as a whole or refused.
func DecodeBatch(edgeID string, payload []byte) (Batch, error) {
	if len(payload) > MaxBatchBytes {
		return Batch{}, fmt.Errorf("batch: payload of %d bytes exceeds %d", len(payload), MaxBatchBytes)
	}
	// What edges write takes the fast path; anything else, encoding/json.
	b, ok := decodeFast(payload)
	if !ok {
		b = Batch{}
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			// One bad event (a count of 1e12, invalid UTF-8) must not
			// refuse its neighbours: try the events one by one.
			var ok bool
			if b, ok = decodeEventByEvent(payload); !ok {
				return b, fmt.Errorf("batch: %w", err)
			}
		}
	}
	if b.Version != Version {
		return b, fmt.Errorf("batch: field v: unsupported version %d (want %d)", b.Version, Version)
	}
	if b.EdgeID != edgeID {
		return b, fmt.Errorf("batch: field edge_id: %q does not match topic edge %q", b.EdgeID, edgeID)
	}
	if len(b.Events) == 0 {
		return b, errors.New("batch: field events: empty")
	}
	// Only what makes the batch as a whole unusable is checked here: the
	// sequence numbers that the ack range is made of. Each event's content is
	// judged by Screen, one by one.
	var errs []error
	for i := range b.Events {
		if b.Events[i].Seq == 0 {
			errs = append(errs, fmt.Errorf("batch: events[%d].seq: must be at least 1", i))
		}
		if i > 0 && b.Events[i].Seq <= b.Events[i-1].Seq {
			errs = append(errs, fmt.Errorf("batch: events[%d].seq: %d not above previous %d", i, b.Events[i].Seq, b.Events[i-1].Seq))
		}
	}
	return b, errors.Join(errs...)
}

// Timestamps further than this from the receiver's clock are absurd: a PLC
// clock a day ahead, or one still in 1970, is not to be trusted with
// attribution.
const (
	MaxFutureSkew = 24 * time.Hour
	MaxAge        = 366 * 24 * time.Hour
)

// Screen is ScreenWith at the default Limits, returning what an Ack
// carries of the refused events.
func (b *Batch) Screen(now time.Time, allowLine func(line string) bool) (valid []Event, rejected []Rejection) {
	valid, refused := b.ScreenWith(now, Limits{}, allowLine)
	return valid, Rejections(refused)
}

// Validate checks one event's fields at the default Limits.
func (e *Event) Validate() error { return e.ValidateWith(Limits{}) }

// ValidateWith checks one event's fields and holds them to lim.
func (e *Event) ValidateWith(lim Limits) error { return e.validate(lim.withDefaults()) }

// validate is ValidateWith for limits with their defaults filled in.
func (e *Event) validate(lim Limits) error {
	errs := e.checkBounds(lim)
	if err := ValidID(e.EdgeID); err != nil {
		errs = append(errs, fmt.Errorf("edge_id: %w", err))
	}
	if e.Seq == 0 {
		errs = append(errs, errors.New("seq: must be at least 1"))
	}
	if err := ValidID(e.Line); err != nil {
		errs = append(errs, fmt.Errorf("line: %w", err))
	}
	if e.SourceTime.IsZero() {
		errs = append(errs, errors.New("ts: missing"))
	}
	n := 0
	for _, set := range []bool{e.Count != nil, e.State != nil, e.Scan != nil, e.QC != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, fmt.Errorf("type %q: exactly one of count, state, scan, qc must be set, found %d", e.Type, n))
	}
	switch e.Type {
	case TypeCount:
		if c := e.Count; c != nil {
			if c.Counter == "" {
				errs = append(errs, errors.New("count.counter: missing"))
			}
		} else {
			errs = append(errs, errors.New("count: missing for type count"))
		}
	case TypeState:
		if s := e.State; s != nil {
			ok := false
			for _, v := range ValidStates {
				ok = ok || s.State == v
			}
			if !ok {
				errs = append(errs, fmt.Errorf("state.state: %q is not one of %s", s.State, strings.Join(ValidStates, ", ")))
			}
		} else {
			errs = append(errs, errors.New("state: missing for type state"))
		}
	case TypeScan:
		if e.Scan == nil || e.Scan.Code == "" {
			errs = append(errs, errors.New("scan.code: missing"))
		}
	case TypeQC:
		if e.QC == nil || e.QC.Characteristic == "" {
			errs = append(errs, errors.New("qc.characteristic: missing"))
		}
	default:
		errs = append(errs, fmt.Errorf("type: %q is not one of count, state, scan, qc", e.Type))
	}
	return errors.Join(errs...)
}

// AppendJSON appends the event's JSON, byte for byte what json.Marshal
// writes, at a fraction of its cost for the events that dominate the
// volume (count and state, with plain strings); any other event is
// written by json.Marshal itself.
func (e *Event) AppendJSON(dst []byte) ([]byte, error) {
	if _, off := e.SourceTime.Zone(); e.Scan != nil || e.QC != nil || !plain(e.EdgeID) || !plain(e.Line) || !plain(e.Type) ||
		off != 0 || e.SourceTime.Year() < 0 || e.SourceTime.Year() > 9999 {
		return marshalAppend(dst, e)
	}
	if _, off := e.DeviceTime.Zone(); !e.DeviceTime.IsZero() && (off != 0 || e.DeviceTime.Year() < 0 || e.DeviceTime.Year() > 9999) {
		return marshalAppend(dst, e)
	}
	if c := e.Count; c != nil && (!plain(c.Counter) || c.Refused != "") {
		return marshalAppend(dst, e)
	}
	if s := e.State; s != nil && (!plain(s.State) || !plain(s.Reason) || !plain(s.Raw)) {
		return marshalAppend(dst, e)
	}
	dst = append(dst, `{"edge_id":"`...)
	dst = append(dst, e.EdgeID...)
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = append(dst, `,"line":"`...)
	dst = append(dst, e.Line...)
	dst = append(dst, `","type":"`...)
	dst = append(dst, e.Type...)
	dst = append(dst, `","ts":"`...)
	dst = e.SourceTime.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	if c := e.Count; c != nil {
		dst = append(dst, `,"count":{"counter":"`...)
		dst = append(dst, c.Counter...)
		dst = append(dst, `","good":`...)
		dst = strconv.AppendInt(dst, c.Good, 10)
		dst = append(dst, `,"reject":`...)
		dst = strconv.AppendInt(dst, c.Reject, 10)
		dst = append(dst, `,"raw":`...)
		dst = strconv.AppendUint(dst, c.Raw, 10)
		if c.Reset {
			dst = append(dst, `,"reset":true`...)
		}
		if c.Wraps != 0 {
			dst = append(dst, `,"wraps":`...)
			dst = strconv.AppendInt(dst, int64(c.Wraps), 10)
		}
		if c.Ambiguous {
			dst = append(dst, `,"ambiguous":true`...)
		}
		if c.AltParts != 0 {
			dst = append(dst, `,"alt_parts":`...)
			dst = strconv.AppendUint(dst, c.AltParts, 10)
		}
		dst = append(dst, '}')
	}
	if s := e.State; s != nil {
		dst = append(dst, `,"state":{"state":"`...)
		dst = append(dst, s.State...)
		dst = append(dst, '"')
		if s.Reason != "" {
			dst = append(dst, `,"reason":"`...)
			dst = append(dst, s.Reason...)
			dst = append(dst, '"')
		}
		if s.Raw != "" {
			dst = append(dst, `,"raw":"`...)
			dst = append(dst, s.Raw...)
			dst = append(dst, '"')
		}
		dst = append(dst, '}')
	}
	if !e.DeviceTime.IsZero() {
		dst = append(dst, `,"device_ts":"`...)
		dst = e.DeviceTime.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, '"')
	}
	if e.ClockOffsetMS != 0 {
		dst = append(dst, `,"clock_offset_ms":`...)
		dst = strconv.AppendInt(dst, e.ClockOffsetMS, 10)
	}
	return append(dst, '}'), nil
}

func marshalAppend(dst []byte, e *Event) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// plain reports whether json.Marshal writes s as it is, between quotes:
// printable ASCII without the characters it escapes.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
