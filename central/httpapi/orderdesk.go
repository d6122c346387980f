package httpapi

import (
	"context"
	_ "embed"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// The order desk (issue #15): the page where sales and planners list,
// filter, enter and import orders, and keep their saved views.
var (
	//go:embed web/orders.html
	ordersPage []byte
	//go:embed web/orderdesk.js
	orderDeskJS []byte
)

// SavedViewStore keeps each user's saved views of a list page.
type SavedViewStore interface {
	SavedViews(ctx context.Context, username, page string) ([]domain.SavedView, error)
	SaveView(ctx context.Context, username string, v domain.SavedView, actor domain.Actor) (domain.SavedView, bool, error)
	DeleteSavedView(ctx context.Context, username, page, name string, actor domain.Actor) error
}

func (s *Server) registerOrderDesk() {
	get, put, del := http.MethodGet, http.MethodPut, http.MethodDelete
	bodySchemas["PUT /api/v1/me/views/:page/:name"] = map[string]any{"type": "object", "required": []string{"query"},
		"properties": map[string]any{"query": map[string]any{"type": "string", "maxLength": domain.MaxSavedViewQuery,
			"description": "the page's filters as a URL query string, e.g. status=draft&customer=ACME"}}}
	s.handle(get, "/orders", func(c echo.Context) error { return htmlPage(c, ordersPage) }, Authenticated,
		"order desk page (HTML): orders with filters, search and saved views, order entry with the customer master, import from XLSX/CSV with a dry run", anyRole...)
	s.handle(get, "/assets/orderdesk.js", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
		return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", orderDeskJS)
	}, Authenticated, "script shared by the order desk pages (statuses, priorities, dates in the locale's format, the entry form's rules)", anyRole...)
	s.handle(get, "/api/v1/me/views/:page", s.listViews, Authenticated,
		"your saved views of a page (page: orders), by name", domain.Roles()...)
	s.handle(put, "/api/v1/me/views/:page/:name", s.saveView, Authenticated,
		`save your view of a page under a name: {"query":"status=draft&customer=ACME"} (the page's filters); replaces one of that name (audited)`, domain.Roles()...)
	s.handle(del, "/api/v1/me/views/:page/:name", s.deleteView, Authenticated,
		"delete one of your saved views (audited)", domain.Roles()...)
	s.registerOrderImport() // orderimport.go
	s.registerOrderDetail() // orderdetail.go
	s.registerAPIDocs()     // apidocs.go
}

// viewOwner is the signed-in user whose views these are; a token has none.
func viewOwner(c echo.Context) (string, error) {
	p := principal(c)
	if p.Via != "session" {
		return "", &Problem{Status: http.StatusConflict, Field: "page", Detail: "saved views belong to a signed-in user; an API token has none"}
	}
	return p.Username, nil
}

func viewPage(c echo.Context) (string, error) {
	page := c.Param("page")
	if !slices.Contains(domain.SavedViewPages(), page) {
		return "", &Problem{Status: http.StatusNotFound, Field: "page", Detail: "no saved views for page " + page + "; pages: " + strings.Join(domain.SavedViewPages(), ", ")}
	}
	return page, nil
}

func (s *Server) listViews(c echo.Context) error {
	user, err := viewOwner(c)
	if err != nil {
		return err
	}
	page, err := viewPage(c)
	if err != nil {
		return err
	}
	list, err := s.opts.Store.SavedViews(c.Request().Context(), user, page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

type saveViewRequest struct {
	Query *string `json:"query"`
}

func (s *Server) saveView(c echo.Context) error {
	user, err := viewOwner(c)
	if err != nil {
		return err
	}
	page, err := viewPage(c)
	if err != nil {
		return err
	}
	var req saveViewRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Query == nil {
		return invalid("query", `query is required: the page's filters as a query string ("" for none)`)
	}
	v := domain.SavedView{Page: page, Name: strings.TrimSpace(c.Param("name")), Query: strings.TrimPrefix(*req.Query, "?")}
	if errs := domain.CheckSavedView(v); len(errs) > 0 {
		return apiError(errs[0])
	}
	saved, created, err := s.opts.Store.SaveView(c.Request().Context(), user, v, principal(c).Actor())
	if err != nil {
		return apiError(err)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, saved)
}

func (s *Server) deleteView(c echo.Context) error {
	user, err := viewOwner(c)
	if err != nil {
		return err
	}
	page, err := viewPage(c)
	if err != nil {
		return err
	}
	if err := s.opts.Store.DeleteSavedView(c.Request().Context(), user, page, c.Param("name"), principal(c).Actor()); err != nil {
		return apiError(err)
	}
	return c.NoContent(http.StatusNoContent)
}
