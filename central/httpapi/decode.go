package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
)

// maxJSONBytes is the largest JSON body a handler reads.
const maxJSONBytes = 1 << 20

// bodyTypeKey holds, in a test, a func that learns which type a route's
// body is decoded into (see openapi_bodies.go).
const bodyTypeKey = "lw.bodytype"

// bindJSON decodes a JSON body strictly into v (a pointer to a struct or
// slice) and answers a 400 problem naming the field for: a wrong type, an
// unknown field, a `null` body, data after the JSON value, invalid UTF-8,
// and any string (at any depth) holding NUL or longer than domain.MaxText
// characters, or a time outside domain.MinTime..MaxTime. A body over maxJSONBytes is a 413. An empty
// body is an empty object (transitions without a reason send none).
func bindJSON(c echo.Context, v any) error {
	if note, ok := c.Get(bodyTypeKey).(func(reflect.Type)); ok {
		note(reflect.TypeOf(v)) // TestRequestBodiesMatchTheirSchemas
	}
	body, err := readBody(c, maxJSONBytes)
	if err != nil {
		return err
	}
	want := "object"
	if t := reflect.TypeOf(v); t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Slice {
		want = "array"
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return nil
	case string(trimmed) == "null":
		return invalid("body", "body must be a JSON "+want+", not null")
	}
	if !utf8.Valid(body) {
		field := jsonPathAt(body, firstInvalidUTF8(body))
		return invalid(field, field+" is not valid UTF-8 text")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err, want)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("body", fmt.Sprintf("body must be one JSON %s; there is more data after it (at byte %d)", want, dec.InputOffset()))
	}
	return checkStrings(reflect.ValueOf(v), "")
}

// readBody reads the request body up to limit bytes; a longer one is a 413
// that says the limit.
func readBody(c echo.Context, limit int64) ([]byte, error) {
	req := c.Request()
	if req.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge(limit)
	}
	if err != nil {
		return nil, invalid("body", "the body cannot be read: "+err.Error())
	}
	return b, nil
}

func tooLarge(limit int64) error {
	return &Problem{Status: http.StatusRequestEntityTooLarge, Field: "body",
		Detail: fmt.Sprintf("the body is larger than the limit of %s (%d bytes)", sizeText(limit), limit)}
}

// sizeText is a byte count in KiB or MiB when it is a whole number of them.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func decodeProblem(err error, want string) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return invalid("body", "body must be a JSON "+want)
		}
		if te.Type == reflect.TypeFor[money.Amount]() {
			return invalid(te.Field, fmt.Sprintf("%s must be an amount as a decimal string with at most 4 decimals, e.g. \"12.50\" (%s)", te.Field, te.Value))
		}
		kind := "value of another type"
		switch te.Type.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			kind = "whole number"
		case reflect.Float32, reflect.Float64:
			kind = "number"
		case reflect.String:
			kind = "string"
		case reflect.Bool:
			kind = "boolean"
		}
		if te.Type == reflect.TypeFor[domain.Money]() {
			kind = "decimal amount like \"12.50\" (a string or a number, at most 4 decimals, not negative)"
		}
		return invalid(te.Field, fmt.Sprintf("%s must be a %s", te.Field, kind))
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return invalid(f, fmt.Sprintf("unknown field %q", f))
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return invalid("body", "a time in the body is not RFC 3339 (2026-03-02T06:00:00Z): "+pe.Error())
	}
	return invalid("body", "body must be a JSON "+want+": "+err.Error())
}

var timeType = reflect.TypeFor[time.Time]()

// checkStrings walks a decoded request and refuses the first string that is
// not text (domain.RawTextRule: valid UTF-8 without NUL, at most
// domain.MaxText characters; names and references get the stricter
// domain.TextRule from their own checks) and the
// first non-zero time outside domain.MinTime..MaxTime, naming it by its
// JSON path (customer_ref, shifts[0].name, [2].component). Each field's own
// rules (shorter limits, ranges) stay with the handler and the domain.
func checkStrings(v reflect.Value, path string) error {
	name := path
	if name == "" {
		name = "body"
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkStrings(v.Elem(), path)
	case reflect.String:
		if rule := domain.RawTextRule(v.String(), domain.MaxText); rule != "" {
			return invalid(name, name+" "+rule)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			if t := v.Interface().(time.Time); !t.IsZero() {
				if rule := domain.TimeRule(t); rule != "" {
					return invalid(name, name+" "+rule)
				}
			}
			return nil
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag == "-" {
				continue
			}
			sub := path
			if !f.Anonymous || tag != "" {
				if tag == "" {
					tag = f.Name
				}
				sub = joinPath(path, tag)
			}
			if err := checkStrings(v.Field(i), sub); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // raw bytes (json.RawMessage), not text
		}
		for i := range v.Len() {
			if err := checkStrings(v.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if rule := domain.TextRule(k, 200); rule != "" {
				return invalid(name, name+" has a key that "+rule)
			}
			if err := checkStrings(iter.Value(), joinPath(path, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// jsonPathAt names the JSON value (or key) holding byte off of body, as
// checkStrings does; "body" when it cannot tell.
func jsonPathAt(body []byte, off int) string {
	type frame struct {
		array   bool
		key     string
		idx     int
		wantKey bool
	}
	var stack []frame
	pathOf := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.array {
				fmt.Fprintf(&b, "[%d]", f.idx)
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].idx++
			} else {
				stack[n-1].wantKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "body"
		}
		end := int(dec.InputOffset())
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{wantKey: true})
			case '[':
				stack = append(stack, frame{array: true})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
				stack[n-1].key, stack[n-1].wantKey = t, false
				if off < end {
					return pathOf()
				}
				continue
			}
			if off < end {
				return pathOf()
			}
			valueDone()
		default:
			valueDone()
		}
	}
}
