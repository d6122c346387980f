package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/central/oee"
)

// responseSchemas describes the success bodies of the report routes, made
// from the Go types they serve, so the document cannot drift from them.
var responseSchemas = map[string]map[string]any{
	"GET /api/v1/lines/:id/oee":       schemaOf(reflect.TypeFor[oee.Report]()),
	"GET /api/v1/events":              schemaOf(reflect.TypeFor[[]domain.EventRecord]()),
	"GET /api/v1/lines/:id/totals":    schemaOf(reflect.TypeFor[domain.LineTotals]()),
	"GET /api/v1/orders/:number/cost": schemaOf(reflect.TypeFor[domain.CostSheet]()),
	"GET /api/v1/notifications":       schemaOf(reflect.TypeFor[notify.Page]()),
}

// queryParams lists the query parameters of routes that take them.
var queryParams = map[string][]queryParam{
	"GET /api/v1/lines/:id/oee": {
		{"from", "date-time", "start of a range (with to; at most 31 days)"},
		{"to", "date-time", "end of a range (exclusive)"},
		{"period", "", "shift, day, week or month (instead of from and to); default: the current shift"},
		{"date", "date", "the plant day, or the day the shift starts on (plant time zone); default: the current one"},
		{"shift", "", "the shift's name or start HH:MM (with period=shift and date)"},
	},
	"GET /api/v1/lines/:id/states": {
		{"from", "date-time", "start of a range (with to; at most 31 days)"},
		{"to", "date-time", "end of a range (exclusive)"},
		{"period", "", "shift, day, week or month (instead of from and to); default: the current shift"},
		{"date", "date", "the plant day, or the day the shift starts on (plant time zone); default: the current one"},
		{"shift", "", "the shift's name or start HH:MM (with period=shift and date)"},
		{"class", "", "only these classes, comma-separated: run, breakdown, small_stop, idle, setup, planned_stop, no_data"},
	},
	"GET /api/v1/notifications": {
		{"unread", "", "true: only unread ones"},
		{"limit", "", "1-200 (20)"},
		{"cursor", "", "the next of the previous page"},
	},
	"GET /api/v1/notify/deliveries": {
		{"limit", "", "1-1000 (100)"},
	},
	"GET /api/v1/reports/daily": {
		{"date", "date", "the plant day (each line's time zone); default: the current one"},
	},
	"GET /api/v1/events": {
		{"line", "", "the line (required)"},
		{"type", "", "count, state, scan or qc"},
		{"work_order", "", "only events attributed to this work order"},
		{"from", "date-time", "source time at or after"},
		{"to", "date-time", "source time before"},
		{"limit", "integer", "page size, 1-1000 (default 100)"},
		{"cursor", "", "the next page: X-Next-Cursor of the previous answer"},
	},
	"GET /api/v1/lines/:id/totals": {
		{"from", "date-time", "start (default: 24 h before to)"},
		{"to", "date-time", "end, exclusive (default: now)"},
	},
}

type queryParam struct{ name, format, description string }

func (q queryParam) openAPI() map[string]any {
	schema := map[string]any{"type": "string"}
	switch q.format {
	case "integer":
		schema = map[string]any{"type": "integer"}
	case "":
	default:
		schema["format"] = q.format
	}
	return map[string]any{"name": q.name, "in": "query", "required": q.name == "line", "description": q.description, "schema": schema}
}

var (
	schemaTimeType = reflect.TypeFor[time.Time]()
	durType        = reflect.TypeFor[oee.Dur]()
	rawType        = reflect.TypeFor[json.RawMessage]()
)

// schemaOf is the JSON schema of t as encoding/json writes it.
func schemaOf(t reflect.Type) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var s map[string]any
	switch {
	case t == schemaTimeType:
		s = map[string]any{"type": "string", "format": "date-time"}
	case t == durType:
		s = map[string]any{"type": "number", "description": "seconds"}
	case t == rawType:
		s = map[string]any{"type": "object"}
	case t == reflect.TypeFor[money.Amount]():
		s = map[string]any{"type": "string", "pattern": `^[+-]?[0-9]*(\.[0-9]{1,4})?$`, "description": "a decimal amount of money (at most 4 decimals), e.g. \"12.50\""}
	default:
		switch t.Kind() {
		case reflect.Bool:
			s = map[string]any{"type": "boolean"}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			s = map[string]any{"type": "integer"}
		case reflect.Float32, reflect.Float64:
			s = map[string]any{"type": "number"}
		case reflect.String:
			s = map[string]any{"type": "string"}
		case reflect.Slice, reflect.Array:
			s = map[string]any{"type": "array", "items": schemaOf(t.Elem())}
		case reflect.Map:
			s = map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
		case reflect.Struct:
			props := map[string]any{}
			addFields(t, props)
			s = map[string]any{"type": "object", "properties": props}
		default:
			s = map[string]any{}
		}
	}
	if nullable {
		s["nullable"] = true
	}
	return s
}

// addFields puts t's JSON fields into props, embedded structs inlined.
func addFields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			addFields(f.Type, props)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type)
	}
}
