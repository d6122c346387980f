package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/store"
)

// StoredReportStore reads the stored shift and day reports (central/reports
// generates them; central/store implements it).
type StoredReportStore interface {
	StoredReports(ctx context.Context, from, to string) ([]store.StoredReport, error)
	StoredReportRevision(ctx context.Context, kind, date, shift string, rev int) (store.StoredReport, error)
}

func (s *Server) registerStoredReports() {
	s.handle(http.MethodGet, "/api/v1/reports/stored", s.storedReports, Authenticated,
		"the stored shift and day reports of the plant days from..to (?from=&to=YYYY-MM-DD, at most 92 days; default the last 7 days), every revision with when and why it was generated, without content", anyRole...)
	s.handle(http.MethodGet, "/api/v1/reports/stored/:kind/:date", s.storedReport, Authenticated,
		"one stored report (kind shift or day, the plant day YYYY-MM-DD, ?shift=NAME for a shift, ?revision=N, default the latest) with its content as generated: the day's report as /reports/daily gives it, or a shift's per line with plant totals", anyRole...)
}

func (s *Server) storedStore() (StoredReportStore, error) {
	st, ok := s.opts.Store.(StoredReportStore)
	if !ok {
		return nil, &Problem{Status: http.StatusNotImplemented, Detail: "this store keeps no stored reports"}
	}
	return st, nil
}

func (s *Server) storedReports(c echo.Context) error {
	st, err := s.storedStore()
	if err != nil {
		return err
	}
	now := s.opts.Now().UTC()
	from, to := now.AddDate(0, 0, -7).Format(time.DateOnly), now.Format(time.DateOnly)
	if v := c.QueryParam("from"); v != "" {
		if _, err = time.Parse(time.DateOnly, v); err != nil {
			return invalid("from", "from must be a day YYYY-MM-DD, got "+quoteShort(v))
		}
		from = v
	}
	if v := c.QueryParam("to"); v != "" {
		if _, err = time.Parse(time.DateOnly, v); err != nil {
			return invalid("to", "to must be a day YYYY-MM-DD, got "+quoteShort(v))
		}
		to = v
	}
	f, _ := time.Parse(time.DateOnly, from)
	t, _ := time.Parse(time.DateOnly, to)
	if t.Before(f) {
		return invalid("to", "to must not be before from")
	}
	if t.Sub(f) > 92*24*time.Hour {
		return invalid("to", "the range from..to must be at most 92 days")
	}
	rs, err := st.StoredReports(c.Request().Context(), from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"from": from, "to": to, "reports": rs})
}

func (s *Server) storedReport(c echo.Context) error {
	st, err := s.storedStore()
	if err != nil {
		return err
	}
	kind, date, shift := c.Param("kind"), c.Param("date"), c.QueryParam("shift")
	switch kind {
	case "day":
		if shift != "" {
			return invalid("shift", "a day report has no shift")
		}
	case "shift":
		if shift == "" {
			return invalid("shift", "is required for a shift report (the shift's name)")
		}
	default:
		return invalid("kind", "kind must be shift or day, got "+quoteShort(kind))
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return invalid("date", "date must be a day YYYY-MM-DD, got "+quoteShort(date))
	}
	rev := 0
	if v := c.QueryParam("revision"); v != "" {
		if rev, err = strconv.Atoi(v); err != nil || rev < 1 {
			return invalid("revision", "revision must be a whole number from 1, got "+quoteShort(v))
		}
	}
	r, err := st.StoredReportRevision(c.Request().Context(), kind, date, shift, rev)
	if err != nil {
		return err
	}
	if !json.Valid(r.Content) {
		r.Content = json.RawMessage("null")
	}
	return c.JSON(http.StatusOK, r)
}
