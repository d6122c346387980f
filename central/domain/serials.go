package domain

import (
	"regexp"
	"strconv"
	"time"
)

// SerialConfig says whether a product is serial-tracked: each part made
// gets a serial, scanned at the station (a code starting with Prefix) or
// generated there (Prefix + a six-digit sequence, Next being the next one).
type SerialConfig struct {
	Product string `json:"product"`
	Tracked bool   `json:"tracked"`
	Prefix  string `json:"prefix"`
	Next    int64  `json:"next,omitempty"`
}

// Serial is one serial-tracked part: made by a work order (of an order, on
// a line), in the lot the order's finished goods were booked into (empty
// until then).
type Serial struct {
	Serial    string    `json:"serial"`
	Product   string    `json:"product"`
	WorkOrder string    `json:"work_order"`
	Order     string    `json:"order"`
	Line      string    `json:"line"`
	Lot       string    `json:"lot,omitempty"`
	Source    string    `json:"source"` // scanned | generated
	Station   string    `json:"station,omitempty"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
}

// Serial sources.
const (
	SerialScanned   = "scanned"
	SerialGenerated = "generated"
)

// SerialRequest registers serials for a work order: the scanned Serials,
// or Generate new ones (at most MaxSerialsAtOnce either way).
type SerialRequest struct {
	Serials  []string `json:"serials"`
	Generate int      `json:"generate"`
	Station  string   `json:"-"`
}

// MaxSerialsAtOnce bounds one registration.
const MaxSerialsAtOnce = 1000

var serialRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$`)
var prefixRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$`)

// CheckSerial: 1-60 letters, digits, '.', '_' or '-', starting with a
// letter or digit (a serial is a path segment and a barcode).
func CheckSerial(field, s string) error {
	if !serialRE.MatchString(s) {
		return Invalid(field, "must be 1-60 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}

// CheckSerialConfig: a tracked product needs a prefix (how a station tells
// a serial from other codes); a prefix is 1-30 of a serial's characters.
func CheckSerialConfig(c SerialConfig) error {
	if c.Prefix != "" && !prefixRE.MatchString(c.Prefix) {
		return Invalid("prefix", "must be 1-30 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if c.Tracked && c.Prefix == "" {
		return Invalid("prefix", "a serial-tracked product needs a prefix: the station knows a scanned serial by it")
	}
	return nil
}

// CheckSerialRequest: either serials or generate, within bounds.
func CheckSerialRequest(r SerialRequest) error {
	switch {
	case len(r.Serials) > 0 && r.Generate != 0:
		return Invalid("generate", "give serials or generate, not both")
	case len(r.Serials) == 0 && r.Generate == 0:
		return Invalid("serials", "give the scanned serials, or generate: how many to make")
	case r.Generate < 0 || r.Generate > MaxSerialsAtOnce:
		return Invalid("generate", "must be from 1 to %d", MaxSerialsAtOnce)
	case len(r.Serials) > MaxSerialsAtOnce:
		return Invalid("serials", "at most %d at once", MaxSerialsAtOnce)
	}
	seen := map[string]bool{}
	for i, s := range r.Serials {
		f := "serials[" + strconv.Itoa(i) + "]"
		if err := CheckSerial(f, s); err != nil {
			return err
		}
		if seen[s] {
			return Invalid(f, "serial %s is listed twice", s)
		}
		seen[s] = true
	}
	return nil
}

// SerialKeepers may register serials outside a station: supervisors and
// admins (operators register them at the station).
func SerialKeepers() []Role { return []Role{RoleSupervisor, RoleAdmin} }
