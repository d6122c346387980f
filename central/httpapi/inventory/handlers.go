package inventory

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

func (a *api) listLocations(c echo.Context) error {
	ls, err := a.Store.ListLocations(ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ls)
}

func (a *api) getLocation(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	l, err := a.Store.GetLocation(ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

// locationBody is what a client sends; timestamps are the server's.
type locationBody struct {
	ID            string              `json:"id"`
	Name          string              `json:"name"`
	Kind          domain.LocationKind `json:"kind"`
	Warehouse     string              `json:"warehouse"`
	LineID        string              `json:"line"`
	AllowNegative bool                `json:"allow_negative"`
	Disabled      bool                `json:"disabled"`
}

func (b locationBody) location() domain.Location {
	return domain.Location{ID: b.ID, Name: b.Name, Kind: b.Kind, Warehouse: b.Warehouse, LineID: b.LineID,
		AllowNegative: b.AllowNegative, Disabled: b.Disabled}
}

func (a *api) createLocation(c echo.Context) error {
	var b locationBody
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	l, err := a.Store.CreateLocation(ctx(c), b.location(), a.actor(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/locations/"+l.ID)
	return c.JSON(http.StatusCreated, l)
}

func (a *api) putLocation(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var b locationBody
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	if b.ID != "" && b.ID != id {
		return domain.Invalid("id", "must be the path's id %s or left out", id)
	}
	b.ID = id
	l, err := a.Store.UpdateLocation(ctx(c), b.location(), a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

func (a *api) deleteLocation(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.Store.DeleteLocation(ctx(c), id, a.actor(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type unitsJSON struct {
	Material    string                  `json:"material"`
	Unit        string                  `json:"unit"`
	Conversions []domain.UnitConversion `json:"conversions"`
}

func (a *api) getUnits(c echo.Context) error {
	code, err := pathID(c, "code")
	if err != nil {
		return err
	}
	base, cs, err := a.Store.Units(ctx(c), code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, unitsJSON{Material: code, Unit: base, Conversions: cs})
}

func (a *api) putUnits(c echo.Context) error {
	code, err := pathID(c, "code")
	if err != nil {
		return err
	}
	cs := []domain.UnitConversion{}
	if err := a.Bind(c, &cs); err != nil {
		return err
	}
	if err := a.Store.ReplaceUnits(ctx(c), code, cs, a.actor(c)); err != nil {
		return err
	}
	return a.getUnits(c)
}

func (a *api) listLots(c echo.Context) error {
	var f domain.LotFilter
	var err error
	if f.Material, err = code(c, "material"); err != nil {
		return err
	}
	if v := c.QueryParam("status"); v != "" {
		if f.Status, err = oneOf("status", v, []domain.LotStatus{domain.LotQuarantine, domain.LotReleased, domain.LotBlocked, domain.LotConsumed}); err != nil {
			return err
		}
	}
	if f.SupplierLot, err = supplierLot(c); err != nil {
		return err
	}
	if f.Limit, err = limit(c); err != nil {
		return err
	}
	if f.After, err = cursor(c); err != nil {
		return err
	}
	ls, err := a.Store.ListLots(ctx(c), f)
	if err != nil {
		return err
	}
	nextPage(c, len(ls), f.Limit, func() string { return ls[len(ls)-1].ID })
	return c.JSON(http.StatusOK, ls)
}

func (a *api) getLot(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	l, err := a.Store.GetLot(ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

func (a *api) lotStatus(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var b domain.LotStatusChange
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	l, err := a.Store.SetLotStatus(ctx(c), id, b, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

func (a *api) book(t domain.MovementType) echo.HandlerFunc {
	return func(c echo.Context) error {
		// The quantity comes as json.Number so a bad one is refused
		// naming its field (a decoder error would name only the body).
		var b struct {
			domain.MovementRequest
			Quantity json.Number `json:"quantity"`
		}
		if err := a.Bind(c, &b); err != nil {
			return err
		}
		m := b.MovementRequest
		m.Type = t
		if b.Quantity == "" {
			return domain.Invalid("quantity", "is required")
		}
		q, err := domain.ParseQty(string(b.Quantity))
		if err != nil {
			return domain.Invalid("quantity", "%v", err)
		}
		m.Quantity = q
		mv, err := a.Store.Book(ctx(c), m, a.actor(c))
		if err != nil {
			return err
		}
		if mv.Replayed {
			// The same client_id again: the first answer, nothing booked.
			c.Response().Header().Set("Idempotent-Replayed", "true")
			return c.JSON(http.StatusOK, mv)
		}
		return c.JSON(http.StatusCreated, mv)
	}
}

func (a *api) listMovements(c echo.Context) error {
	f, err := movementFilter(c)
	if err != nil {
		return err
	}
	ms, err := a.Store.ListMovements(ctx(c), f)
	if err != nil {
		return err
	}
	nextPage(c, len(ms), f.Limit, func() string { return ms[len(ms)-1].ID })
	return c.JSON(http.StatusOK, ms)
}

func movementFilter(c echo.Context) (domain.MovementFilter, error) {
	var f domain.MovementFilter
	var err error
	if v := c.QueryParam("type"); v != "" {
		if f.Type, err = oneOf("type", v, domain.MovementTypes()); err != nil {
			return f, err
		}
	}
	for _, p := range []struct {
		name string
		to   *string
	}{{"material", &f.Material}, {"lot", &f.Lot}, {"location", &f.Location}, {"work_order", &f.WorkOrder}, {"order", &f.Order}} {
		if *p.to, err = code(c, p.name); err != nil {
			return f, err
		}
	}
	if f.From, err = timeParam(c, "from"); err != nil {
		return f, err
	}
	if f.To, err = timeParam(c, "to"); err != nil {
		return f, err
	}
	if f.Limit, err = limit(c); err != nil {
		return f, err
	}
	if f.After, err = cursor(c); err != nil {
		return f, err
	}
	return f, nil
}

func (a *api) stock(c echo.Context) error {
	f, err := stockFilter(c)
	if err != nil {
		return err
	}
	bs, err := a.Store.Stock(ctx(c), f)
	if err != nil {
		return err
	}
	nextPage(c, len(bs), f.Limit, func() string { return bs[len(bs)-1].Cursor() })
	return c.JSON(http.StatusOK, bs)
}

func stockFilter(c echo.Context) (domain.StockFilter, error) {
	var f domain.StockFilter
	var err error
	for _, p := range []struct {
		name string
		to   *string
	}{{"material", &f.Material}, {"lot", &f.Lot}, {"location", &f.Location}} {
		if *p.to, err = code(c, p.name); err != nil {
			return f, err
		}
	}
	switch v := c.QueryParam("zero"); v {
	case "", "false":
	case "true":
		f.WithZero = true
	default:
		return f, domain.Invalid("zero", "must be true or false")
	}
	if f.Limit, err = limit(c); err != nil {
		return f, err
	}
	if f.After, err = cursor(c); err != nil {
		return f, err
	}
	return f, nil
}

func (a *api) trace(forward bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		lot := c.QueryParam("lot")
		if sn := c.QueryParam("serial"); sn != "" && lot == "" {
			if err := domain.CheckSerial("serial", sn); err != nil {
				return err
			}
			if !forward {
				tree, err := a.Store.BackwardSerial(ctx(c), sn)
				if err != nil {
					return fmt.Errorf("trace: %w", err)
				}
				return c.JSON(http.StatusOK, tree)
			}
			x, err := a.Store.GetSerial(ctx(c), sn)
			if err != nil {
				return err
			}
			if x.Lot == "" {
				return &domain.FieldError{Field: "serial", Rule: "serial " + sn + " has no lot yet: order " + x.Order + " booked no finished goods", Conflict: true}
			}
			tree, err := a.Store.Forward(ctx(c), x.Lot)
			if err != nil {
				return fmt.Errorf("trace: %w", err)
			}
			tree.Serial = sn
			return c.JSON(http.StatusOK, tree)
		}
		if lot == "" {
			return domain.Invalid("lot", "query parameter lot (or serial) is required")
		}
		if err := domain.ValidNumber("lot", lot); err != nil {
			return err
		}
		get := a.Store.Backward
		if forward {
			get = a.Store.Forward
		}
		tree, err := get(ctx(c), lot)
		if err != nil {
			return fmt.Errorf("trace: %w", err)
		}
		return c.JSON(http.StatusOK, tree)
	}
}

func (a *api) availability(c echo.Context) error {
	number, err := pathID(c, "number")
	if err != nil {
		return err
	}
	av, err := a.Store.Availability(ctx(c), number)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, av)
}

func (a *api) count(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var b domain.CycleCount
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	r, err := a.Store.Count(ctx(c), id, b, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (a *api) getLevels(c echo.Context) error {
	code, err := pathID(c, "code")
	if err != nil {
		return err
	}
	ls, err := a.Store.StockLevels(ctx(c), code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ls)
}

func (a *api) putLevels(c echo.Context) error {
	code, err := pathID(c, "code")
	if err != nil {
		return err
	}
	ls := []domain.StockLevel{}
	if err := a.Bind(c, &ls); err != nil {
		return err
	}
	if err := a.Store.ReplaceStockLevels(ctx(c), code, ls, a.actor(c)); err != nil {
		return err
	}
	return a.getLevels(c)
}

func (a *api) stockAlerts(c echo.Context) error {
	as, err := a.Store.StockAlerts(ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, as)
}

func (a *api) consumption(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := a.Store.Consumption(ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
