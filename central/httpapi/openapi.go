package httpapi

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// openAPIPath turns echo's /orders/:number into OpenAPI's /orders/{number}
// and returns the parameter names.
func openAPIPath(p string) (string, []string) {
	parts := strings.Split(p, "/")
	var params []string
	for i, s := range parts {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			parts[i] = "{" + name + "}"
			params = append(params, name)
		}
	}
	return strings.Join(parts, "/"), params
}

// OpenAPI builds an OpenAPI 3 document from the registered routes, so it
// cannot drift from the router: each operation carries its access rule
// (security, and x-roles for the roles that may call it).
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]any{}
	routes := s.Routes()
	for _, er := range s.echo.Routes() {
		if _, ok := s.routeIndex[er.Method+" "+er.Path]; !ok && er.Method != echo.RouteNotFound {
			// Added outside the access table (e.g. ingest, metrics): it
			// authenticates by itself, documented as such.
			routes = append(routes, Route{Method: er.Method, Path: er.Path, Access: -1, Summary: "authenticates by itself"})
		}
	}
	for _, r := range routes {
		path, params := openAPIPath(r.Path)
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		op := map[string]any{
			"summary":     r.Summary,
			"operationId": strings.ToLower(r.Method) + strings.NewReplacer("/", "_", ":", "", ".", "_").Replace(r.Path),
			"responses": map[string]any{
				"200":     map[string]any{"description": "success"},
				"default": map[string]any{"description": "error", "content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}},
			},
		}
		var ps []any
		for _, name := range params {
			ps = append(ps, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range queryParams[r.Method+" "+r.Path] { // openapi_schemas.go
			ps = append(ps, q.openAPI())
		}
		if code, schema, ok := responseBodyDoc(r.Method + " " + r.Path); ok { // openapi_bodies.go
			resp := op["responses"].(map[string]any)
			if code != "200" {
				delete(resp, "200")
			}
			resp[code] = map[string]any{"description": "success", "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
		}
		if ft := fileType(r.Path); ft != "" && r.Method == http.MethodGet { // a download
			op["responses"].(map[string]any)["200"] = map[string]any{"description": "the file",
				"content": map[string]any{ft: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		}
		if schema, ok := responseSchemas[r.Method+" "+r.Path]; ok {
			op["responses"].(map[string]any)["200"] = map[string]any{"description": "success",
				"content": map[string]any{"application/json": map[string]any{"schema": schema}}}
		}
		if len(ps) > 0 {
			op["parameters"] = ps
		}
		switch r.Access {
		case Open, Public:
			op["security"] = []any{}
		case Authenticated:
			sec := []any{map[string]any{"session": []any{}}, map[string]any{"bearer": []any{}}}
			if r.Kiosk {
				sec = append(sec, map[string]any{"kiosk": []any{}})
				op["x-kiosk"] = true // a kiosk token (bearer or cookie) may call it
			}
			op["security"] = sec
			if len(r.Roles) > 0 {
				op["x-roles"] = r.Roles
			}
			if r.Station || r.LineScoped {
				op["x-badge-session"] = true // a badge session at a station may call it
			}
		default:
			op["x-access"] = "own"
		}
		if isWrite(r.Method) {
			op["requestBody"] = map[string]any{"required": false, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
			if doc, takes, known := requestBodyDoc(r.Method + " " + r.Path); known && !takes { // openapi_bodies.go
				delete(op, "requestBody")
			} else if known {
				op["requestBody"] = doc
			}
			if schema, ok := bodySchemas[r.Method+" "+r.Path]; ok {
				op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
			}
			if strings.HasPrefix(r.Path, "/api/v1/import/") {
				op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"text/csv": map[string]any{"schema": map[string]any{"type": "string"}}}}
				op["responses"].(map[string]any)["422"] = map[string]any{"description": "rows have errors; nothing was written (problem+json with errors: [{row, field, rule}])"}
			}
		}
		if throttledRoutes[r.Method+" "+r.Path] {
			op["responses"].(map[string]any)["429"] = map[string]any{
				"description": "too many failed attempts for this username or from this address (sign_in config); try again after Retry-After seconds",
				"headers":     map[string]any{"Retry-After": map[string]any{"schema": map[string]any{"type": "integer"}}}}
		}
		item[strings.ToLower(r.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "linewise central", "version": "v1"},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"kiosk":   map[string]any{"type": "apiKey", "in": "cookie", "name": KioskCookie},
			},
			"schemas": map[string]any{
				"Problem": map[string]any{"type": "object", "properties": map[string]any{
					"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
					"status": map[string]any{"type": "integer"}, "detail": map[string]any{"type": "string"},
					"field": map[string]any{"type": "string", "description": "the request field at fault"},
				}},
			},
		},
	}
}

// bodySchemas describes the request bodies worth more than "an object":
// the password routes and raising an exception, whose field names a client
// must get right.
var bodySchemas = map[string]map[string]any{
	"POST /api/v1/me/lang": {"type": "object", "required": []string{"lang"},
		"properties": map[string]any{"lang": map[string]any{"type": "string", "enum": []string{"en", "zh-CN", ""},
			"description": `"" follows the browser's Accept-Language`}}},
	"POST /api/v1/customers":                   schemaOf(reflect.TypeFor[domain.Customer]()),
	"PUT /api/v1/customers/:code":              schemaOf(reflect.TypeFor[domain.Customer]()),
	"POST /api/v1/orders":                      schemaOf(reflect.TypeFor[createOrderRequest]()),
	"PUT /api/v1/cost/lines/:line":             schemaOf(reflect.TypeFor[lineRateRequest]()),
	"PUT /api/v1/cost/labour-grades/:grade":    schemaOf(reflect.TypeFor[labourGradeRequest]()),
	"PUT /api/v1/cost/materials/:code":         schemaOf(reflect.TypeFor[materialCostRequest]()),
	"PUT /api/v1/users/:username/labour-grade": schemaOf(reflect.TypeFor[userGradeRequest]()),
	"POST /api/v1/exceptions": {"type": "object", "required": []string{"detail"},
		"description": "line or station is required; with both, the station must be on the line",
		"properties": map[string]any{
			"kind":       map[string]any{"type": "string", "enum": []string{"material_short"}, "description": "only material_short is raised by hand (the default)"},
			"line":       map[string]any{"type": "string"},
			"station":    map[string]any{"type": "string", "description": "the line is the station's"},
			"work_order": map[string]any{"type": "string", "description": "default: the work order active on the line"},
			"detail":     map[string]any{"type": "string", "maxLength": 500, "description": "what is short"},
		}},
	"PUT /api/v1/users/:username/password": {"type": "object", "required": []string{"password"},
		"properties": map[string]any{"password": map[string]any{"type": "string", "minLength": 10, "format": "password"}}},
	"POST /api/v1/me/password": {"type": "object", "required": []string{"current_password", "new_password"},
		"properties": map[string]any{
			"current_password": map[string]any{"type": "string", "format": "password"},
			"new_password":     map[string]any{"type": "string", "minLength": 10, "format": "password", "description": "must differ from the current password"},
		}},
}

func (s *Server) openapi(c echo.Context) error { return c.JSON(http.StatusOK, s.OpenAPI()) }

// EchoRoutes lists what the router really serves (method and path), for the
// test that every route is documented.
func (s *Server) EchoRoutes() [][2]string {
	var out [][2]string
	for _, r := range s.echo.Routes() {
		out = append(out, [2]string{r.Method, r.Path})
	}
	return out
}
