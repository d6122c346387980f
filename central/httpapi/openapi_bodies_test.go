package httpapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

var updateBodies = flag.Bool("update-bodies", false, "rewrite openapi_bodies.json from the types the handlers decode")

// takesNoBody lists routes that read no body although they may answer
// 4xx before doing anything (so the test cannot tell by the answer).
var takesNoBody = map[string]string{
	"POST /api/v1/notifications/:id/read": "marks one notification read; the id is in the path",
}

// recordingJSON notes, per route, the type of the first success body a
// handler writes, and writes it as echo would.
type recordingJSON struct {
	echo.DefaultJSONSerializer
	seen map[string]responseSeen
}

type responseSeen struct {
	status int
	typ    reflect.Type
}

func (r recordingJSON) Serialize(c echo.Context, i any, indent string) error {
	key := c.Request().Method + " " + c.Path()
	if st := c.Response().Status; st >= 200 && st < 300 && i != nil {
		if _, ok := r.seen[key]; !ok {
			r.seen[key] = responseSeen{st, reflect.TypeOf(i)}
		}
	}
	return r.DefaultJSONSerializer.Serialize(c, i, indent)
}

// readFill is routeFill for reads: records that exist where the test
// made them (the order FIX-1, the customer ACME).
func readFill(path string) string {
	p := strings.ReplaceAll(routeFill(path), "NOPE", "FIX-1")
	if q, ok := readQueries[path]; ok {
		p += "?" + q
	}
	return p
}

// readQueries are the query parameters a read needs to answer at all.
var readQueries = map[string]string{
	"/api/v1/events": "line=L1",
}

// routeFill puts values into a route's path that reach its handler's
// decoding (records that exist where the handler looks first).
func routeFill(path string) string {
	id := "nope"
	switch {
	case strings.HasPrefix(path, "/api/v1/lines/"):
		id = "L1"
	case strings.HasPrefix(path, "/api/v1/sites/"):
		id = "S1"
	case strings.HasPrefix(path, "/api/v1/stations/"):
		id = "ST-L1"
	}
	code := "P"
	if strings.HasPrefix(path, "/api/v1/customers/") {
		code = "ACME"
	}
	line := "L1"
	if strings.HasPrefix(path, "/api/v1/purchase-orders/") {
		line = "1"
	}
	return strings.NewReplacer(":id", id, ":number", "NOPE", ":sku", "P", ":code", code, ":line", line, ":username", "planner",
		":kind", "products", ":page", "orders", ":name", "x", ":material", "P", ":grade", "G1", ":product", "P", ":seq", "10").Replace(path)
}

// TestOpenAPIRequestBodiesMatchDecoding calls every write route as an admin
// with an empty body and learns which Go type its handler decodes the body
// into (bindJSON reports it). The OpenAPI document's request body of each
// route must be exactly that type's schema (openapi_bodies.json, checked
// here; a hand-written schema must name the same fields with the same
// types), so the document says what the server really reads; a route that
// decodes nothing is documented without a body, and must have been
// reached (answered 2xx, or be a DELETE, or listed in takesNoBody).
// Likewise every read of the API and every write is watched for the
// type of the success body it writes (openapi_responses.json).
func TestOpenAPIRequestBodiesMatchDecoding(t *testing.T) {
	e := newEnvOn(t, store.DriverSQLite)
	admin := e.as[domain.RoleAdmin]
	for _, f := range []struct {
		path string
		body any
	}{
		{"/api/v1/sites", map[string]string{"id": "S1", "name": "Site 1"}},
		{"/api/v1/customers", map[string]string{"code": "ACME", "name": "Acme", "grade": "A"}},
	} {
		if res, body := e.do(admin, "POST", f.path, f.body); res.StatusCode != 201 {
			t.Fatalf("fixture %s: %d %s", f.path, res.StatusCode, body)
		}
	}
	decoded := map[string]reflect.Type{}
	e.api.echo.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := c.Request().Method + " " + c.Path()
			c.Set(bodyTypeKey, func(t reflect.Type) { decoded[key] = t })
			return next(c)
		}
	})
	responses := map[string]responseSeen{}
	e.api.echo.JSONSerializer = recordingJSON{seen: responses}
	got := map[string]any{}
	var writes []string
	for _, r := range e.api.Routes() {
		key := r.Method + " " + r.Path
		if !isWrite(r.Method) || slices.Contains(r.Bodies, "text/csv") {
			continue // imports take files, documented as such
		}
		writes = append(writes, key)
		c := admin
		if r.Path == "/api/v1/logout" {
			c = e.client() // keep the admin signed in
		}
		res, body := e.do(c, r.Method, routeFill(r.Path), map[string]any{})
		typ, ok := decoded[key]
		if !ok {
			if res.StatusCode >= 300 && r.Method != http.MethodDelete && takesNoBody[key] == "" {
				t.Errorf("%s decoded no body but answered %d %.200s: give it a path that reaches its handler (routeFill) or list it in takesNoBody", key, res.StatusCode, body)
			}
			got[key] = nil
			continue
		}
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		got[key] = schemaOf(typ)
		if hand, ok := bodySchemas[key]; ok {
			checkHandSchema(t, key, hand, schemaOf(typ))
		}
	}
	if res, body := e.do(admin, "POST", "/api/v1/orders", map[string]any{"number": "FIX-1", "product": "P", "quantity": 5, "customer": "ACME"}); res.StatusCode != 201 {
		t.Fatalf("fixture order: %d %s", res.StatusCode, body)
	}
	// Every read of the API, for its success body (admin; the demo-less
	// env's records; a read that finds nothing is left out of the file).
	for _, r := range e.api.Routes() {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.Path, "/api/") || r.Path == "/api/v1/stream" {
			continue
		}
		res, _ := e.do(admin, r.Method, readFill(r.Path), nil)
		if _, ok := responses[r.Method+" "+r.Path]; !ok && fileType(r.Path) == "" && strings.HasPrefix(r.Path, "/api/v1/") {
			t.Logf("no success body seen for GET %s (%d)", r.Path, res.StatusCode)
		}
	}
	checkResponses(t, e, responses)
	want, err := json.MarshalIndent(got, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *updateBodies {
		if err := os.WriteFile("openapi_bodies.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if !bytes.Equal(want, requestBodiesJSON) {
		var old map[string]json.RawMessage
		_ = json.Unmarshal(requestBodiesJSON, &old)
		var diff []string
		for k, v := range got {
			b, _ := json.Marshal(v)
			var o any
			_ = json.Unmarshal(old[k], &o)
			ob, _ := json.Marshal(o)
			if _, ok := old[k]; !ok || !bytes.Equal(b, ob) {
				diff = append(diff, k)
			}
		}
		for k := range old {
			if _, ok := got[k]; !ok {
				diff = append(diff, k+" (no such route)")
			}
		}
		sort.Strings(diff)
		t.Fatalf("openapi_bodies.json differs from what the handlers decode for: %s; regenerate it with\n\tgo test ./central/httpapi/ -run TestOpenAPIRequestBodiesMatchDecoding -update-bodies", strings.Join(diff, "; "))
	}

	// The served document: every body a handler reads has its schema.
	doc := e.api.OpenAPI()
	with := 0
	for _, key := range writes {
		method, path, _ := strings.Cut(key, " ")
		p, _ := openAPIPath(path)
		op := doc["paths"].(map[string]any)[p].(map[string]any)[strings.ToLower(method)].(map[string]any)
		rb, has := op["requestBody"].(map[string]any)
		if got[key] == nil {
			if has {
				t.Errorf("%s reads no body but the document gives it one", key)
			}
			continue
		}
		if !has {
			t.Errorf("%s reads a body the document does not describe", key)
			continue
		}
		schema := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
		props, _ := schema["properties"].(map[string]any)
		if len(props) == 0 && schema["items"] == nil {
			t.Errorf("%s: request body schema %v names no field", key, schema)
			continue
		}
		with++
	}
	t.Logf("%d write routes; %d read a JSON body, each with its schema", len(writes), with)
}

// checkHandSchema: a hand-written schema names exactly the fields the
// decoded type has, with the same JSON types.
func checkHandSchema(t *testing.T, key string, hand, typ map[string]any) {
	t.Helper()
	hp, _ := hand["properties"].(map[string]any)
	tp, _ := typ["properties"].(map[string]any)
	if hand["type"] == "array" || typ["type"] == "array" {
		if hand["type"] != typ["type"] {
			t.Errorf("%s: hand-written schema is %v, the handler decodes %v", key, hand["type"], typ["type"])
		}
		return
	}
	for name, v := range hp {
		tv, ok := tp[name].(map[string]any)
		if !ok {
			t.Errorf("%s: hand-written schema names %q, which the handler does not decode (it would refuse it)", key, name)
			continue
		}
		hv, _ := v.(map[string]any)
		if hv["type"] != nil && tv["type"] != nil && hv["type"] != tv["type"] {
			t.Errorf("%s: %q is %v in the hand-written schema, %v in what the handler decodes", key, name, hv["type"], tv["type"])
		}
	}
	for name := range tp {
		if _, ok := hp[name]; !ok {
			t.Errorf("%s: the handler decodes %q, which the hand-written schema leaves out", key, name)
		}
	}
}

// checkResponses compares the success bodies the handlers wrote with
// openapi_responses.json (-update-bodies rewrites it) and with the
// hand-written responseSchemas.
func checkResponses(t *testing.T, e *env, seen map[string]responseSeen) {
	t.Helper()
	out := map[string]responseBody{}
	for key, r := range seen {
		typ := r.typ
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		schema := schemaOf(typ)
		if hand, ok := responseSchemas[key]; ok {
			checkHandSchema(t, key+" (response)", hand, schema)
		}
		b, err := json.Marshal(schema)
		if err != nil {
			t.Fatal(err)
		}
		out[key] = responseBody{Status: r.status, Schema: b}
	}
	want, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *updateBodies {
		if err := os.WriteFile("openapi_responses.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var old map[string]responseBody
	_ = json.Unmarshal(responseBodiesJSON, &old)
	var diff []string
	for k, v := range out {
		o, ok := old[k]
		if !ok || o.Status != v.Status || !jsonEqual(o.Schema, v.Schema) {
			diff = append(diff, k)
		}
	}
	for k := range old {
		if _, ok := out[k]; !ok {
			diff = append(diff, k+" (no success seen)")
		}
	}
	if len(diff) > 0 {
		sort.Strings(diff)
		t.Errorf("openapi_responses.json differs from what the handlers write for: %s; regenerate it with\n\tgo test ./central/httpapi/ -run TestOpenAPIRequestBodiesMatchDecoding -update-bodies", strings.Join(diff, "; "))
	}
	t.Logf("%d routes' success bodies described from what their handlers write", len(out))
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
