package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store/pgtest"
)

// cli runs the central command line as a user would type it.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

// TestUserCommandsThenLogin creates the first admin with `central user add`
// on a store nobody has started yet, changes its password with `user
// passwd --password-file`, and signs in with it through POST /api/v1/login
// of a central started on the same config: on SQLite and on PostgreSQL.
func TestUserCommandsThenLogin(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			dir := t.TempDir()
			db := "database: {driver: sqlite}"
			if driver == "postgres" {
				db = fmt.Sprintf("database: {driver: postgres, dsn: %q}", pgtest.Schema(t))
			}
			config := filepath.Join(dir, "central.yaml")
			write(t, config, fmt.Sprintf("http: 127.0.0.1:0\ndata_dir: %s\ndemo: false\nmqtt: {embedded: {listen: 127.0.0.1:0}}\n%s\n", filepath.Join(dir, "data"), db))
			testUserCommands(t, config, dir)
		})
	}
}

func testUserCommands(t *testing.T, config, dir string) {
	// Refusals first: nothing may be created by them.
	for _, tt := range []struct {
		name, stdin string
		args        []string
		code        int
		stderr      string
	}{
		{"empty password", "", []string{"add", "--username", "alice", "--role", "admin"}, 2, "the password is empty"},
		{"newline only", "\n", []string{"add", "--username", "alice", "--role", "admin"}, 2, "the password is empty"},
		{"weak password", "short\n", []string{"add", "--username", "alice", "--role", "admin"}, 2, "password: must be at least 10 characters"},
		{"unknown role", "long-enough-pw\n", []string{"add", "--username", "alice", "--role", "boss"}, 2, `unknown role "boss"; one of: operator, supervisor, planner, quality, warehouse, buyer, sales, manager, admin`},
		{"no role", "long-enough-pw\n", []string{"add", "--username", "alice"}, 2, "--role is required"},
		{"no username", "long-enough-pw\n", []string{"add", "--role", "admin"}, 2, "--username is required"},
		{"bad username", "long-enough-pw\n", []string{"add", "--username", "al ice", "--role", "admin"}, 2, "username: must be"},
		{"password in argv", "", []string{"add", "--username", "alice", "--role", "admin", "s3cret-on-the-command-line"}, 2, "never given on the command line"},
		{"two lines", "one-password\nanother\n", []string{"add", "--username", "alice", "--role", "admin"}, 2, "more than one line"},
		{"unknown verb", "", []string{"delete", "alice"}, 2, `unknown command "delete"`},
	} {
		args := append([]string{"-config", config, "user"}, tt.args...)
		code, _, stderr := cli(t, tt.stdin, args...)
		if code != tt.code || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tt.name, code, stderr, tt.code, tt.stderr)
		}
	}

	code, out, stderr := cli(t, "correct-horse-battery\n", "-config", config, "user", "add", "--username", "alice", "--role", "admin", "--display-name", "Alice IT")
	if code != 0 || !strings.Contains(out, "created user alice (admin)") {
		t.Fatalf("user add: exit %d\n%s%s", code, out, stderr)
	}
	// The username may also come first, and -config after the verb.
	code, _, stderr = cli(t, "operator-password\n", "user", "add", "op7", "-config", config, "--role", "operator", "--badge", "B-7")
	if code != 0 {
		t.Fatalf("user add op7: exit %d %s", code, stderr)
	}
	code, _, stderr = cli(t, "correct-horse-battery\n", "-config", config, "user", "add", "--username", "alice", "--role", "admin")
	if code != 1 || !strings.Contains(stderr, `user "alice" already exists`) {
		t.Errorf("second add: exit %d %q", code, stderr)
	}
	code, out, _ = cli(t, "", "-config", config, "user", "list")
	if code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, "Alice IT") || !strings.Contains(out, "yes") {
		t.Errorf("user list: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "B-7") {
		t.Errorf("user list shows a badge code, a credential:\n%s", out)
	}

	// Start central on that store: alice signs in.
	cfg, err := app.LoadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())
	base := "http://" + a.HTTPAddr()
	status, cookie := login(t, base, "alice", "correct-horse-battery")
	if status != 200 {
		t.Fatalf("login as alice: %d", status)
	}
	if status := get(t, base+"/api/v1/users", cookie); status != 200 {
		t.Fatalf("alice lists users: %d (is she an admin?)", status)
	}

	// passwd from a file, while central runs: her session ends, the new
	// password works and the old one does not.
	pwFile := filepath.Join(dir, "pw")
	write(t, pwFile, "a-brand-new-password\n")
	code, out, stderr = cli(t, "", "-config", config, "user", "passwd", "--username", "alice", "--password-file", pwFile)
	if code != 0 {
		t.Fatalf("user passwd: exit %d %s%s", code, out, stderr)
	}
	if status := get(t, base+"/api/v1/me", cookie); status != 401 {
		t.Errorf("old session after passwd: %d, want 401", status)
	}
	if status, _ := login(t, base, "alice", "correct-horse-battery"); status != 401 {
		t.Errorf("old password: %d, want 401", status)
	}
	if status, _ := login(t, base, "alice", "a-brand-new-password"); status != 200 {
		t.Errorf("new password: %d, want 200", status)
	}
	code, _, stderr = cli(t, "", "-config", config, "user", "passwd", "nobody", "--password-file", pwFile)
	if code != 1 || !strings.Contains(stderr, `no user "nobody"`) {
		t.Errorf("passwd of nobody: exit %d %q", code, stderr)
	}

	// disable ends op7's session and refuses the password; enable lets op7
	// sign in again, without bringing the old session back.
	status, opCookie := login(t, base, "op7", "operator-password")
	if status != 200 {
		t.Fatalf("login as op7: %d", status)
	}
	code, out, stderr = cli(t, "", "-config", config, "user", "disable", "op7")
	if code != 0 || !strings.Contains(out, "disabled op7") {
		t.Fatalf("user disable: exit %d %s%s", code, out, stderr)
	}
	if code, out, _ = cli(t, "", "-config", config, "user", "disable", "--username", "op7"); code != 0 || !strings.Contains(out, "already disabled") {
		t.Errorf("second disable: exit %d %s", code, out)
	}
	if status := get(t, base+"/api/v1/me", opCookie); status != 401 {
		t.Errorf("op7's session after disable: %d, want 401", status)
	}
	if status, _ := login(t, base, "op7", "operator-password"); status != 401 {
		t.Errorf("disabled op7 signs in: %d, want 401", status)
	}
	_, out, _ = cli(t, "", "-config", config, "user", "list")
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "op7 ") && !strings.HasSuffix(strings.TrimSpace(l), "true") {
			t.Errorf("list does not show op7 disabled: %q", l)
		}
	}
	code, out, stderr = cli(t, "", "-config", config, "user", "enable", "--username", "op7")
	if code != 0 || !strings.Contains(out, "enabled op7") {
		t.Fatalf("user enable: exit %d %s%s", code, out, stderr)
	}
	if status := get(t, base+"/api/v1/me", opCookie); status != 401 {
		t.Errorf("op7's old session after enable: %d, want 401 (disable ended it)", status)
	}
	if status, _ := login(t, base, "op7", "operator-password"); status != 200 {
		t.Errorf("enabled op7 signs in: %d, want 200", status)
	}
	if code, _, stderr = cli(t, "", "-config", config, "user", "enable", "nobody"); code != 1 || !strings.Contains(stderr, `no user "nobody"`) {
		t.Errorf("enable nobody: exit %d %q", code, stderr)
	}
	if code, _, stderr = cli(t, "", "-config", config, "user", "disable"); code != 2 || !strings.Contains(stderr, "--username is required") {
		t.Errorf("disable without a name: exit %d %q", code, stderr)
	}
	// alice is the only admin: disabling her would leave nobody to manage users.
	code, out, stderr = cli(t, "", "-config", config, "user", "disable", "alice")
	if code != 1 || !strings.Contains(stderr, "cannot disable alice, the last enabled admin") {
		t.Errorf("disable the last admin: exit %d %s%q", code, out, stderr)
	}
	if status, _ := login(t, base, "alice", "a-brand-new-password"); status != 200 {
		t.Errorf("alice after the refused disable: %d, want 200", status)
	}
	ops, err := a.Store().ListAudit(ctx, domain.AuditFilter{Entity: "user", EntityID: "op7"})
	if err != nil {
		t.Fatal(err)
	}
	updates := 0
	for _, e := range ops {
		if e.Action == "update" && strings.HasPrefix(e.Actor, "cli") {
			updates++
		}
	}
	if updates != 2 {
		t.Errorf("op7 has %d audited updates by the CLI, want 2 (disable, enable): %+v", updates, ops)
	}

	// Everything the CLI did is in the audit trail, by the OS user.
	entries, err := a.Store().ListAudit(ctx, domain.AuditFilter{Entity: "user", EntityID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Actor, "cli") {
			t.Errorf("audit actor %q, want cli:<os user>", e.Actor)
		}
		if strings.Contains(string(e.After), "$2") {
			t.Errorf("audit holds a password hash: %s", e.After)
		}
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "create,set_password" && strings.Join(actions, ",") != "set_password,create" {
		t.Errorf("audit actions for alice: %v", actions)
	}
}

// A weak LINEWISE_ADMIN_PASSWORD is refused before anything starts, and
// --check-config reports it.
func TestCheckConfigRefusesWeakAdminPassword(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "central.yaml")
	write(t, config, "data_dir: "+dir+"\ndemo: false\n")
	var out, errb bytes.Buffer
	env := map[string]string{"LINEWISE_ADMIN_PASSWORD": "admin"}
	code := run([]string{"-config", config, "--check-config"}, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	if code != 2 || !strings.Contains(errb.String(), "LINEWISE_ADMIN_PASSWORD: password: must be at least 10 characters") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	env["LINEWISE_ADMIN_PASSWORD"] = "a-long-admin-password"
	out.Reset()
	errb.Reset()
	if code := run([]string{"-config", config, "--check-config"}, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] }); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func login(t *testing.T, base, user, password string) (int, *http.Cookie) {
	t.Helper()
	res, err := http.Post(base+"/api/v1/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, password)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	for _, c := range res.Cookies() {
		if c.Name == "lw_session" {
			return res.StatusCode, c
		}
	}
	return res.StatusCode, nil
}

func get(t *testing.T, url string, cookie *http.Cookie) int {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if cookie != nil {
		req.AddCookie(cookie)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode
}
