package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

var (
	//go:embed web/materials.html
	materialsPage []byte
	//go:embed web/lot.html
	lotPage []byte
)

// registerMaterialsPages adds the materials pages (with the materials API
// only): stock with its alerts and the recall question, and a lot with its
// ledger and genealogy tree. Like the audit page they send a browser
// without a session to /login; what they read is the API's.
func (s *Server) registerMaterialsPages() {
	s.handle(http.MethodGet, "/materials", func(c echo.Context) error { return htmlPage(c, materialsPage) }, Authenticated,
		"materials page (HTML): stock alerts with their count, stock by material, lot and location with CSV/XLSX export, the recall question (which orders hold a supplier lot)", anyRole...)
	s.handle(http.MethodGet, "/materials/lots/:id", func(c echo.Context) error { return htmlPage(c, lotPage) }, Authenticated,
		"a lot's page (HTML): its facts, the genealogy tree backward or forward with XLSX export, stock by location, its ledger; recall of its supplier lot in one click", anyRole...)
}
