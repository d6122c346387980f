package domain

import (
	"strings"
	"testing"
	"time"
)

func TestParseWeekdays(t *testing.T) {
	for _, c := range []struct {
		in, canonical string
		sat           bool
	}{
		{"", "", true},
		{"Mon-Fri", "Mon-Fri", false},
		{"mon-fri", "Mon-Fri", false},
		{"Monday - Friday", "Mon-Fri", false},
		{"Mon,Wed,Fri", "Mon,Wed,Fri", false},
		{" Fri , Mon ,Wed", "Mon,Wed,Fri", false},
		{"Mon-Thu, Sat", "Mon-Thu,Sat", true},
		{"Sat,Sun", "Sat,Sun", true},
		{"Fri-Mon", "Mon,Fri-Sun", true},
		{"Mon-Sun", "", true},
		{"Sun", "Sun", false},
		{"Tue,Wed", "Tue,Wed", false},
	} {
		w, err := ParseWeekdays(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if w.String() != c.canonical || CanonicalDays(c.in) != c.canonical {
			t.Errorf("%q: canonical %q, want %q", c.in, w.String(), c.canonical)
		}
		if w.Has(time.Saturday) != c.sat {
			t.Errorf("%q: Saturday %v, want %v", c.in, w.Has(time.Saturday), c.sat)
		}
		// The canonical spelling reads back as the same set.
		if back, err := ParseWeekdays(w.String()); err != nil || back != w {
			t.Errorf("%q: %q reads back as %v, %v", c.in, w.String(), back, err)
		}
	}
	for _, bad := range []string{"Mo-Fr", "Mon-", "Mon,,Fri", "weekdays", "1-5"} {
		if _, err := ParseWeekdays(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	errs := CheckShift(Shift{Line: "L1", Name: "day", Start: "06:00", End: "14:00", Days: "Mo-Fr"})
	if len(errs) != 1 || errs[0].Field != "days" || !strings.Contains(errs[0].Rule, `"Mo" is not a day`) {
		t.Errorf("CheckShift: %v", errs)
	}
}
