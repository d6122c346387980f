package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed web/apidocs.html
var apiDocsPage []byte

// registerAPIDocs adds /api/docs: the OpenAPI document as a page one can
// read and search, drawn in the browser from /api/openapi.json by the
// page's own script (nothing from a CDN).
func (s *Server) registerAPIDocs() {
	s.handle(http.MethodGet, "/api/docs", func(c echo.Context) error { return htmlPage(c, apiDocsPage) }, Authenticated,
		"the API reference (HTML): every route with who may call it, its parameters, request body fields and responses, searchable; from /api/openapi.json", anyRole...)
}
