// Package reports generates and stores the shift and day reports: at each
// shift's end and each plant day's end (the plant's time zone, the
// configured day start, the shifts of the lines' calendars) the report of
// that period is computed and stored, once. Later changes of the figures (a
// late batch, a count re-attributed, a stop whose end is now known) add a
// new revision; a stored revision is never rewritten.
//
// Exactly once across restarts and replicas: every tick looks back
// CatchUp for periods that ended and have no stored report (so a boundary
// passed while central was down is caught up at start), and a revision is
// stored with INSERT ... ON CONFLICT DO NOTHING on (kind, date, shift,
// revision), so two generators computing the same revision store one row.
package reports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/store"
)

// Kinds of stored report.
const (
	KindShift = "shift"
	KindDay   = "day"
)

// Store is what the generator reads and writes.
type Store interface {
	oee.Source
	ListLines(ctx context.Context) ([]domain.LineView, error)
	InsertStoredReport(ctx context.Context, r store.StoredReport) (bool, error)
	StoredReportRevision(ctx context.Context, kind, date, shift string, rev int) (store.StoredReport, error)
	FirstEventAt(ctx context.Context) (time.Time, bool, error)
}

// ShiftReport is the stored report of one shift: each line's figures over
// the shift of that name starting on the plant day, and the plant's totals.
type ShiftReport struct {
	Date  string      `json:"date"`
	Shift string      `json:"shift"`
	From  time.Time   `json:"from"`
	To    time.Time   `json:"to"`
	Lines []ShiftLine `json:"lines"`
	Plant oee.Totals  `json:"plant"`
}

// ShiftLine is one line's shift.
type ShiftLine struct {
	Line     string `json:"line"`
	Timezone string `json:"timezone"`
	oee.ShiftResult
}

// Generator stores the reports of periods as they end.
type Generator struct {
	st         Store
	cfg        oee.Config
	log        *slog.Logger
	lastRevise time.Time
	firstEvent time.Time // the earliest event known; periods that end before it get no report
}

// New returns a generator over st with the reports configuration cfg.
func New(st Store, cfg oee.Config, log *slog.Logger) *Generator {
	if cfg.CatchUp <= 0 {
		cfg.CatchUp = 7 * 24 * time.Hour
	}
	if cfg.ReviseWindow <= 0 {
		cfg.ReviseWindow = 48 * time.Hour
	}
	if cfg.ReviseEvery <= 0 {
		cfg.ReviseEvery = 15 * time.Minute
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Generator{st: st, cfg: cfg, log: log}
}

// Run ticks every minute until ctx ends, the first time at once (the
// catch-up after a start).
func (g *Generator) Run(ctx context.Context, now func() time.Time) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if _, err := g.Tick(ctx, now()); err != nil && ctx.Err() == nil {
			g.log.Warn("stored reports", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick stores the reports of the periods that ended by now and have none,
// and, every ReviseEvery, a new revision of those that ended within
// ReviseWindow whose figures changed. It returns what it stored.
func (g *Generator) Tick(ctx context.Context, now time.Time) ([]store.StoredReport, error) {
	loc, err := time.LoadLocation(g.cfg.Timezone)
	if err != nil {
		return nil, fmt.Errorf("reports: time zone: %w", err)
	}
	revise := g.lastRevise.IsZero() || now.Sub(g.lastRevise) >= g.cfg.ReviseEvery
	ls, err := g.st.ListLines(ctx)
	if err != nil {
		return nil, err
	}
	lines := make([]string, 0, len(ls))
	for _, l := range ls {
		lines = append(lines, l.ID)
	}
	if g.firstEvent.IsZero() || revise {
		at, ok, err := g.st.FirstEventAt(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, nil // nothing reported yet: no period to report on
		}
		g.firstEvent = at
	}
	svc := oee.NewService(g.st, g.cfg)
	var out []store.StoredReport
	// Plant days from CatchUp (and a day more: its night shift) ago to today.
	first := now.Add(-g.cfg.CatchUp - 24*time.Hour).In(loc)
	first = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc)
	for d := first; !d.After(now); d = d.AddDate(0, 0, 1) {
		day, err := oee.Day(d, loc, g.cfg.DayStart)
		if err != nil {
			return out, err
		}
		if day.Start.After(now) {
			break
		}
		if day.End.Add(24 * time.Hour).Before(g.firstEvent) {
			continue // before the plant reported anything (a night shift may reach a day on)
		}
		date := d.Format("2006-01-02")
		recent := now.Sub(day.End) < g.cfg.ReviseWindow+24*time.Hour // a night shift of it may end a day later
		if !recent {
			if _, err := g.st.StoredReportRevision(ctx, KindDay, date, "", 0); err == nil {
				continue // stored, and too old to revise
			} else if !errors.Is(err, domain.ErrNotFound) {
				return out, err
			}
		}
		rep, err := svc.Daily(ctx, lines, date, now)
		if err != nil {
			return out, fmt.Errorf("reports: day %s: %w", date, err)
		}
		for _, c := range candidates(rep, day) {
			if c.to.After(now) || now.Sub(c.to) > g.cfg.CatchUp || !c.to.After(g.firstEvent) {
				continue // not ended, older than the catch-up looks, or before the first event
			}
			mayRevise := revise && now.Sub(c.to) <= g.cfg.ReviseWindow
			r, err := g.store(ctx, c, now, mayRevise)
			if err != nil {
				return out, err
			}
			if r != nil {
				out = append(out, *r)
			}
		}
	}
	if revise {
		g.lastRevise = now
	}
	return out, nil
}

// candidate is a period's report, ready to store.
type candidate struct {
	kind, date, shift string
	from, to          time.Time
	content           any
}

// candidates are the day's report and one per shift name starting in it.
func candidates(rep oee.DailyReport, day oee.Window) []candidate {
	dayTo := day.End
	byName := map[string]*ShiftReport{}
	var names []string
	for _, l := range rep.Lines {
		for _, s := range l.Shifts {
			sr := byName[s.Name]
			if sr == nil {
				sr = &ShiftReport{Date: rep.Date, Shift: s.Name, From: s.From, To: s.To, Lines: []ShiftLine{}}
				byName[s.Name] = sr
				names = append(names, s.Name)
			}
			sr.Lines = append(sr.Lines, ShiftLine{Line: l.Line, Timezone: l.Timezone, ShiftResult: s})
			if s.From.Before(sr.From) {
				sr.From = s.From
			}
			if s.To.After(sr.To) {
				sr.To = s.To
			}
			if s.To.After(dayTo) {
				dayTo = s.To // the day's report holds its night shift whole
			}
		}
	}
	out := []candidate{{kind: KindDay, date: rep.Date, from: day.Start, to: dayTo, content: rep}}
	sort.SliceStable(names, func(i, j int) bool { return byName[names[i]].From.Before(byName[names[j]].From) })
	for _, n := range names {
		sr := byName[n]
		fs := make([]oee.Figures, 0, len(sr.Lines))
		for _, l := range sr.Lines {
			fs = append(fs, l.Figures)
		}
		sr.Plant = oee.TotalsOf(fs)
		out = append(out, candidate{kind: KindShift, date: rep.Date, shift: n, from: sr.From, to: sr.To, content: sr})
	}
	return out
}

// store stores c as revision 1 if the period has no report, else (if
// mayRevise) as the next revision if its figures differ from the latest.
func (g *Generator) store(ctx context.Context, c candidate, now time.Time, mayRevise bool) (*store.StoredReport, error) {
	latest, err := g.st.StoredReportRevision(ctx, c.kind, c.date, c.shift, 0)
	missing := errors.Is(err, domain.ErrNotFound)
	if err != nil && !missing {
		return nil, err
	}
	if !missing && !mayRevise {
		return nil, nil
	}
	body, err := json.Marshal(c.content)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	r := store.StoredReport{Kind: c.kind, Date: c.date, Shift: c.shift, Revision: 1, From: c.from, To: c.to,
		GeneratedAt: now, Reason: "generated at the end of the period", Hash: hex.EncodeToString(sum[:]), Content: body}
	if now.Sub(c.to) > 2*time.Minute && missing {
		r.Reason = fmt.Sprintf("generated late (central was not running at the end of the period, %s)", c.to.UTC().Format(time.RFC3339))
	}
	if !missing {
		if latest.Hash == r.Hash {
			return nil, nil
		}
		r.Revision = latest.Revision + 1
		r.Reason = fmt.Sprintf("the figures changed after revision %d (late or corrected data)", latest.Revision)
	}
	ok, err := g.st.InsertStoredReport(ctx, r)
	if err != nil || !ok {
		return nil, err
	}
	g.log.Info("stored report", "kind", r.Kind, "date", r.Date, "shift", r.Shift, "revision", r.Revision)
	return &r, nil
}
