package httpapi

import (
	"context"

	"github.com/labstack/echo/v4"

	purapi "github.com/linewise/linewise/central/httpapi/purchasing"
)

// registerPurchasing adds the purchasing routes (httpapi/purchasing) with
// this server's access rules, strict JSON decoding and error handling.
// Without Options.Purchasing there are none.
func (s *Server) registerPurchasing() {
	if s.opts.Purchasing == nil {
		return
	}
	for _, r := range purapi.Routes(purapi.Deps{Store: s.opts.Purchasing, Principal: principal, Bind: bindJSON,
		Sheet: func(c echo.Context, format, name string, header []string, rows [][]any) error {
			return writeSheet(c, format, sheet{name: name, header: header, rows: rows})
		},
		ProductName: func(ctx context.Context, code string) string {
			p, err := s.opts.Store.GetProduct(ctx, code)
			if err != nil {
				return ""
			}
			return p.Name
		}}) {
		s.handle(r.Method, r.Path, r.Handler, Authenticated, r.Summary, r.Roles...)
	}
}
