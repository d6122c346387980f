package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// apiError turns a domain or store error into a problem with a message fit
// for users; anything unrecognised is returned as is (a logged 500).
func apiError(err error) error {
	if err == nil {
		return nil
	}
	var p *Problem
	if errors.As(err, &p) {
		return err
	}
	var fe *domain.FieldError
	var ms *domain.MissingSignoffError
	switch {
	case errors.As(err, &ms):
		return &Problem{Status: http.StatusConflict, Field: "signoff." + string(ms.Missing[0]), Detail: ms.Error()}
	case errors.As(err, &fe):
		return &Problem{Status: http.StatusBadRequest, Field: fe.Field, Detail: fe.Field + " " + fe.Rule}
	case errors.Is(err, domain.ErrForbidden):
		return &Problem{Status: http.StatusForbidden, Field: "role", Detail: cleanMessage(err)}
	case errors.Is(err, domain.ErrNotFound):
		return &Problem{Status: http.StatusNotFound, Detail: cleanMessage(err)}
	case errors.Is(err, domain.ErrConflict):
		return &Problem{Status: http.StatusConflict, Field: "status", Detail: cleanMessage(err)}
	case errors.Is(err, domain.ErrInvalid):
		return &Problem{Status: http.StatusBadRequest, Detail: cleanMessage(err)}
	}
	return err
}

// cleanMessage drops the "store: " layer prefixes and the sentinel suffix
// from an error chain's text; what remains names the thing and the rule.
func cleanMessage(err error) string {
	msg := err.Error()
	for _, sentinel := range []error{domain.ErrConflict, domain.ErrNotFound, domain.ErrForbidden, domain.ErrInvalid} {
		msg = strings.TrimSuffix(msg, ": "+sentinel.Error())
	}
	msg = strings.ReplaceAll(msg, "store: ", "")
	// "start work order X: line L1 already runs Y" reads fine; keep the last two parts at most.
	if parts := strings.Split(msg, ": "); len(parts) > 2 {
		msg = strings.Join(parts[len(parts)-2:], ": ")
	}
	return msg
}

// bindJSON decodes a JSON body strictly: unknown fields and wrong types are
// 400s that name the field.
func bindJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, 1<<20))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil || errors.Is(err, io.EOF) {
		return nil // an empty body is an empty object
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
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
		return invalid(te.Field, fmt.Sprintf("%s must be a %s", te.Field, kind))
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return invalid(f, fmt.Sprintf("unknown field %q", f))
	}
	return invalid("body", "body must be a JSON object: "+err.Error())
}
