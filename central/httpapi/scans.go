package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// ScanStore lists what fixed scanners' scans did (central/scans applies them).
type ScanStore interface {
	StationScans(ctx context.Context, station string, limit int) ([]domain.ScanRecord, error)
}

// stationScans serves GET /api/v1/stations/:id/scans: the scans that
// reached central from the station's fixed scanners through an edge, newest
// first, each with its result (applied, rejected, failed, skipped) and the
// message that says what it did or why it did not apply.
func (s *Server) stationScans(c echo.Context) error {
	st, err := s.station(c)
	if err != nil {
		return err
	}
	limit := 50
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return invalid("limit", "limit must be a whole number from 1 to 1000")
		}
		limit = n
	}
	list, err := s.opts.Store.StationScans(c.Request().Context(), st.ID, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}
