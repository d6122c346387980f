package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// OpenStore opens the configured store and applies pending migrations: the
// same database central serves, for Start and for the user commands.
func OpenStore(ctx context.Context, cfg Config) (*store.Store, error) {
	driver, dsn := cfg.Database.Driver, cfg.Database.DSN
	if driver == store.DriverSQLite && dsn == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("central: data_dir %s: %w", cfg.DataDir, err)
		}
		dsn = store.SQLiteDSN(filepath.Join(cfg.DataDir, "central.db"))
	}
	pepper, err := cfg.Security.BadgePepper()
	if err != nil {
		return nil, fmt.Errorf("central: security.badge_pepper_file: %w", err)
	}
	st, err := store.OpenWith(ctx, driver, dsn, store.Options{BadgePepper: pepper})
	if err != nil {
		return nil, fmt.Errorf("central: %w", err)
	}
	return st, nil
}

// NewUser is a user to create outside the API (CLI, bootstrap), with the
// same rules as POST /api/v1/users.
type NewUser struct {
	Username, DisplayName, Role, Badge, Password string
}

// user checks nu and hashes its password.
func (nu NewUser) user() (domain.User, error) {
	if err := domain.ValidNumber("username", nu.Username); err != nil {
		return domain.User{}, err
	}
	role := domain.Role(nu.Role)
	if !role.Valid() {
		return domain.User{}, domain.Invalid("role", "unknown role %q; one of: %s", nu.Role, roleList())
	}
	if nu.Badge != "" {
		if err := domain.ValidNumber("badge", nu.Badge); err != nil {
			return domain.User{}, err
		}
	}
	hash, err := hashNewPassword(nu.Password)
	if err != nil {
		return domain.User{}, err
	}
	return domain.User{Username: nu.Username, DisplayName: nu.DisplayName, Role: role, PasswordHash: hash, Badge: nu.Badge}, nil
}

func roleList() string {
	var names []string
	for _, r := range domain.Roles() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// hashNewPassword applies the API's password rule, then bcrypt.
func hashNewPassword(password string) (string, error) {
	if password == "" {
		return "", domain.Invalid("password", "is empty")
	}
	if err := domain.ValidPassword(password); err != nil {
		return "", err
	}
	return domain.HashPassword(password, 0)
}

// AddUser validates nu and creates the user through the store, audited as
// actor. A taken username or badge is domain.ErrConflict.
func AddUser(ctx context.Context, st *store.Store, nu NewUser, actor domain.Actor) (domain.User, error) {
	u, err := nu.user()
	if err != nil {
		return domain.User{}, err
	}
	if err := st.CreateUser(ctx, u, actor); err != nil {
		return domain.User{}, err
	}
	return u, nil
}

// SetPassword checks and sets a user's new password, audited as actor; the
// user's sessions end. domain.ErrNotFound if there is no such user.
func SetPassword(ctx context.Context, st *store.Store, username, password string, actor domain.Actor) error {
	hash, err := hashNewPassword(password)
	if err != nil {
		return err
	}
	return st.SetPassword(ctx, username, hash, actor)
}

// SetDisabled disables or enables a user through the same store path as
// PATCH /api/v1/users/{username}, audited as actor; disabling ends the
// user's sessions. changed is false when the user already was so.
// domain.ErrNotFound if there is no such user.
func SetDisabled(ctx context.Context, st *store.Store, username string, disabled bool, actor domain.Actor) (changed bool, err error) {
	u, err := st.GetUser(ctx, username)
	if err != nil {
		return false, err
	}
	if u.Disabled == disabled {
		return false, nil
	}
	u.Disabled = disabled
	return true, st.SaveMaster(ctx, u, domain.SaveUpdate, actor)
}

// Environment variables of the first-admin bootstrap.
const (
	EnvAdminUser         = "LINEWISE_ADMIN_USER"
	EnvAdminPassword     = "LINEWISE_ADMIN_PASSWORD"
	EnvAdminPasswordFile = "LINEWISE_ADMIN_PASSWORD_FILE"
)

// AdminBootstrap is the admin central creates at start when the store has
// no enabled admin (see Config.AdminBootstrap).
type AdminBootstrap struct {
	Username string
	Password string
}

// AdminFromEnv reads the bootstrap from LINEWISE_ADMIN_PASSWORD (or
// LINEWISE_ADMIN_PASSWORD_FILE, for container secrets) and
// LINEWISE_ADMIN_USER (default "admin"); nil when no password is set.
func AdminFromEnv(getenv func(string) string) (*AdminBootstrap, error) {
	pw, file := getenv(EnvAdminPassword), getenv(EnvAdminPasswordFile)
	switch {
	case pw != "" && file != "":
		return nil, fmt.Errorf("%s and %s are both set; set one", EnvAdminPassword, EnvAdminPasswordFile)
	case file != "":
		var err error
		if pw, err = ReadPasswordFile(file); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvAdminPasswordFile, err)
		}
	case pw == "":
		if getenv(EnvAdminUser) != "" {
			return nil, fmt.Errorf("%s is set but %s is not: no admin would be created", EnvAdminUser, EnvAdminPassword)
		}
		return nil, nil
	}
	b := &AdminBootstrap{Username: getenv(EnvAdminUser), Password: pw}
	if b.Username == "" {
		b.Username = "admin"
	}
	if err := domain.ValidNumber("username", b.Username); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvAdminUser, err)
	}
	if err := domain.ValidPassword(pw); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvAdminPassword, err)
	}
	return b, nil
}

// ReadPasswordFile reads a password kept alone in a file; one trailing
// newline (as editors and echo leave) is not part of it.
func ReadPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return PasswordLine(string(b))
}

// PasswordLine is the password in s: s without one trailing "\n" or
// "\r\n". More than one line is refused rather than guessed at.
func PasswordLine(s string) (string, error) {
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	if strings.ContainsAny(s, "\r\n") {
		return "", errors.New("holds more than one line; put only the password in it")
	}
	return s, nil
}

// bootstrapActor is who the environment's admin is audited as.
var bootstrapActor = domain.Actor{Name: "bootstrap:env", Role: domain.RoleAdmin}

// bootstrapAdmin creates the configured admin if the store has no enabled
// admin, and logs it once; with an admin present it does nothing.
func (a *App) bootstrapAdmin(ctx context.Context) error {
	b := a.cfg.AdminBootstrap
	if b == nil {
		return nil
	}
	u, err := NewUser{Username: b.Username, DisplayName: "Administrator", Role: string(domain.RoleAdmin), Password: b.Password}.user()
	if err != nil {
		return fmt.Errorf("central: %s: %w", EnvAdminPassword, err)
	}
	created, err := a.store.CreateFirstAdmin(ctx, u, bootstrapActor)
	if errors.Is(err, domain.ErrConflict) {
		return fmt.Errorf("central: %s: user %q exists but is not an enabled admin; use `central user passwd` or the API, or set %s to another name: %w",
			EnvAdminPassword, b.Username, EnvAdminUser, err)
	}
	if err != nil {
		return fmt.Errorf("central: first admin: %w", err)
	}
	if created {
		a.log.Info("created the first admin from the environment", "user", b.Username, "env", EnvAdminPassword)
	} else {
		a.log.Debug("an admin exists; the environment's admin is not created", "user", b.Username)
	}
	return nil
}
