package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/reports"
)

// OEEStore is what the OEE report reads (central/store implements it).
type OEEStore interface {
	oee.Source
}

func (s *Server) registerOEE() {
	s.handle(http.MethodGet, "/api/v1/lines/:id/oee", s.lineOEE, Authenticated,
		"a line's OEE to ISO 22400-2 (availability, performance, quality, TEEP, the six big losses, downtime by reason, per work order and product) over from..to (RFC 3339, at most 31 days) or ?period=shift|day|week|month&date=YYYY-MM-DD[&shift=NAME] in the plant's time zone (reports.day_start; a week from Monday, a month from the 1st); default the current shift", anyRole...)
	s.kiosk("/api/v1/lines/:id/oee") // the dashboard's OEE row
	s.handle(http.MethodGet, "/api/v1/lines/:id/states", s.lineStates, Authenticated,
		"a line's state intervals (run, breakdown, small_stop, idle, setup, planned_stop, no_data) with reason, length, the part in planned busy time and the work order, over the same periods as /oee; &class= filters (comma-separated)", anyRole...)
	s.handle(http.MethodGet, "/api/v1/reports/daily", s.dailyReport, Authenticated,
		"the plant day's production and OEE (?date=YYYY-MM-DD; default the current plant day): per line the day's figures, losses, downtime by reason and products, and each shift starting that day; plant totals from summed times and parts; the production part (planned vs actual per line and product, scrap by reason, downtime Pareto, labour hours, orders completed and at risk). Computed when asked from the data so far; what was stored at the day's end, with its revisions, is /api/v1/reports/stored", anyRole...)
	s.handle(http.MethodGet, "/api/v1/reports/daily.xlsx", s.dailyXLSX, Authenticated,
		"the daily report as XLSX (?date=YYYY-MM-DD; the stored report's latest revision, or ?revision=N; a day not stored yet is computed now; &shift=NAME: that stored shift report's workbook), in the request's language: the lines' days and shifts with units, plant totals and the six losses; the production part (planned vs actual per line and product, scrap by reason, labour hours, orders completed and at risk); downtime by line and reason; the downtime Pareto with its chart; a chart sheet of OEE by line", anyRole...)
}

func (s *Server) dailyReport(c echo.Context) error {
	r, err := s.dayReport(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// dayReport computes the daily production report a request asks for: the
// OEE part, and the production part where the store has it.
func (s *Server) dayReport(c echo.Context) (reports.DayReport, error) {
	r, err := s.daily(c)
	if err != nil {
		return reports.DayReport{}, err
	}
	src, ok := s.opts.Store.(reports.ProductionSource)
	if !ok {
		return reports.DayReport{DailyReport: r}, nil
	}
	cfg := s.reports()
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return reports.DayReport{}, err
	}
	d, err := time.ParseInLocation(time.DateOnly, r.Date, loc)
	if err != nil {
		return reports.DayReport{}, err
	}
	w, err := oee.Day(d, loc, cfg.DayStart)
	if err != nil {
		return reports.DayReport{}, err
	}
	dr, err := reports.Day(c.Request().Context(), src, r, w.Start, w.End)
	if err != nil {
		return reports.DayReport{}, err
	}
	return dr, nil
}

// daily computes the daily report a request asks for (reports_xlsx.go too).
func (s *Server) daily(c echo.Context) (oee.DailyReport, error) {
	src, ok := s.opts.Store.(OEEStore)
	if !ok {
		return oee.DailyReport{}, &Problem{Status: http.StatusNotImplemented, Detail: "this store cannot compute OEE"}
	}
	date := c.QueryParam("date")
	if date != "" {
		if _, err := time.Parse("2006-01-02", date); err != nil {
			return oee.DailyReport{}, invalid("date", "date must be a day YYYY-MM-DD, got "+quoteShort(date))
		}
	}
	ctx := c.Request().Context()
	ls, err := s.opts.Store.ListLines(ctx)
	if err != nil {
		return oee.DailyReport{}, err
	}
	ids := make([]string, 0, len(ls))
	for _, l := range ls {
		ids = append(ids, l.ID)
	}
	return oee.NewService(src, s.reports()).Daily(ctx, ids, date, s.opts.Now())
}

// reports is the reports configuration in force.
func (s *Server) reports() oee.Config {
	if s.opts.Reports != nil {
		return *s.opts.Reports
	}
	return oee.DefaultConfig()
}

// oeeRequest reads the line and the period of an OEE or states request.
func (s *Server) oeeRequest(c echo.Context) (*oee.Service, string, oee.PeriodQuery, error) {
	src, ok := s.opts.Store.(OEEStore)
	if !ok {
		return nil, "", oee.PeriodQuery{}, &Problem{Status: http.StatusNotImplemented, Detail: "this store cannot compute OEE"}
	}
	q := oee.PeriodQuery{Kind: c.QueryParam("period"), Date: c.QueryParam("date"), Shift: c.QueryParam("shift")}
	fromV, toV := c.QueryParam("from"), c.QueryParam("to")
	if fromV != "" || toV != "" {
		if q.Kind != "" || q.Date != "" || q.Shift != "" {
			return nil, "", q, invalid("period", "give either from and to, or period with date and shift, not both")
		}
		for _, p := range []struct {
			field, v, other string
			t               *time.Time
		}{{"from", fromV, "to", &q.From}, {"to", toV, "from", &q.To}} {
			if p.v == "" {
				return nil, "", q, invalid(p.field, p.field+" is required with "+p.other)
			}
			t, err := time.Parse(time.RFC3339Nano, p.v)
			if err != nil {
				return nil, "", q, invalid(p.field, p.field+" must be an RFC 3339 time like 2026-03-02T06:00:00Z, got "+quoteShort(p.v))
			}
			*p.t = t
		}
		q.Kind = oee.PeriodRange
	} else {
		switch q.Kind {
		case "":
			q.Kind = oee.PeriodShift
		case oee.PeriodShift, oee.PeriodDay, oee.PeriodWeek, oee.PeriodMonth:
		default:
			return nil, "", q, invalid("period", "period must be shift, day, week or month (a range is given by from and to), got "+quoteShort(q.Kind))
		}
		if q.Kind != oee.PeriodShift && q.Shift != "" {
			return nil, "", q, invalid("shift", "shift goes with period=shift, not period="+q.Kind)
		}
	}
	line := c.Param("id")
	if _, err := src.GetLine(c.Request().Context(), line); errors.Is(err, domain.ErrNotFound) {
		return nil, "", q, &Problem{Status: http.StatusNotFound, Field: "id", Detail: "line " + line + " does not exist"}
	} else if err != nil {
		return nil, "", q, err
	}
	return oee.NewService(src, s.reports()), line, q, nil
}

func (s *Server) lineOEE(c echo.Context) error {
	svc, line, q, err := s.oeeRequest(c)
	if err != nil {
		return err
	}
	r, err := svc.Line(c.Request().Context(), line, q, s.opts.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

var intervalClasses = []string{oee.ClassRun, oee.ClassBreakdown, oee.ClassSmallStop, oee.ClassIdle, oee.ClassSetup, oee.ClassPlannedStop, oee.ClassNoData}

func (s *Server) lineStates(c echo.Context) error {
	want := map[string]bool{}
	if v := c.QueryParam("class"); v != "" {
		for _, cl := range strings.Split(v, ",") {
			known := false
			for _, k := range intervalClasses {
				known = known || k == cl
			}
			if !known {
				return invalid("class", "class must be among "+strings.Join(intervalClasses, ", ")+", got "+quoteShort(cl))
			}
			want[cl] = true
		}
	}
	svc, line, q, err := s.oeeRequest(c)
	if err != nil {
		return err
	}
	r, err := svc.States(c.Request().Context(), line, q, s.opts.Now())
	if err != nil {
		return err
	}
	if len(want) > 0 {
		kept := r.Intervals[:0]
		for _, iv := range r.Intervals {
			if want[iv.Class] {
				kept = append(kept, iv)
			}
		}
		r.Intervals = kept
	}
	return c.JSON(http.StatusOK, r)
}
