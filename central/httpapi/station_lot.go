package httpapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/throttle"
)

// LotScanResult is what scanning a lot at a station did.
type LotScanResult struct {
	ScanResult
	Load domain.LotLoad `json:"load"`
}

// scanLot loads a scanned component lot for the work order running (or
// paused) on the station's line: the lot's warehouse stock moves to the
// line side, where backflush consumes it with the counts (see
// inventory.Store.LoadLot). A code that is no lot either is unknown.
func (s *Server) scanLot(c echo.Context, st domain.Station, code string, actor domain.Actor, keys []throttle.Key) (any, error) {
	ctx := c.Request().Context()
	if _, err := s.opts.Inventory.GetLot(ctx, code); errors.Is(err, domain.ErrNotFound) {
		// A serial of the running work order's serial-tracked product?
		if res, ok, err := s.scanSerial(c, st, code, actor); ok { // station_serials.go
			return res, err
		}
		s.failed(c, "scans", keys...)
		return nil, &Problem{Status: http.StatusNotFound, Field: "code", Detail: "unknown code " + code + ": not a badge, a work order or a lot"}
	} else if err != nil {
		return nil, err
	}
	views, err := s.opts.Store.ListLines(ctx)
	if err != nil {
		return nil, err
	}
	var active *domain.ActiveWork
	for _, v := range views {
		if v.ID == st.LineID {
			active = v.Active
		}
	}
	if active == nil {
		return nil, &Problem{Status: http.StatusConflict, Field: "code",
			Detail: "lot " + code + " can be loaded only for a running work order: nothing runs on line " + st.LineID + "; scan the work order first"}
	}
	ld, err := s.opts.Inventory.LoadLot(ctx, st.LineID, active.WorkOrderID, code, actor)
	if err != nil {
		if p, ok := apiError(err).(*Problem); ok {
			p.Field = "code"
			return nil, p
		}
		return nil, err
	}
	s.Notify()
	msg := "loaded lot " + ld.Lot + " (" + ld.Material + ") for " + ld.WorkOrder
	if ld.Issued > 0 {
		msg = "issued lot " + ld.Lot + " (" + ld.Material + ") to " + ld.WorkOrder + ": " + ld.Issued.String() + " " + ld.Unit + " from " + ld.Location
	} else if ld.Moved > 0 {
		msg += ": " + ld.Moved.String() + " " + ld.Unit + " to " + ld.Location
	} else {
		msg += ": already at " + ld.Location
	}
	return LotScanResult{ScanResult: ScanResult{Action: string(domain.ScanLoadLot), Operator: actor.Name, Message: msg}, Load: ld}, nil
}

// stationMaterial serves GET /api/v1/stations/:id/material.
func (s *Server) stationMaterial(c echo.Context) error {
	st, err := s.station(c)
	if err != nil {
		return err
	}
	if s.opts.Inventory == nil {
		return c.JSON(http.StatusOK, []domain.Balance{})
	}
	list, err := s.opts.Inventory.LineSide(c.Request().Context(), st.LineID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}
