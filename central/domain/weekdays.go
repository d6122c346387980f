package domain

import (
	"fmt"
	"strings"
	"time"
)

// Weekdays is a set of days of the week (bit i is time.Weekday(i)); the
// zero value means every day, so a shift written before days existed keeps
// working every day.
type Weekdays uint8

// AllWeekdays is every day, spelled out.
const AllWeekdays Weekdays = 1<<7 - 1

var weekdayNames = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// mondayFirst is the order days are written in: the working week first.
var mondayFirst = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func weekdayByName(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range weekdayNames {
		full := strings.ToLower(time.Weekday(i).String())
		if s == strings.ToLower(n) || s == full {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// ParseWeekdays reads a day list: "" (every day), names ("Mon", "monday";
// any case), ranges ("Mon-Fri"; one that wraps, "Fri-Mon", is Fri, Sat,
// Sun, Mon) and commas between them ("Mon,Wed,Fri", "Mon-Thu, Sat").
func ParseWeekdays(s string) (Weekdays, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	var w Weekdays
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, ok := weekdayByName(from)
		if !ok {
			return 0, fmt.Errorf("%q is not a day (Mon Tue Wed Thu Fri Sat Sun)", strings.TrimSpace(from))
		}
		b := a
		if isRange {
			if b, ok = weekdayByName(to); !ok {
				return 0, fmt.Errorf("%q is not a day (Mon Tue Wed Thu Fri Sat Sun)", strings.TrimSpace(to))
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			w |= 1 << d
			if d == b {
				break
			}
		}
	}
	if w == AllWeekdays {
		return 0, nil
	}
	return w, nil
}

// Has reports whether d is in the set (the zero set has every day).
func (w Weekdays) Has(d time.Weekday) bool { return w == 0 || w&(1<<d) != 0 }

// String is the canonical spelling: "" for every day, else runs of three or
// more days as ranges, Monday first ("Mon-Fri", "Mon,Wed,Fri", "Mon-Thu,Sat").
func (w Weekdays) String() string {
	if w == 0 || w == AllWeekdays {
		return ""
	}
	var parts []string
	for i := 0; i < 7; {
		if !w.Has(mondayFirst[i]) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && w.Has(mondayFirst[j+1]) {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, weekdayNames[mondayFirst[i]]+"-"+weekdayNames[mondayFirst[j]])
		case j == i+1:
			parts = append(parts, weekdayNames[mondayFirst[i]], weekdayNames[mondayFirst[j]])
		default:
			parts = append(parts, weekdayNames[mondayFirst[i]])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// CanonicalDays returns a day list in its canonical spelling, or s itself
// if it does not parse (CheckShift reports that).
func CanonicalDays(s string) string {
	w, err := ParseWeekdays(s)
	if err != nil {
		return s
	}
	return w.String()
}
