package domain

import (
	"strings"
	"testing"
	"time"
)

func TestInputLimits(t *testing.T) {
	for _, tc := range []struct {
		s         string
		max       int
		text, raw string // the rules' answers, "" when fine
	}{
		{"Müller 齿轮", 10, "", ""},
		{strings.Repeat("螺", 100), 100, "", ""},
		{strings.Repeat("螺", 101), 100, "must be at most 100 characters (has 101)", "must be at most 100 characters (has 101)"},
		{"a\x00b", 0, "must not contain NUL (\\u0000) characters", "must not contain NUL (\\u0000) characters"},
		{"M\xfcller", 0, "is not valid UTF-8 text", "is not valid UTF-8 text"},
		{"]d2\x1d0104012345678901", 0, "must not contain control characters (found U+001D)", ""},
		{"line one\r\n\tline two", 0, "", ""},
	} {
		if got := TextRule(tc.s, tc.max); got != tc.text {
			t.Errorf("TextRule(%q, %d) = %q, want %q", tc.s, tc.max, got, tc.text)
		}
		if got := RawTextRule(tc.s, tc.max); got != tc.raw {
			t.Errorf("RawTextRule(%q, %d) = %q, want %q", tc.s, tc.max, got, tc.raw)
		}
	}
	for _, tc := range []struct {
		t  time.Time
		ok bool
	}{
		{MinTime, true}, {MinTime.Add(-time.Nanosecond), false},
		{MaxTime.Add(-time.Nanosecond), true}, {MaxTime, false},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		if got := TimeRule(tc.t) == ""; got != tc.ok {
			t.Errorf("TimeRule(%s) fine = %v, want %v", tc.t, got, tc.ok)
		}
		if tc.ok && time.Unix(0, tc.t.UnixNano()).UTC() != tc.t {
			t.Errorf("%s is accepted but does not survive UnixNano", tc.t)
		}
	}
	if CheckQuantity("q", MaxQuantity) != nil || CheckQuantity("q", MaxQuantity+1) == nil || CheckQuantity("q", 0) == nil {
		t.Error("CheckQuantity bounds")
	}
	// The largest quantity at the longest cycle CheckWork admits adds up
	// without overflow, and one more part is refused.
	n := int64(MaxWork / MaxDuration)
	if CheckWork("q", n, MaxDuration) != nil || CheckWork("q", n+1, MaxDuration) == nil {
		t.Errorf("CheckWork at %d × %s", n, MaxDuration)
	}
	if d := time.Duration(n) * MaxDuration; d <= 0 || d > MaxWork {
		t.Errorf("%d × %s = %s", n, MaxDuration, d)
	}
	if CheckWork("q", MaxQuantity, time.Second) != nil {
		t.Error("10^9 parts at 1 s each are 31.7 years: within MaxWork")
	}
}
