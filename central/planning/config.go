package planning

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/schedule"
)

// Shift is a working window, in the calendar's time zone, on the days Days
// names ("Mon-Fri", "Mon,Wed,Fri"; "" is every day). An End not after
// Start crosses midnight ("00:00"–"00:00" is the whole day) and belongs to
// the day it starts on.
type Shift struct {
	Start string `yaml:"start"` // "06:00"
	End   string `yaml:"end"`   // "14:00"
	Days  string `yaml:"days"`  // see domain.ParseWeekdays
}

// Stop is a planned stop of one line (maintenance, a holiday).
type Stop struct {
	Line  string    `yaml:"line"`
	Start time.Time `yaml:"start"`
	End   time.Time `yaml:"end"`
}

// Config tunes planning; the yaml tags are the keys under "planning".
type Config struct {
	// Budget bounds one scheduler run's wall time.
	Budget time.Duration `yaml:"budget"`
	// MaxIterations bounds the search (0: only the budget bounds it).
	MaxIterations int `yaml:"max_iterations"`
	// Seed makes the search's random choices reproducible.
	Seed uint64 `yaml:"seed"`
	// FreezeHorizon: work starting before now + this does not move. Zero
	// fields of a Config take DefaultConfig's values.
	FreezeHorizon time.Duration `yaml:"freeze_horizon"`
	// RepairTime is how long a line that is down is expected to stay down.
	RepairTime time.Duration `yaml:"repair_time"`
	// CalendarDays is how far ahead line calendars are laid out.
	CalendarDays int `yaml:"calendar_days"`
	// Timezone of the shifts (IANA name; "" is UTC).
	Timezone string `yaml:"timezone"`
	// Shifts every line works each day; unset means the default two shifts,
	// an empty list means around the clock.
	Shifts []Shift `yaml:"shifts"`
	// LineShifts overrides Shifts for the named lines.
	LineShifts map[string][]Shift `yaml:"line_shifts"`
	// PlannedStops cut working time out of line calendars.
	PlannedStops []Stop `yaml:"planned_stops"`
	// Changeover is the setup between two different product families on a
	// line (a product's family in master data, else its code). A line with
	// a changeover matrix in master data (PUT /api/v1/lines/{id}/changeovers,
	// the changeovers import) is planned with that instead; a pair of
	// families its matrix does not list still takes this.
	Changeover time.Duration `yaml:"changeover"`
	// Alternates lists, per line, other lines that can run its work.
	Alternates map[string][]string `yaml:"alternates"`

	// Poll is how often line states are checked for triggers.
	Poll time.Duration `yaml:"poll"`
	// BehindAttainment (percent) and BehindMinExpected: a line whose
	// running work order has attainment below the first, with more than the
	// second parts expected, is behind plan.
	BehindAttainment  float64 `yaml:"behind_attainment"`
	BehindMinExpected int64   `yaml:"behind_min_expected"`
	// Cooldown is the least time between two automatic proposals for a line.
	Cooldown time.Duration `yaml:"cooldown"`
	// ProposalTTL: a proposal pending longer expires (it can no longer be
	// approved and blocks nothing).
	ProposalTTL time.Duration `yaml:"proposal_ttl"`
	// Auto turns the automatic proposals on.
	Auto bool `yaml:"auto"`
}

// DefaultConfig: 800 ms budget, 1 h frozen, 30 min repair, two shifts
// 06:00–14:00 and 14:00–22:00 UTC, 15 min changeover, triggers on.
func DefaultConfig() Config {
	return Config{
		Budget:            800 * time.Millisecond,
		FreezeHorizon:     time.Hour,
		RepairTime:        30 * time.Minute,
		CalendarDays:      28,
		Shifts:            []Shift{{Start: "06:00", End: "14:00"}, {Start: "14:00", End: "22:00"}},
		Changeover:        15 * time.Minute,
		Poll:              5 * time.Second,
		BehindAttainment:  85,
		BehindMinExpected: 50,
		Cooldown:          15 * time.Minute,
		ProposalTTL:       30 * time.Minute,
		Auto:              true,
	}
}

// withDefaults fills the zero fields with DefaultConfig's values, so a
// Config literal that sets only what it cares about works (Auto stays as set).
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Budget == 0 {
		c.Budget = d.Budget
	}
	if c.FreezeHorizon == 0 {
		c.FreezeHorizon = d.FreezeHorizon
	}
	if c.RepairTime == 0 {
		c.RepairTime = d.RepairTime
	}
	if c.CalendarDays == 0 {
		c.CalendarDays = d.CalendarDays
	}
	if c.Shifts == nil {
		c.Shifts = d.Shifts
	}
	if c.Poll == 0 {
		c.Poll = d.Poll
	}
	if c.BehindAttainment == 0 {
		c.BehindAttainment = d.BehindAttainment
	}
	if c.BehindMinExpected == 0 {
		c.BehindMinExpected = d.BehindMinExpected
	}
	return c
}

// Validate reports every problem at once, each naming its key under planning.
func (c *Config) Validate() error {
	var errs []error
	add := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("planning.%s: %s", key, fmt.Sprintf(format, a...)))
	}
	if c.Budget < 0 {
		add("budget", "must not be negative")
	}
	if c.MaxIterations < 0 {
		add("max_iterations", "must not be negative")
	}
	if c.FreezeHorizon < 0 {
		add("freeze_horizon", "must not be negative")
	}
	if c.RepairTime < 0 {
		add("repair_time", "must not be negative")
	}
	if c.CalendarDays < 0 || c.CalendarDays > 366 {
		add("calendar_days", "must be from 1 to 366")
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		add("timezone", "%v", err)
	}
	checkShifts := func(key string, ss []Shift) {
		for i, s := range ss {
			_, err1 := clock(s.Start)
			_, err2 := clock(s.End)
			if err1 != nil {
				add(fmt.Sprintf("%s[%d].start", key, i), "%v", err1)
			}
			if err2 != nil {
				add(fmt.Sprintf("%s[%d].end", key, i), "%v", err2)
			}
			if _, err := domain.ParseWeekdays(s.Days); err != nil {
				add(fmt.Sprintf("%s[%d].days", key, i), "%v", err)
			}
		}
	}
	checkShifts("shifts", c.Shifts)
	for l, ss := range c.LineShifts {
		checkShifts("line_shifts."+l, ss)
	}
	for i, s := range c.PlannedStops {
		if s.Line == "" {
			add(fmt.Sprintf("planned_stops[%d].line", i), "is required")
		}
		if !s.End.After(s.Start) {
			add(fmt.Sprintf("planned_stops[%d].end", i), "must be after start")
		}
	}
	if c.Changeover < 0 {
		add("changeover", "must not be negative")
	}
	if c.Poll < 0 {
		add("poll", "must not be negative")
	}
	if c.BehindAttainment < 0 || c.BehindAttainment > 100 {
		add("behind_attainment", "must be a percentage from 0 to 100")
	}
	if c.BehindMinExpected < 0 {
		add("behind_min_expected", "must not be negative")
	}
	if c.Cooldown < 0 {
		add("cooldown", "must not be negative")
	}
	if c.ProposalTTL < time.Minute {
		add("proposal_ttl", "must be at least 1m")
	}
	return errors.Join(errs...)
}

// clock parses "HH:MM" into the offset from midnight.
func clock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// lineCalendar is a line's calendar from master data.
type lineCalendar struct {
	shifts []Shift
	loc    *time.Location // the site's time zone; nil: the configured one
	stops  []domain.PlannedStop
	// changeovers is the line's matrix from master data; nil: none, the
	// configured Changeover applies.
	changeovers map[schedule.FamilyPair]time.Duration
}

// masterCalendars is master data's calendars by line.
type masterCalendars map[string]lineCalendar

// masterCalendars reads the lines' calendars and their sites' time zones.
// A shift that does not parse (the store validates them, so only a row
// written around the API) is logged and skipped rather than failing every
// plan.
func (s *Service) masterCalendars(ctx context.Context, lines []domain.LineView) (masterCalendars, error) {
	cals, err := s.st.Calendars(ctx)
	if err != nil {
		return nil, err
	}
	sites, err := s.st.ListSites(ctx)
	if err != nil {
		return nil, err
	}
	zones := map[string]*time.Location{}
	for _, st := range sites {
		if st.Timezone == "" {
			continue
		}
		if loc, err := time.LoadLocation(st.Timezone); err == nil {
			zones[st.ID] = loc
		}
	}
	siteOf := map[string]string{}
	for _, l := range lines {
		siteOf[l.ID] = l.Site
	}
	out := masterCalendars{}
	for _, c := range cals {
		lc := lineCalendar{loc: zones[siteOf[c.Line]], stops: c.Stops}
		for _, sh := range c.Shifts {
			_, err1 := clock(sh.Start)
			_, err2 := clock(sh.End)
			_, err3 := domain.ParseWeekdays(sh.Days)
			if err1 != nil || err2 != nil || err3 != nil {
				s.log.Warn("skipping a shift that does not parse", "line", c.Line, "shift", sh.Name, "start", sh.Start, "end", sh.End, "days", sh.Days)
				continue
			}
			lc.shifts = append(lc.shifts, Shift{Start: sh.Start, End: sh.End, Days: sh.Days})
		}
		out[c.Line] = lc
	}
	cos, err := s.st.Changeovers(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, co := range cos {
		lc := out[co.Line]
		if lc.changeovers == nil {
			lc.changeovers = map[schedule.FamilyPair]time.Duration{}
		}
		lc.changeovers[schedule.FamilyPair{From: co.From, To: co.To}] = co.Setup
		out[co.Line] = lc
	}
	return out, nil
}
