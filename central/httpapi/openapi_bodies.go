package httpapi

import (
	_ "embed"
	"encoding/json"
	"strconv"
	"strings"
)

// requestBodies is, per write route, the JSON schema of the body its
// handler actually decodes (null: it reads no body). It is generated from
// the handlers themselves: TestOpenAPIRequestBodiesMatchDecoding calls every
// route, learns the Go type bindJSON decodes into, and fails when this
// file differs from schemaOf(that type); regenerate it with
//
//	go test ./central/httpapi/ -run TestOpenAPIRequestBodiesMatchDecoding -update-bodies
//
// A hand-written schema in bodySchemas (required fields, enums, words)
// wins over it in the document; the test checks its fields too.
//
//go:embed openapi_bodies.json
var requestBodiesJSON []byte

// responseBodies is, per route, the status and JSON schema of the success
// body its handler writes, learnt the same way (the Go type it hands to
// c.JSON); routes the test could not get a success from are not in it.
//
//go:embed openapi_responses.json
var responseBodiesJSON []byte

type responseBody struct {
	Status int             `json:"status"`
	Schema json.RawMessage `json:"schema"`
}

var responseBodies = func() map[string]responseBody {
	m := map[string]responseBody{}
	if err := json.Unmarshal(responseBodiesJSON, &m); err != nil {
		panic("httpapi: openapi_responses.json: " + err.Error())
	}
	return m
}()

// responseBodyDoc is a route's success status and body schema, if known.
func responseBodyDoc(key string) (status string, schema map[string]any, ok bool) {
	rb, ok := responseBodies[key]
	if !ok || json.Unmarshal(rb.Schema, &schema) != nil {
		return "", nil, false
	}
	return strconv.Itoa(rb.Status), schema, true
}

var requestBodies = func() map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(requestBodiesJSON, &m); err != nil {
		panic("httpapi: openapi_bodies.json: " + err.Error()) // embedded; the test catches it first
	}
	return m
}()

// requestBodyDoc is a route's requestBody for the document, and whether
// the route takes a body at all (known says whether the file knows it).
func requestBodyDoc(key string) (doc map[string]any, takesBody, known bool) {
	raw, ok := requestBodies[key]
	if !ok {
		return nil, true, false
	}
	if string(raw) == "null" {
		return nil, false, true
	}
	var schema map[string]any
	if json.Unmarshal(raw, &schema) != nil {
		return nil, true, false
	}
	return map[string]any{"required": false, "description": "an empty body is an empty object",
		"content": map[string]any{"application/json": map[string]any{"schema": schema}}}, true, true
}

// fileType is the media type of a download route (.csv, .xlsx), or "".
func fileType(path string) string {
	switch {
	case strings.HasSuffix(path, ".csv"):
		return "text/csv"
	case strings.HasSuffix(path, ".xlsx"):
		return xlsxType
	}
	return ""
}
