package domain

import "time"

// Station report kinds: what an operator reports by hand at a station of a
// line without a PLC (or whose PLC does not say it).
const (
	ReportOutput  = "output"   // good and scrap parts for the running work order
	ReportStop    = "stop"     // the line stopped (breakdown or planned stop) with a reason
	ReportStopEnd = "stop_end" // the stop is over
)

// StationReport is one manual report. It becomes one event of the
// station's own event source (StationEdgeID) with sequence number Seq, so
// ingest treats it exactly as a machine's event.
type StationReport struct {
	EdgeID    string    `json:"edge_id"`
	Seq       uint64    `json:"seq"`
	ClientID  string    `json:"client_id"`
	Station   string    `json:"station"`
	Line      string    `json:"line"`
	WorkOrder string    `json:"work_order,omitempty"`
	Kind      string    `json:"kind"`
	Good      int64     `json:"good,omitempty"`
	Reject    int64     `json:"reject,omitempty"`
	State     string    `json:"state,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
}

// StationEdgePrefix starts the event source id of a station's manual
// reports; central's configuration refuses an edge id that starts with it.
const StationEdgePrefix = "station."

// StationEdgeID is the event source of a station's manual reports.
func StationEdgeID(station string) string { return StationEdgePrefix + station }

// CheckOutput validates an output report's quantities and scrap reason.
func CheckOutput(good, reject int64, reason string) error {
	const most = 1_000_000
	switch {
	case good < 0 || good > most:
		return Invalid("good", "must be a whole number from 0 to %d", most)
	case reject < 0 || reject > most:
		return Invalid("scrap", "must be a whole number from 0 to %d", most)
	case good+reject == 0:
		return Invalid("good", "report at least one good or scrapped part")
	case reject > 0 && reason == "":
		return Invalid("reason", "a scrap quantity needs its reason")
	}
	if e := CheckText("reason", reason, 200); e != nil {
		return e
	}
	return nil
}
