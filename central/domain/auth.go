package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// User is a person who signs in, by password on pages or by badge at a station.
type User struct {
	Username     string `json:"username"`
	DisplayName  string `json:"display_name"`
	Role         Role   `json:"role"`
	PasswordHash string `json:"-"`
	// Badge is, going in, the badge code to store, and coming out of the
	// store its keyed hash (see BadgeHashPrefix): a badge is a credential,
	// so neither is ever serialised. HasBadge says whether there is one.
	Badge    string `json:"-"`
	HasBadge bool   `json:"has_badge"`
	Disabled bool   `json:"disabled"`
}

// BadgeHashPrefix starts every stored badge: the store keeps only a keyed
// hash of a badge code (HMAC-SHA-256 with a per-install key), never the
// code. Badge codes cannot contain ':' (ValidNumber), so a value with this
// prefix is a hash, not a code.
const BadgeHashPrefix = "h1:"

// IsBadgeHash reports whether v is a stored badge hash rather than a code.
func IsBadgeHash(v string) bool {
	if len(v) != len(BadgeHashPrefix)+64 || v[:len(BadgeHashPrefix)] != BadgeHashPrefix {
		return false
	}
	_, err := hex.DecodeString(v[len(BadgeHashPrefix):])
	return err == nil
}

// Session is a signed-in browser; only the token's hash is stored.
type Session struct {
	TokenHash string
	Username  string
	StationID string // set when signed in by badge at a station
	CreatedAt time.Time
	ExpiresAt time.Time
}

// APIToken lets a machine (a fixed scanner, an ERP) call the API with a role,
// optionally only for one line; a kiosk token lets a wall screen show the
// dashboard and nothing else. Only the token's hash is stored.
type APIToken struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"` // TokenAPI or TokenKiosk
	Role      Role       `json:"role,omitempty"`
	LineID    string     `json:"line,omitempty"` // its lines, comma-separated; "" for every line
	TokenHash string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Token kinds.
const (
	TokenAPI   = "api"   // acts with its role (and line), like a user
	TokenKiosk = "kiosk" // reads the dashboard only; no role
)

// Status is active, expired or revoked at now.
func (t APIToken) Status(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case t.ExpiresAt != nil && !t.ExpiresAt.After(now):
		return "expired"
	}
	return "active"
}

// Principal is who makes a request.
type Principal struct {
	Username    string `json:"username"` // for tokens "token:<name>"
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
	// LineScope is the one line a line-scoped token, or a badge session
	// (the line of the station it signed in at), may act on; "" means every line.
	LineScope string `json:"line,omitempty"`
	StationID string `json:"station,omitempty"`
	Via       string `json:"via"` // "session" or "token"
	// Kiosk marks a kiosk token: it may read the dashboard and nothing else.
	Kiosk bool `json:"kiosk,omitempty"`
	// Lang is a signed-in user's stored language ("" for none, and for tokens).
	Lang string `json:"lang"`
}

// Actor is who an audited change is recorded against.
func (p Principal) Actor() Actor { return Actor{Name: p.Username, Role: p.Role} }

// MayUseLine reports whether the principal's line scope admits line.
// A token scoped to several lines holds them comma-separated (line ids
// cannot contain a comma).
func (p Principal) MayUseLine(line string) bool {
	return p.LineScope == "" || slices.Contains(strings.Split(p.LineScope, ","), line)
}

// Actor is the who of an audit entry.
type Actor struct {
	Name string
	Role Role
}

// LastAdminError refuses a change that would leave no enabled admin:
// disabling the last one or giving it another role. Nobody could then
// manage users or tokens except from the shell. It is a conflict
// with the state, not a bad request: enabling or appointing another admin
// first makes the same change fine.
type LastAdminError struct {
	Username string
	Field    string // what the change touched: "disabled" or "role"
}

func (e *LastAdminError) Error() string { return e.Rule() }

// Rule says what is refused and what to do instead.
func (e *LastAdminError) Rule() string {
	verb := "disable"
	if e.Field == "role" {
		verb = "change the role of"
	}
	return "cannot " + verb + " " + e.Username + ", the last enabled admin; enable or create another admin first"
}

// Unwrap makes it a conflict.
func (e *LastAdminError) Unwrap() error { return ErrConflict }

// ValidPassword is the rule for passwords users choose; the demo seed's
// short ones predate it and are not checked.
func ValidPassword(password string) error {
	if utf8.RuneCountInString(password) < 10 { // characters, as everywhere (limits.go)
		return Invalid("password", "must be at least 10 characters")
	}
	return nil
}

// HashPassword hashes a password with bcrypt at cost (0: bcrypt's default).
func HashPassword(password string, cost int) (string, error) {
	if password == "" {
		return "", Invalid("password", "is required")
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", Invalid("password", "cannot be hashed: %v", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// NewToken returns a random 32-byte token, URL-safe, and its storage hash.
func NewToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("new token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken is how a session or API token is stored and looked up. A plain
// SHA-256 suffices: the token has 256 bits of entropy, unlike a password.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
