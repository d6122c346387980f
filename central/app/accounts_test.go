package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
)

func TestAdminFromEnv(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, []byte("from-a-secret-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	twoLines := filepath.Join(dir, "two")
	if err := os.WriteFile(twoLines, []byte("first-line-here\nsecond\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    *AdminBootstrap
		wantErr string
	}{
		{"nothing set", nil, nil, ""},
		{"password", map[string]string{EnvAdminPassword: "a-long-password"}, &AdminBootstrap{"admin", "a-long-password"}, ""},
		{"user and password", map[string]string{EnvAdminPassword: "a-long-password", EnvAdminUser: "it-ops"}, &AdminBootstrap{"it-ops", "a-long-password"}, ""},
		{"password file", map[string]string{EnvAdminPasswordFile: good}, &AdminBootstrap{"admin", "from-a-secret-file"}, ""},
		{"weak", map[string]string{EnvAdminPassword: "short"}, nil, "LINEWISE_ADMIN_PASSWORD: password: must be at least 10 characters"},
		{"user alone", map[string]string{EnvAdminUser: "it-ops"}, nil, "LINEWISE_ADMIN_PASSWORD is not"},
		{"bad user", map[string]string{EnvAdminPassword: "a-long-password", EnvAdminUser: "no spaces"}, nil, "LINEWISE_ADMIN_USER: username: must be"},
		{"both", map[string]string{EnvAdminPassword: "a-long-password", EnvAdminPasswordFile: good}, nil, "set one"},
		{"missing file", map[string]string{EnvAdminPasswordFile: filepath.Join(dir, "nope")}, nil, "LINEWISE_ADMIN_PASSWORD_FILE: open"},
		{"two lines", map[string]string{EnvAdminPasswordFile: twoLines}, nil, "more than one line"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AdminFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// admins lists the enabled admins and the audit entries of user creation.
func admins(t *testing.T, st *store.Store) ([]domain.User, []domain.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	us, err := st.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []domain.User
	for _, u := range us {
		if u.Role == domain.RoleAdmin && !u.Disabled {
			out = append(out, u)
		}
	}
	audit, err := st.ListAudit(ctx, domain.AuditFilter{Entity: "user"})
	if err != nil {
		t.Fatal(err)
	}
	return out, audit
}

// TestBootstrapAdminFromEnvironment: an empty store gets exactly one admin,
// audited, who can sign in; a restart with the same environment, or a
// store that already has an admin, changes nothing.
func TestBootstrapAdminFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	boot := func(c *Config) {
		c.Demo = false
		c.DataDir = dir
		c.AdminBootstrap = &AdminBootstrap{Username: "admin", Password: "first-admin-pw"}
	}
	a := startApp(t, boot)
	got, audit := admins(t, a.Store())
	if len(got) != 1 || got[0].Username != "admin" || !domain.CheckPassword(got[0].PasswordHash, "first-admin-pw") {
		t.Fatalf("admins after bootstrap: %+v", got)
	}
	if len(audit) != 1 || audit[0].Actor != "bootstrap:env" || audit[0].Action != "create" || audit[0].EntityID != "admin" {
		t.Fatalf("audit: %+v", audit)
	}
	if strings.Contains(string(audit[0].After), "first-admin-pw") || strings.Contains(string(audit[0].After), "$2") {
		t.Fatalf("audit holds the password or its hash: %s", audit[0].After)
	}
	if code, body := login(t, a, "admin", "first-admin-pw"); code != 200 {
		t.Fatalf("login as the bootstrap admin: %d %s", code, body)
	}
	stop(t, a)

	// Same store, same environment, another password: nothing changes.
	a = startApp(t, boot, func(c *Config) { c.AdminBootstrap.Password = "a-different-pw" })
	got, audit = admins(t, a.Store())
	if len(got) != 1 || len(audit) != 1 || !domain.CheckPassword(got[0].PasswordHash, "first-admin-pw") {
		t.Fatalf("second start changed users: %+v %+v", got, audit)
	}
	stop(t, a)
}

func TestBootstrapAdminSkipsWhenAnAdminExists(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := OpenStore(ctx, Config{DataDir: dir, Database: DatabaseConfig{Driver: store.DriverSQLite}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AddUser(ctx, st, NewUser{Username: "alice", Role: "admin", Password: "alice-long-pw"}, domain.Actor{Name: "cli:test", Role: domain.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	a := startApp(t, func(c *Config) {
		c.Demo, c.DataDir = false, dir
		c.AdminBootstrap = &AdminBootstrap{Username: "admin", Password: "first-admin-pw"}
	})
	got, audit := admins(t, a.Store())
	if len(got) != 1 || got[0].Username != "alice" || len(audit) != 1 {
		t.Fatalf("bootstrap with an admin present: %+v %+v", got, audit)
	}
}

// A user of that name who is not an admin is not promoted behind anyone's
// back: central refuses to start and says what to do.
func TestBootstrapAdminNameTakenByNonAdmin(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := OpenStore(ctx, Config{DataDir: dir, Database: DatabaseConfig{Driver: store.DriverSQLite}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AddUser(ctx, st, NewUser{Username: "admin", Role: "operator", Password: "operator-pw-1"}, domain.Actor{Name: "cli:test"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg := DefaultConfig()
	cfg.HTTP, cfg.DataDir, cfg.Demo = "127.0.0.1:0", dir, false
	cfg.MQTT.Embedded.Listen = "127.0.0.1:0"
	cfg.AdminBootstrap = &AdminBootstrap{Username: "admin", Password: "first-admin-pw"}
	a, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = a.Start(ctx)
	if err == nil || !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), "not an enabled admin") {
		t.Fatalf("start: %v", err)
	}
}

func TestAddUserRefusesWeakInput(t *testing.T) {
	ctx := context.Background()
	st, err := OpenStore(ctx, Config{DataDir: t.TempDir(), Database: DatabaseConfig{Driver: store.DriverSQLite}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	actor := domain.Actor{Name: "cli:test", Role: domain.RoleAdmin}
	for _, tt := range []struct {
		nu   NewUser
		want string
	}{
		{NewUser{Username: "bob", Role: "operator"}, "password: is empty"},
		{NewUser{Username: "bob", Role: "operator", Password: "short"}, "password: must be at least 10"},
		{NewUser{Username: "bob", Role: "boss", Password: "long-enough-pw"}, `role: unknown role "boss"; one of: operator, supervisor, planner, quality, warehouse, buyer, sales, manager, admin`},
		{NewUser{Username: "", Role: "admin", Password: "long-enough-pw"}, "username: must be"},
	} {
		if _, err := AddUser(ctx, st, tt.nu, actor); err == nil || !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.nu, err, tt.want)
		}
	}
	if err := SetPassword(ctx, st, "nobody", "long-enough-pw", actor); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("passwd of nobody: %v", err)
	}
}

// login signs in through the API of a running central.
func login(t *testing.T, a *App, user, password string) (int, string) {
	t.Helper()
	res, err := http.Post("http://"+a.HTTPAddr()+"/api/v1/login", "application/json",
		strings.NewReader(`{"username":"`+user+`","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func stop(t *testing.T, a *App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// Two replicas starting at once on one PostgreSQL, each told to create a
// different first admin: exactly one admin is created.
func TestBootstrapAdminOnceAcrossReplicasPostgres(t *testing.T) {
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	cfg := Config{Database: DatabaseConfig{Driver: store.DriverPostgres, DSN: dsn}}
	first, err := OpenStore(ctx, cfg) // migrations first, so the race is only the bootstrap's
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	hash, err := domain.HashPassword("first-admin-pw", 4)
	if err != nil {
		t.Fatal(err)
	}
	const replicas = 4
	results := make(chan error, replicas)
	created := make(chan bool, replicas)
	for i := range replicas {
		go func() {
			st, err := OpenStore(ctx, cfg)
			if err != nil {
				results <- err
				return
			}
			defer st.Close()
			ok, err := st.CreateFirstAdmin(ctx, domain.User{Username: "admin" + strconv.Itoa(i), Role: domain.RoleAdmin, PasswordHash: hash}, bootstrapActor)
			created <- ok
			results <- err
		}()
	}
	n := 0
	for range replicas {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
		if <-created {
			n++
		}
	}
	got, audit := admins(t, first)
	if n != 1 || len(got) != 1 || len(audit) != 1 {
		t.Fatalf("%d created, admins %+v, audit %+v", n, got, audit)
	}
}
