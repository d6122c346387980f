package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/reports"
)

// dailyXLSX serves GET /api/v1/reports/daily.xlsx: the daily report as a
// workbook a manager sends on (reports.WriteDayXLSX), in the request's
// language. A day with a stored report gives that (the latest revision,
// or ?revision=N); a day not stored yet is computed from the data so far
// and says so in its second row.
func (s *Server) dailyXLSX(c echo.Context) error {
	if c.QueryParam("shift") != "" {
		return s.shiftXLSX(c)
	}
	r, stamp, err := s.dayForXLSX(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := reports.WriteDayXLSX(&b, r, requestLang(c), stamp); err != nil {
		return fmt.Errorf("daily report %s as xlsx: %w", r.Date, err)
	}
	name := "daily-" + r.Date
	if stamp.Revision > 1 {
		name += "-r" + strconv.Itoa(stamp.Revision)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.xlsx"`)
	return c.Blob(http.StatusOK, xlsxType, b.Bytes())
}

// dayForXLSX is the stored day report the request names, else the day
// computed now.
func (s *Server) dayForXLSX(c echo.Context) (reports.DayReport, reports.Stamp, error) {
	cfg := s.reports()
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return reports.DayReport{}, reports.Stamp{}, err
	}
	date, revV := c.QueryParam("date"), c.QueryParam("revision")
	rev := 0
	if revV != "" {
		if rev, err = strconv.Atoi(revV); err != nil || rev < 1 {
			return reports.DayReport{}, reports.Stamp{}, invalid("revision", "revision must be a whole number from 1, got "+quoteShort(revV))
		}
		if date == "" {
			return reports.DayReport{}, reports.Stamp{}, invalid("date", "date is required with revision")
		}
	}
	if st, ok := s.opts.Store.(StoredReportStore); ok && date != "" {
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return reports.DayReport{}, reports.Stamp{}, invalid("date", "date must be a day YYYY-MM-DD, got "+quoteShort(date))
		}
		sr, err := st.StoredReportRevision(c.Request().Context(), reports.KindDay, date, "", rev)
		switch {
		case err == nil:
			var r reports.DayReport
			if err := json.Unmarshal(sr.Content, &r); err != nil {
				return reports.DayReport{}, reports.Stamp{}, fmt.Errorf("stored day report %s revision %d: %w", date, sr.Revision, err)
			}
			return r, reports.Stamp{Revision: sr.Revision, GeneratedAt: sr.GeneratedAt, Location: loc}, nil
		case !errors.Is(err, domain.ErrNotFound) || rev > 0:
			return reports.DayReport{}, reports.Stamp{}, err
		}
	}
	r, err := s.dayReport(c)
	return r, reports.Stamp{GeneratedAt: s.opts.Now(), Location: loc}, err
}

// shiftXLSX serves daily.xlsx?date=&shift=NAME: the stored report of that
// shift (latest revision, or ?revision=N) as a workbook.
func (s *Server) shiftXLSX(c echo.Context) error {
	st, err := s.storedStore()
	if err != nil {
		return err
	}
	date, shift := c.QueryParam("date"), c.QueryParam("shift")
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return invalid("date", "date must be a day YYYY-MM-DD (required with shift), got "+quoteShort(date))
	}
	rev := 0
	if v := c.QueryParam("revision"); v != "" {
		if rev, err = strconv.Atoi(v); err != nil || rev < 1 {
			return invalid("revision", "revision must be a whole number from 1, got "+quoteShort(v))
		}
	}
	sr, err := st.StoredReportRevision(c.Request().Context(), reports.KindShift, date, shift, rev)
	if err != nil {
		return err
	}
	var r reports.ShiftReport
	if err := json.Unmarshal(sr.Content, &r); err != nil {
		return fmt.Errorf("stored shift report %s %s revision %d: %w", date, shift, sr.Revision, err)
	}
	loc, err := time.LoadLocation(s.reports().Timezone)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := reports.WriteShiftXLSX(&b, r, requestLang(c), reports.Stamp{Revision: sr.Revision, GeneratedAt: sr.GeneratedAt, Location: loc}); err != nil {
		return fmt.Errorf("shift report %s %s as xlsx: %w", date, shift, err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="shift-`+date+`-`+url.PathEscape(shift)+`-r`+strconv.Itoa(sr.Revision)+`.xlsx"`)
	return c.Blob(http.StatusOK, xlsxType, b.Bytes())
}
