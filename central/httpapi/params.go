package httpapi

import (
	"math"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// maxParamChars bounds a path or query parameter's length, in characters.
const maxParamChars = 500

// checkParams refuses a request whose path or query parameters are not
// text (invalid UTF-8, NUL, over maxParamChars characters) with a 400
// naming the parameter, so no handler passes such a value to the store
// (PostgreSQL refuses NUL with an error).
func checkParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		values := c.ParamValues()
		for i, name := range c.ParamNames() {
			if i < len(values) {
				if rule := domain.RawTextRule(values[i], maxParamChars); rule != "" {
					return invalid(name, name+" "+rule)
				}
			}
		}
		q := c.QueryParams()
		names := make([]string, 0, len(q))
		for name := range q {
			names = append(names, name)
		}
		sort.Strings(names) // the same request names the same parameter
		for _, name := range names {
			if rule := domain.TextRule(name, 100); rule != "" {
				return invalid("query", "a query parameter name "+rule)
			}
			for _, v := range q[name] {
				if rule := domain.RawTextRule(v, maxParamChars); rule != "" {
					return invalid(name, name+" "+rule)
				}
			}
		}
		return next(c)
	}
}

// seconds turns seconds from the wire into a duration, saturating instead
// of overflowing, so the domain's range checks (domain.MaxDuration) see a
// value out of range rather than a wrapped one.
func seconds(s float64) time.Duration {
	switch {
	case math.IsNaN(s):
		return -1
	case s >= float64(math.MaxInt64)/float64(time.Second):
		return math.MaxInt64
	case s <= float64(math.MinInt64)/float64(time.Second):
		return math.MinInt64
	}
	return time.Duration(s * float64(time.Second))
}
