package httpapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/throttle"
)

// Passwords over the API: an admin sets anyone's (a reset: no old password
// needed), a signed-in user changes their own with the current one. Both
// go through the store's SetPassword, which ends every session of that
// user and audits the change without the hash, exactly as
// `central user passwd` does; the rule is domain.ValidPassword's, the CLI's.

type setPasswordRequest struct {
	Password string `json:"password"`
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// newPasswordHash checks a new password against the rule and hashes it;
// field names the request field in the problem.
func (s *Server) newPasswordHash(field, password string) (string, error) {
	if password == "" {
		return "", invalid(field, field+" is required")
	}
	if err := domain.ValidPassword(password); err != nil {
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			return "", invalid(field, field+" "+fe.Rule)
		}
		return "", err
	}
	hash, err := domain.HashPassword(password, s.opts.PasswordCost)
	if err != nil {
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			return "", invalid(field, field+" "+fe.Rule)
		}
		return "", err
	}
	return hash, nil
}

// setUserPassword serves PUT /api/v1/users/:username/password (admin). The
// user's sessions end; if the admin reset their own password, this browser
// gets a new session so the admin stays signed in here.
func (s *Server) setUserPassword(c echo.Context) error {
	username := c.Param("username")
	var req setPasswordRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.opts.Store.GetUser(ctx, username)
	if errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "username", Detail: "user " + username + " does not exist"}
	}
	if err != nil {
		return err
	}
	hash, err := s.newPasswordHash("password", req.Password)
	if err != nil {
		return err
	}
	p := principal(c)
	if err := s.opts.Store.SetPassword(ctx, username, hash, p.Actor()); err != nil {
		return apiError(err)
	}
	if p.Via == "session" && p.Username == username {
		if _, err := s.startSession(c, u, ""); err != nil {
			return err
		}
	}
	return c.NoContent(http.StatusNoContent)
}

// changeOwnPassword serves POST /api/v1/me/password: the caller proves the
// current password and sets a new one. Every session of the user ends
// (another browser, whoever learnt the old password); the one making the
// change is replaced by a fresh session, so the user stays signed in here.
// API tokens have no password; badge sessions are refused by authenticate
// (a write outside a station).
func (s *Server) changeOwnPassword(c echo.Context) error {
	p := principal(c)
	if p.Via != "session" {
		return &Problem{Status: http.StatusForbidden, Field: "current_password",
			Detail: "an API token has no password; sign in as the user (POST /api/v1/login) to change theirs"}
	}
	var req changePasswordRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.CurrentPassword == "" {
		return invalid("current_password", "current_password is required")
	}
	// A stolen session must not become a way to guess the password
	// (throttle.go): the same counts as at sign-in.
	keys := []throttle.Key{throttle.User(p.Username), throttle.IP(clientIP(c))}
	if err := s.throttled(c, keys...); err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.opts.Store.GetUser(ctx, p.Username)
	if err != nil {
		return err // the session was just resolved, so the user exists
	}
	// 403, not 401: the session is fine, the proof is not; a 401 would tell
	// the pages to sign in again.
	if !domain.CheckPassword(u.PasswordHash, req.CurrentPassword) {
		s.failed(c, "password checks", keys...)
		return &Problem{Status: http.StatusForbidden, Field: "current_password", Detail: "current_password is wrong"}
	}
	s.opts.Throttle.Succeed(keys[0])
	if req.NewPassword != "" && req.NewPassword == req.CurrentPassword {
		return invalid("new_password", "new_password must differ from the current password")
	}
	hash, err := s.newPasswordHash("new_password", req.NewPassword)
	if err != nil {
		return err
	}
	if err := s.opts.Store.SetPassword(ctx, u.Username, hash, p.Actor()); err != nil {
		return apiError(err)
	}
	me, err := s.startSession(c, u, "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, me)
}
