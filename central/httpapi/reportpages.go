package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

//go:embed web/reports.html
var reportsPage []byte

// reportReaders are the roles the report pages are for (the JSON behind
// them is readable by every role).
var reportReaders = []domain.Role{domain.RoleSupervisor, domain.RoleManager, domain.RolePlanner, domain.RoleAdmin}

func (s *Server) registerReportPages() {
	s.handle(http.MethodGet, "/reports", func(c echo.Context) error { return htmlPage(c, reportsPage) }, Authenticated,
		"the production report page (HTML): a plant day or shift as stored (?date=YYYY-MM-DD&shift=NAME&revision=N; default yesterday), with its revision marker, planned vs actual, scrap, OEE and losses, the downtime Pareto, labour hours and orders; prints on A4", reportReaders...)
}
