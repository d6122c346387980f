package oee

import (
	"strconv"
	"strings"
	"time"
)

// Reason is what a reason code means: its text, the category above it in
// the reason tree, and whether a stop for it is planned (taken out of
// planned busy time like a calendar stop).
type Reason struct {
	Text     string `json:"text" yaml:"text"`
	Category string `json:"category" yaml:"category"`
	Planned  bool   `json:"planned" yaml:"planned"`
	// Texts and CategoryTexts are the text and category in other
	// languages, by language (zh-CN): what a station's operator reads.
	Texts         map[string]string `json:"texts,omitempty" yaml:"texts"`
	CategoryTexts map[string]string `json:"category_texts,omitempty" yaml:"category_texts"`
}

// In is the reason's text and category in lang (the configured ones when
// it has none in lang).
func (r Reason) In(lang string) (text, category string) {
	text, category = r.Text, r.Category
	if t := r.Texts[lang]; t != "" {
		text = t
	}
	if c := r.CategoryTexts[lang]; c != "" {
		category = c
	}
	return text, category
}

// ReasonMap maps reason codes (PLC fault codes, operator choices) to reasons.
type ReasonMap map[string]Reason

// NoReason is the label of a stop reported without any reason.
const NoReason = "no reason given"

// resolved is a stop reason as reported and as shown.
type resolved struct {
	Code     string // the first word of the reported reason
	Label    string
	Category string
	Planned  bool
}

// resolve reads a reported reason. The edge sends a bare code ("99") or a
// code with the text its own fault map gave it ("12 jam at infeed"); an
// operator may send text. The map, keyed by code, wins; a bare code that
// nobody mapped reads "unmapped code 99"; any other text is shown as sent;
// nothing at all reads NoReason.
func (m ReasonMap) resolve(reason string) resolved {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return resolved{Label: NoReason}
	}
	code, rest, _ := strings.Cut(reason, " ")
	if r, ok := m[code]; ok {
		label := r.Text
		if label == "" {
			label = reason
		}
		return resolved{Code: code, Label: label, Category: r.Category, Planned: r.Planned}
	}
	if r, ok := m[reason]; ok { // an operator's multi-word choice used as its own key
		return resolved{Code: reason, Label: r.Text, Category: r.Category, Planned: r.Planned}
	}
	if strings.TrimSpace(rest) == "" && looksLikeCode(code) {
		return resolved{Code: code, Label: "unmapped code " + code}
	}
	return resolved{Code: code, Label: reason}
}

// looksLikeCode: digits, optionally after a letter prefix ("99", "E42", "F-7").
func looksLikeCode(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case digits == 0 && i < 3 && (r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '_'):
		default:
			return false
		}
	}
	return digits > 0
}

// ReasonTime is the stop time of one reason in one state, for a Pareto.
type ReasonTime struct {
	State    string `json:"state"` // down, idle or setup
	Code     string `json:"code"`
	Label    string `json:"label"`
	Category string `json:"category"`
	Time     Dur    `json:"time_s"`
	Stops    int    `json:"stops"` // state intervals with this reason that touch the period
}

// Dur is a duration that JSON shows as seconds (a number).
type Dur time.Duration

// MarshalJSON writes seconds.
func (d Dur) MarshalJSON() ([]byte, error) {
	s := strconv.FormatFloat(time.Duration(d).Seconds(), 'f', 3, 64)
	return []byte(strings.TrimRight(strings.TrimRight(s, "0"), ".")), nil
}

// UnmarshalJSON reads seconds.
func (d *Dur) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*d = Dur(f * float64(time.Second))
	return nil
}

// Seconds is d in seconds.
func (d Dur) Seconds() float64 { return time.Duration(d).Seconds() }

// Describe is how a line's current stop reason reads on the dashboard:
// the mapped text (reports.reasons), else the reason as sent when it is
// text; a bare code that nobody mapped gives unmapped true and no text (the
// page says "unmapped code 99" in its language).
func (m ReasonMap) Describe(reason string) (code, text string, unmapped bool) {
	if strings.TrimSpace(reason) == "" {
		return "", "", false
	}
	r := m.resolve(reason)
	if r.Label == "unmapped code "+r.Code {
		return r.Code, "", true
	}
	return r.Code, r.Label, false
}
