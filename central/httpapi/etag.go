package httpapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// Mutable resources (orders, master data records) carry an ETag; a PUT,
// PATCH, DELETE or order action that sends If-Match changes the resource
// only if it is still that version, else 412 Precondition Failed and
// nothing changes. If-Match is optional (no 428): a client that does not
// send it keeps the last-writer-wins behaviour it had.

func ifMatch(c echo.Context) string { return c.Request().Header.Get("If-Match") }

func setETag(c echo.Context, tag string) { c.Response().Header().Set("ETag", tag) }

// staleProblem is the 412 for a stale If-Match on what.
func staleProblem(what string) *Problem {
	return &Problem{Status: http.StatusPreconditionFailed, Field: "If-Match",
		Detail: what + " was changed by someone else since you read it; reload it and make your change again"}
}

// checkMatch is nil when If-Match allows changing a resource whose current
// tag is current, else a domain.ErrStale error.
func checkMatch(c echo.Context, current string) error {
	if domain.MatchETag(ifMatch(c), current) {
		return nil
	}
	return domain.ErrStale
}

// staleOr turns a domain.ErrStale into the 412 for what; other errors go
// through apiError.
func staleOr(err error, what string) error {
	if errors.Is(err, domain.ErrStale) {
		return staleProblem(what)
	}
	return apiError(err)
}
