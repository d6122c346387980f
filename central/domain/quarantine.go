package domain

import "time"

// QuarantinedEvent is an edge event central refused one by one (issue #10):
// a count above the ceiling or negative, a time outside the accepted
// window, an oversized or invalid string, a line the edge does not own, a
// delta the edge itself found impossible. It was acknowledged to the edge
// so it never blocks the outbox, and it changed no count. Raw is the event
// as received (or as central re-encoded it), for a person to judge.
type QuarantinedEvent struct {
	EdgeID     string     `json:"edge_id"`
	Seq        uint64     `json:"seq"`
	Line       string     `json:"line"`
	Type       string     `json:"type"`
	SourceTime *time.Time `json:"source_time,omitempty"` // absent when the event's time was impossible
	ReceivedAt time.Time  `json:"received_at"`
	Reason     string     `json:"reason"`
	Raw        string     `json:"raw"`
	// WorkOrder is the work order the event had been counted for, for
	// events migration 0260 moved out of the counts; empty otherwise.
	WorkOrder string `json:"work_order,omitempty"`
	Origin    string `json:"origin"` // "ingest" or "migration"
}

// QuarantineFilter narrows a list of quarantined events, newest first;
// zero values do not filter.
type QuarantineFilter struct {
	Line   string
	Edge   string
	Limit  int
	Offset int
}
