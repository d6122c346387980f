package httpapi

import (
	"errors"
	"net/http"
	"strings"

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
		status := http.StatusBadRequest
		if fe.Conflict {
			status = http.StatusConflict
		}
		return &Problem{Status: status, Field: fe.Field, Detail: fe.Field + " " + fe.Rule}
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
