package httpapi

import (
	"context"
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	purapi "github.com/linewise/linewise/central/httpapi/purchasing"
)

//go:embed web/purchasing.html
var purchasingPage []byte

// purchasingReaders see the purchasing page: what each may do on it is
// checked by the API routes it calls.
var purchasingReaders = []domain.Role{domain.RoleBuyer, domain.RoleManager, domain.RolePlanner, domain.RoleWarehouse, domain.RoleQuality, domain.RoleAdmin}

// registerPurchasing adds the purchasing routes (httpapi/purchasing) with
// this server's access rules, strict JSON decoding and error handling.
// Without Options.Purchasing there are none.
func (s *Server) registerPurchasing() {
	if s.opts.Purchasing == nil {
		return
	}
	s.handle(http.MethodGet, "/purchasing", func(c echo.Context) error { return htmlPage(c, purchasingPage) }, Authenticated,
		"purchasing page (HTML): MRP requisitions converted to purchase orders, purchase orders with approve/send/receive, receipts with incoming inspection, supplier scorecards with the monthly trend", purchasingReaders...)
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
