package inventory

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// serialRoutes: a product's serial tracking, a work order's serials, one
// serial (its trace is /api/v1/trace/backward?serial=).
func (a *api) serialRoutes() []Route {
	return []Route{
		{http.MethodGet, "/api/v1/materials/:code/serials", "whether a product is serial-tracked: tracked, prefix (a station knows a scanned serial by it), next (the next generated number)", nil, a.getSerialConfig},
		{http.MethodPut, "/api/v1/materials/:code/serials", "make a product serial-tracked or not: {tracked, prefix} (a prefix is required when tracked; audited)", []domain.Role{domain.RolePlanner, domain.RoleAdmin}, a.putSerialConfig},
		{http.MethodGet, "/api/v1/work-orders/:id/serials", "a work order's serials in order, with their lot; limit 1-1000, cursor", nil, a.listSerials},
		{http.MethodPost, "/api/v1/work-orders/:id/serials", "register serials for a work order: {serials: [...]} scanned (each with the product's prefix, each new) or {generate: n} from the product's sequence; all or nothing (audited)", domain.SerialKeepers(), a.postSerials},
		{http.MethodGet, "/api/v1/lots/:id/serials", "the serials of the parts in a finished lot (its order's); limit 1-1000, cursor", nil, a.lotSerials},
		{http.MethodGet, "/api/v1/serials/:serial", "a serial: product, work order, order, line, lot, scanned or generated, by whom and when", nil, a.getSerial},
	}
}

func (a *api) getSerialConfig(c echo.Context) error {
	code, err := pathID(c, "code")
	if err != nil {
		return err
	}
	sc, err := a.Store.SerialConfig(ctx(c), code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sc)
}

func (a *api) putSerialConfig(c echo.Context) error {
	code, err := pathID(c, "code")
	if err != nil {
		return err
	}
	var req struct {
		Tracked bool   `json:"tracked"`
		Prefix  string `json:"prefix"`
	}
	if err := a.Bind(c, &req); err != nil {
		return err
	}
	sc, err := a.Store.SetSerialConfig(ctx(c), domain.SerialConfig{Product: code, Tracked: req.Tracked, Prefix: req.Prefix}, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sc)
}

func (a *api) listSerials(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	n, err := limit(c)
	if err != nil {
		return err
	}
	after, err := cursor(c)
	if err != nil {
		return err
	}
	list, err := a.Store.ListSerials(ctx(c), id, after, n)
	if err != nil {
		return err
	}
	nextPage(c, len(list), n, func() string { return list[len(list)-1].Serial })
	return c.JSON(http.StatusOK, list)
}

func (a *api) postSerials(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req domain.SerialRequest
	if err := a.Bind(c, &req); err != nil {
		return err
	}
	list, err := a.Store.RegisterSerials(ctx(c), id, req, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, list)
}

func (a *api) getSerial(c echo.Context) error {
	sn := c.Param("serial")
	if err := domain.CheckSerial("serial", sn); err != nil {
		return err
	}
	x, err := a.Store.GetSerial(ctx(c), sn)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, x)
}

func (a *api) lotSerials(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	n, err := limit(c)
	if err != nil {
		return err
	}
	after, err := cursor(c)
	if err != nil {
		return err
	}
	list, err := a.Store.LotSerials(ctx(c), id, after, n)
	if err != nil {
		return err
	}
	nextPage(c, len(list), n, func() string { return list[len(list)-1].Serial })
	return c.JSON(http.StatusOK, list)
}
