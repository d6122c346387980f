package domain

import (
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// Input limits. Every string, quantity, duration and time that enters
// central (JSON, query and path parameters, CSV and XLSX imports) is held
// to these, so nothing downstream has to fear a NUL byte (PostgreSQL
// refuses it), a time UnixNano cannot hold (the store keeps nanoseconds),
// or a quantity × cycle time that overflows time.Duration.
const (
	// MaxQuantity is the largest order, work order or scrap quantity.
	MaxQuantity = 1_000_000_000
	// MaxDuration bounds one cycle, setup or changeover time.
	MaxDuration = 7 * 24 * time.Hour
	// MaxWork bounds quantity × ideal cycle time of one order's operation,
	// far below time.Duration's 292 years so sums of a few stay exact.
	MaxWork = 50 * 365 * 24 * time.Hour
	// MaxText is the length of a free-text field that sets no limit of its
	// own (comments, reasons, search strings), in characters.
	MaxText = 2000
)

// MinTime and MaxTime bound every time central accepts: the store keeps
// Unix nanoseconds, which cannot hold a year after 2262.
var (
	MinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// TextRule says what is wrong with s as text of at most max characters
// (runes, so a Chinese name gets as many as a Latin one), or "" if
// nothing is: it must be valid UTF-8 without NUL or other control
// characters but tab, line feed and carriage return. Names, references
// and units are held to it (a control character breaks exports).
func TextRule(s string, max int) string { return textRule(s, max, true) }

// RawTextRule is TextRule allowing control characters but NUL: what any
// string may carry, such as a raw barcode (GS1 codes hold GS, 0x1D).
func RawTextRule(s string, max int) string { return textRule(s, max, false) }

func textRule(s string, max int, noControls bool) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text"
	}
	for _, r := range s {
		switch {
		case r == 0:
			return "must not contain NUL (\\u0000) characters"
		case noControls && (r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f):
			return fmt.Sprintf("must not contain control characters (found U+%04X)", r)
		}
	}
	if max > 0 {
		if n := utf8.RuneCountInString(s); n > max {
			return fmt.Sprintf("must be at most %d characters (has %d)", max, n)
		}
	}
	return ""
}

// CheckText is TextRule as a field error (nil when s is fine).
func CheckText(field, s string, max int) *FieldError {
	if rule := TextRule(s, max); rule != "" {
		return &FieldError{Field: field, Rule: rule}
	}
	return nil
}

// TimeRule says what is wrong with t as a time central stores, or "".
func TimeRule(t time.Time) string {
	if t.Before(MinTime) || !t.Before(MaxTime) {
		return fmt.Sprintf("must be from %s to before %s (%s is out of range)",
			MinTime.Format("2006-01-02"), MaxTime.Format("2006-01-02"), t.UTC().Format(time.RFC3339))
	}
	return ""
}

// CheckTime is TimeRule as a field error (nil when t is fine).
func CheckTime(field string, t time.Time) *FieldError {
	if rule := TimeRule(t); rule != "" {
		return &FieldError{Field: field, Rule: rule}
	}
	return nil
}

// SecondsRule says what is wrong with s seconds as a duration from min
// seconds to MaxDuration, or "". It is checked on the float, before the
// conversion to nanoseconds could overflow.
func SecondsRule(s, min float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) || s < min || s > MaxDuration.Seconds() {
		return fmt.Sprintf("must be a number of seconds from %g to %g (%s)", min, MaxDuration.Seconds(), MaxDuration)
	}
	return ""
}

// CheckQuantity is a field error unless 1 ≤ q ≤ MaxQuantity.
func CheckQuantity(field string, q int64) *FieldError {
	if q < 1 || q > MaxQuantity {
		return &FieldError{Field: field, Rule: fmt.Sprintf("must be a whole number from 1 to %d", int64(MaxQuantity))}
	}
	return nil
}

// CheckWork is a field error when quantity parts at cycle each take longer
// than MaxWork, which planning could not add up without overflow.
func CheckWork(field string, quantity int64, cycle time.Duration) *FieldError {
	if cycle <= 0 || quantity <= 0 {
		return nil
	}
	if quantity > int64(MaxWork/cycle) {
		return &FieldError{Field: field, Rule: fmt.Sprintf("is too large: %d × a cycle of %s is more than %d years of work; at most %d",
			quantity, cycle, int(MaxWork.Hours()/24/365), int64(MaxWork/cycle))}
	}
	return nil
}
