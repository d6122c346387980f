package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
)

// OEEStore is what the OEE report reads (central/store implements it).
type OEEStore interface {
	oee.Source
}

func (s *Server) registerOEE() {
	s.handle(http.MethodGet, "/api/v1/lines/:id/oee", s.lineOEE, Authenticated,
		"a line's OEE to ISO 22400-2 (availability, performance, quality, TEEP, the six big losses, downtime by reason, per work order and product) over from..to (RFC 3339, at most 31 days) or ?period=shift|day&date=YYYY-MM-DD[&shift=NAME] in the plant's time zone (reports.day_start); default the current shift", anyRole...)
	s.kiosk("/api/v1/lines/:id/oee") // the dashboard's OEE row
}

// reports is the reports configuration in force.
func (s *Server) reports() oee.Config {
	if s.opts.Reports != nil {
		return *s.opts.Reports
	}
	return oee.DefaultConfig()
}

func (s *Server) lineOEE(c echo.Context) error {
	src, ok := s.opts.Store.(OEEStore)
	if !ok {
		return &Problem{Status: http.StatusNotImplemented, Detail: "this store cannot compute OEE"}
	}
	q := oee.PeriodQuery{Kind: c.QueryParam("period"), Date: c.QueryParam("date"), Shift: c.QueryParam("shift")}
	fromV, toV := c.QueryParam("from"), c.QueryParam("to")
	if fromV != "" || toV != "" {
		if q.Kind != "" || q.Date != "" || q.Shift != "" {
			return invalid("period", "give either from and to, or period with date and shift, not both")
		}
		for _, p := range []struct {
			field, v string
			t        *time.Time
		}{{"from", fromV, &q.From}, {"to", toV, &q.To}} {
			if p.v == "" {
				return invalid(p.field, p.field+" is required with "+map[string]string{"from": "to", "to": "from"}[p.field])
			}
			t, err := time.Parse(time.RFC3339Nano, p.v)
			if err != nil {
				return invalid(p.field, p.field+" must be an RFC 3339 time like 2026-03-02T06:00:00Z, got "+quoteShort(p.v))
			}
			*p.t = t
		}
		q.Kind = oee.PeriodRange
	} else {
		switch q.Kind {
		case "":
			q.Kind = oee.PeriodShift
		case oee.PeriodShift, oee.PeriodDay:
		default:
			return invalid("period", "period must be shift or day (a range is given by from and to), got "+quoteShort(q.Kind))
		}
		if q.Kind == oee.PeriodDay && q.Shift != "" {
			return invalid("shift", "shift goes with period=shift, not period=day")
		}
	}
	line := c.Param("id")
	ctx := c.Request().Context()
	if _, err := src.GetLine(ctx, line); errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "id", Detail: "line " + line + " does not exist"}
	} else if err != nil {
		return err
	}
	r, err := oee.NewService(src, s.reports()).Line(ctx, line, q, s.opts.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
