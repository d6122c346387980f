package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
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
	Badge        string `json:"badge,omitempty"`
	Disabled     bool   `json:"disabled"`
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
// optionally only for one line. Only the token's hash is stored.
type APIToken struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	LineID    string     `json:"line,omitempty"`
	TokenHash string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Principal is who makes a request.
type Principal struct {
	Username    string `json:"username"` // for tokens "token:<name>"
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
	LineScope   string `json:"line,omitempty"` // "" means every line
	StationID   string `json:"station,omitempty"`
	Via         string `json:"via"` // "session" or "token"
}

// Actor is who an audited change is recorded against.
func (p Principal) Actor() Actor { return Actor{Name: p.Username, Role: p.Role} }

// MayUseLine reports whether the principal's line scope admits line.
func (p Principal) MayUseLine(line string) bool { return p.LineScope == "" || p.LineScope == line }

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
