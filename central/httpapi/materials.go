package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	invapi "github.com/linewise/linewise/central/httpapi/inventory"
)

// registerInventory adds the materials routes (httpapi/inventory) with
// this server's access rules, strict JSON decoding and error handling.
// Without Options.Inventory there are none.
func (s *Server) registerInventory() {
	if s.opts.Inventory == nil {
		return
	}
	for _, r := range invapi.Routes(invapi.Deps{Store: s.opts.Inventory, Principal: principal, Bind: bindJSON,
		Sheet: func(c echo.Context, format, name string, header []string, rows [][]any) error {
			return writeSheet(c, format, sheet{name: name, header: header, rows: rows})
		}, Lang: requestLang}) {
		s.handle(r.Method, r.Path, r.Handler, Authenticated, r.Summary, r.Roles...)
	}
	s.registerMaterialsPages() // materials_pages.go
	s.registerStationSerials() // station_serials.go
}

// checkMaterialSignoff refuses to sign material "available" over a
// shortfall unless the comment gives the override reason; the shortfall
// is named. Without the materials API (or for an unknown order, which the
// sign-off itself reports) it checks nothing.
func (s *Server) checkMaterialSignoff(c echo.Context, order, comment string) error {
	if s.opts.Inventory == nil || strings.TrimSpace(comment) != "" {
		return nil
	}
	av, err := s.opts.Inventory.Availability(c.Request().Context(), order)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil || !av.Short {
		return err
	}
	var short []string
	for _, l := range av.Lines {
		if l.Shortfall > 0 {
			short = append(short, fmt.Sprintf("%s %s %s (needs %s, %s available)", l.Material, l.Shortfall, l.Unit, l.Required, l.Available))
		}
	}
	return &Problem{Status: http.StatusConflict, Field: "comment",
		Detail: "material is short for order " + order + ": " + strings.Join(short, "; ") +
			"; sign off with a comment giving the reason to override, or wait for stock (GET /api/v1/orders/" + order + "/availability)"}
}
