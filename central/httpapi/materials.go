package httpapi

import (
	"github.com/labstack/echo/v4"

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
		}}) {
		s.handle(r.Method, r.Path, r.Handler, Authenticated, r.Summary, r.Roles...)
	}
}
