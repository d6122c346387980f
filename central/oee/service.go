package oee

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/devices/configerr"
)

// Facts is what the store holds about a line for a period: its state
// changes (with the last before and the first after the period), count
// events by source time, work-order runs overlapping it, and the ideal
// cycle of each product those name, on this line.
type Facts struct {
	States     []StateChange
	Counts     []Count
	Runs       []Run
	IdealCycle map[string]time.Duration
}

// Source is the store as the service reads it.
type Source interface {
	OEEFacts(ctx context.Context, line string, from, to time.Time) (Facts, error)
	GetLine(ctx context.Context, id string) (domain.Line, error)
	GetSite(ctx context.Context, id string) (domain.Site, error)
	Calendar(ctx context.Context, line string) (domain.LineCalendar, error)
}

// Config tunes the reports; the yaml tags are the keys under "reports".
type Config struct {
	// DayStart is when a plant day begins, wall clock in the plant's time
	// zone ("08:00": the day of 2 March runs 08:00 2 March to 08:00 3 March).
	DayStart string `yaml:"day_start"`
	// SmallStop: a down interval shorter than this is a small stop, a
	// longer one a breakdown.
	SmallStop time.Duration `yaml:"small_stop"`
	// Startup: rejects within this wall time after a changeover (or the
	// first run of a shift) are startup rejects.
	Startup time.Duration `yaml:"startup"`
	// Reasons maps reason codes to text, category and planned/unplanned.
	Reasons ReasonMap `yaml:"reasons"`

	// Stored shift and day reports (central/reports): a period that ended
	// at most CatchUp ago and has no stored report gets one (so a report
	// missed while central was down is made when it starts); a period that
	// ended at most ReviseWindow ago is recomputed every ReviseEvery and
	// stored as a new revision when its figures changed. Zero: 7 days, 48
	// hours, 15 minutes.
	CatchUp      time.Duration `yaml:"catch_up"`
	ReviseWindow time.Duration `yaml:"revise_window"`
	ReviseEvery  time.Duration `yaml:"revise_every"`

	// Timezone, Shifts and LineShifts are the planning configuration's
	// (planning.timezone, planning.shifts, planning.line_shifts), for lines
	// whose master data has no shifts or whose site has no time zone; the
	// program fills them, not YAML. No shifts at all: around the clock.
	Timezone   string                    `yaml:"-"`
	Shifts     []domain.Shift            `yaml:"-"`
	LineShifts map[string][]domain.Shift `yaml:"-"`
}

// DefaultConfig: the day starts at midnight, stops under 5 min are small,
// startup rejects are those in the 10 min after a changeover.
func DefaultConfig() Config {
	return Config{DayStart: "00:00", SmallStop: DefaultSmallStop, Startup: DefaultStartup}
}

var hmRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Validate reports every problem at once, each naming its key under reports.
func (c *Config) Validate() error {
	var errs []error
	add := func(key, format string, a ...any) {
		errs = append(errs, configerr.Field("reports."+key, format, a...))
	}
	if !hmRE.MatchString(c.DayStart) {
		add("day_start", "%q is not a time of day HH:MM (00:00-23:59)", c.DayStart)
	}
	if c.SmallStop < 0 || c.SmallStop > 24*time.Hour {
		add("small_stop", "must be from 0 (the default 5m) to 24h")
	}
	if c.Startup < 0 || c.Startup > 24*time.Hour {
		add("startup", "must be from 0 (the default 10m) to 24h")
	}
	if c.CatchUp < 0 || c.CatchUp > 62*24*time.Hour {
		add("catch_up", "must be from 0 (the default 7 days) to 62 days (1488h)")
	}
	if c.ReviseWindow < 0 || c.ReviseWindow > 31*24*time.Hour {
		add("revise_window", "must be from 0 (the default 48h) to 31 days (744h)")
	}
	if c.ReviseEvery < 0 || (c.ReviseEvery > 0 && c.ReviseEvery < time.Minute) {
		add("revise_every", "must be 0 (the default 15m) or at least 1m")
	}
	codes := make([]string, 0, len(c.Reasons))
	for code := range c.Reasons {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		r := c.Reasons[code]
		if code == "" {
			add("reasons", "a reason code must not be empty")
		}
		if r.Text == "" {
			add("reasons."+code+".text", "is required")
		}
	}
	return errors.Join(errs...)
}

// Service computes a line's OEE over a period from the store.
type Service struct {
	src Source
	cfg Config
}

// NewService returns a service over src.
func NewService(src Source, cfg Config) *Service {
	return &Service{src: src, cfg: cfg}
}

// Period kinds.
const (
	PeriodRange = "range"
	PeriodShift = "shift"
	PeriodDay   = "day"
	PeriodWeek  = "week"  // Monday's plant day to the next Monday's
	PeriodMonth = "month" // the 1st's plant day to the next 1st's
)

// PeriodQuery asks for a period: From and To, or a Kind (shift or day) on a
// Date ("" is the current one) and, for a shift, its Shift name ("" is the
// one running now, else the last one that ended).
type PeriodQuery struct {
	Kind     string
	From, To time.Time
	Date     string // YYYY-MM-DD in the plant's time zone
	Shift    string
}

// Period is a resolved report period.
type Period struct {
	Kind  string    `json:"kind"`
	Date  string    `json:"date,omitempty"`
	Shift string    `json:"shift,omitempty"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
}

// Report is a line's OEE over a period.
type Report struct {
	Line     string `json:"line"`
	Period   Period `json:"period"`
	Timezone string `json:"timezone"`
	Result
}

// MaxRange bounds a period, so one call cannot read years of events.
const MaxRange = 31 * 24 * time.Hour

// calendar is a line's shifts, planned stops and time zone.
type calendar struct {
	shifts []domain.Shift
	stops  []Window
	loc    *time.Location
}

func (s *Service) calendar(ctx context.Context, line string) (calendar, error) {
	l, err := s.src.GetLine(ctx, line)
	if err != nil {
		return calendar{}, err
	}
	zone := s.cfg.Timezone
	if l.Site != "" {
		site, err := s.src.GetSite(ctx, l.Site)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return calendar{}, err
		}
		if site.Timezone != "" {
			zone = site.Timezone
		}
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return calendar{}, fmt.Errorf("oee: time zone of line %s: %w", line, err)
	}
	cal, err := s.src.Calendar(ctx, line)
	if err != nil {
		return calendar{}, err
	}
	c := calendar{shifts: cal.Shifts, loc: loc}
	if len(c.shifts) == 0 { // master data wins over the configuration, as in planning
		c.shifts = s.cfg.Shifts
		if ls, ok := s.cfg.LineShifts[line]; ok {
			c.shifts = ls
		}
	}
	for _, st := range cal.Stops {
		c.stops = append(c.stops, Window{st.Start, st.End})
	}
	return c, nil
}

// StateReport is a line's state intervals over a period.
type StateReport struct {
	Line      string     `json:"line"`
	Period    Period     `json:"period"`
	Timezone  string     `json:"timezone"`
	Intervals []Interval `json:"intervals"`
}

// Line computes the OEE of line over the period q asks for, as of now.
func (s *Service) Line(ctx context.Context, line string, q PeriodQuery, now time.Time) (Report, error) {
	in, p, zone, err := s.input(ctx, line, q, now)
	if err != nil {
		return Report{}, err
	}
	return Report{Line: line, Period: p, Timezone: zone, Result: Compute(in)}, nil
}

// States lists line's state intervals over the period q asks for, as of now.
func (s *Service) States(ctx context.Context, line string, q PeriodQuery, now time.Time) (StateReport, error) {
	in, p, zone, err := s.input(ctx, line, q, now)
	if err != nil {
		return StateReport{}, err
	}
	return StateReport{Line: line, Period: p, Timezone: zone, Intervals: Intervals(in)}, nil
}

// input reads what the computation needs for the period q asks for.
func (s *Service) input(ctx context.Context, line string, q PeriodQuery, now time.Time) (Input, Period, string, error) {
	cal, err := s.calendar(ctx, line)
	if err != nil {
		return Input{}, Period{}, "", err
	}
	p, err := s.resolve(q, cal, now)
	if err != nil {
		return Input{}, Period{}, "", err
	}
	in := Input{From: p.From, To: p.To, Now: now, PlannedStops: cal.stops, Reasons: s.cfg.Reasons, SmallStop: s.cfg.SmallStop,
		Startup: s.cfg.Startup, AroundTheClock: len(cal.shifts) == 0}
	if !in.AroundTheClock {
		ws, err := ShiftWindows(cal.shifts, cal.loc, p.From, p.To)
		if err != nil {
			return Input{}, Period{}, "", err
		}
		for _, w := range ws {
			in.Shifts = append(in.Shifts, w.Window)
		}
	}
	facts, err := s.facts(ctx, line, in)
	if err != nil {
		return Input{}, Period{}, "", err
	}
	in.States, in.Counts, in.Runs, in.IdealCycle = facts.States, facts.Counts, facts.Runs, facts.IdealCycle
	return in, p, cal.loc.String(), nil
}

func fieldErr(field, rule string) error { return &domain.FieldError{Field: field, Rule: rule} }

// resolve turns a query into a period in the line's calendar.
func (s *Service) resolve(q PeriodQuery, cal calendar, now time.Time) (Period, error) {
	switch q.Kind {
	case PeriodRange:
		if !q.To.After(q.From) {
			return Period{}, fieldErr("to", "must be after from")
		}
		if q.To.Sub(q.From) > MaxRange {
			return Period{}, fieldErr("to", "the range from..to must be at most 31 days")
		}
		return Period{Kind: PeriodRange, From: q.From.UTC(), To: q.To.UTC()}, nil
	case PeriodDay, PeriodShift, PeriodWeek, PeriodMonth:
	default:
		return Period{}, fieldErr("period", "must be shift, day, week or month (or give from and to)")
	}
	var date time.Time
	if q.Date != "" {
		d, err := time.ParseInLocation("2006-01-02", q.Date, cal.loc)
		if err != nil {
			return Period{}, fieldErr("date", fmt.Sprintf("%q is not a date YYYY-MM-DD", q.Date))
		}
		date = d
	}
	if q.Kind != PeriodShift {
		if date.IsZero() { // the plant day holding now
			date = now.In(cal.loc)
			if w, err := Day(date, cal.loc, s.cfg.DayStart); err == nil && w.Start.After(now) {
				date = date.AddDate(0, 0, -1)
			}
		}
		first, days := date, 1
		switch q.Kind {
		case PeriodWeek:
			first = date.AddDate(0, 0, -((int(date.Weekday()) + 6) % 7)) // its Monday
			days = 7
		case PeriodMonth:
			first = time.Date(date.Year(), date.Month(), 1, 0, 0, 0, 0, cal.loc)
			days = first.AddDate(0, 1, -1).Day() // the month's last day
		}
		w, err := Day(first, cal.loc, s.cfg.DayStart)
		if err != nil {
			return Period{}, err
		}
		last, err := Day(first.AddDate(0, 0, days-1), cal.loc, s.cfg.DayStart)
		if err != nil {
			return Period{}, err
		}
		return Period{Kind: q.Kind, Date: first.Format("2006-01-02"), From: w.Start, To: last.End}, nil
	}
	if len(cal.shifts) == 0 {
		return Period{}, fieldErr("period", "the line works around the clock (no shifts in master data or planning): ask for a day or a range")
	}
	if date.IsZero() {
		return s.currentShift(cal, now)
	}
	if q.Shift == "" {
		return Period{}, fieldErr("shift", "is required with a date (a shift name of the line, or its start HH:MM)")
	}
	day := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, cal.loc)
	ws, err := ShiftWindows(cal.shifts, cal.loc, day, day.AddDate(0, 0, 1))
	if err != nil {
		return Period{}, err
	}
	for _, w := range ws {
		start := w.Start.In(cal.loc)
		if start.Year() == date.Year() && start.YearDay() == date.YearDay() && (w.Name == q.Shift || start.Format("15:04") == q.Shift) {
			return Period{Kind: PeriodShift, Date: q.Date, Shift: w.Name, From: w.Start, To: w.End}, nil
		}
	}
	return Period{}, fieldErr("shift", fmt.Sprintf("line has no shift %q starting on %s", q.Shift, q.Date))
}

// currentShift is the shift holding now, else the last one that ended.
func (s *Service) currentShift(cal calendar, now time.Time) (Period, error) {
	ws, err := ShiftWindows(cal.shifts, cal.loc, now.AddDate(0, 0, -8), now.Add(time.Minute))
	if err != nil {
		return Period{}, err
	}
	var pick *ShiftWindow
	for i := range ws {
		w := &ws[i]
		if !w.Start.After(now) && (pick == nil || !w.Start.Before(pick.Start)) {
			pick = w
		}
	}
	if pick == nil {
		return Period{}, fieldErr("period", "the line has had no shift in the last week")
	}
	return Period{Kind: PeriodShift, Date: pick.Start.In(cal.loc).Format("2006-01-02"), Shift: pick.Name, From: pick.Start, To: pick.End}, nil
}
