package domain

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// EventQuery selects stored events of one line, newest source time first
// (ties by edge id and sequence, both descending, so the order is total).
// Zero fields select everything: From and To bound the source time
// [From, To); After continues a listing after the last event of the
// previous page.
type EventQuery struct {
	Line      string
	Type      string // count, state, scan or qc; "" is every type
	WorkOrder string // events attributed to this work order; "" is any
	From, To  time.Time
	After     *EventCursor
	Limit     int
}

// EventCursor is the position of one event in the listing order.
type EventCursor struct {
	SourceTime time.Time
	EdgeID     string
	Seq        uint64
}

// CursorOf is the cursor of e.
func CursorOf(e EventRecord) EventCursor {
	return EventCursor{SourceTime: e.SourceTime, EdgeID: e.EdgeID, Seq: e.Seq}
}

// Encode renders the cursor as an opaque URL-safe token.
func (c EventCursor) Encode() string {
	raw := strconv.FormatInt(c.SourceTime.UnixNano(), 10) + "." + strconv.FormatUint(c.Seq, 10) + "." + c.EdgeID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ErrBadCursor: a cursor token that Encode did not make.
var ErrBadCursor = errors.New("not a cursor this API returned")

// DecodeCursor reads a token Encode made.
func DecodeCursor(s string) (EventCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return EventCursor{}, ErrBadCursor
	}
	parts := strings.SplitN(string(raw), ".", 3)
	if len(parts) != 3 || parts[2] == "" {
		return EventCursor{}, ErrBadCursor
	}
	ns, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseUint(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return EventCursor{}, ErrBadCursor
	}
	return EventCursor{SourceTime: time.Unix(0, ns).UTC(), EdgeID: parts[2], Seq: seq}, nil
}
